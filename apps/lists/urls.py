from django.urls import path

from . import views

app_name = "lists"

urlpatterns = [
    path("", views.EntryListView.as_view(), name="entries"),
    path("<int:pk>/", views.EntryDetailView.as_view(), name="entry_detail"),
    path("<int:pk>/remove/", views.EntryRemoveView.as_view(), name="entry_remove"),
    path("<int:pk>/interviews/new/", views.InterviewCreateView.as_view(), name="interview_create"),
    path("types/", views.ListTypeListView.as_view(), name="types"),
    path("types/new/", views.ListTypeCreateView.as_view(), name="type_create"),
    path("types/<int:pk>/edit/", views.ListTypeUpdateView.as_view(), name="type_edit"),
    path("measures/", views.MeasureListView.as_view(), name="measures"),
    path("measures/new/", views.MeasureCreateView.as_view(), name="measure_create"),
    path("measures/<int:pk>/", views.MeasureDetailView.as_view(), name="measure_detail"),
    path("measures/<int:pk>/revise/", views.MeasureReviseView.as_view(), name="measure_revise"),
    path("measures/<int:pk>/retire/", views.MeasureRetireView.as_view(), name="measure_retire"),
    path("matters/", views.MatterListView.as_view(), name="matters"),
]
