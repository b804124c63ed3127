from django.urls import path

from . import views_public as views

app_name = "lists_public"

urlpatterns = [
    path("", views.PublicEntryListView.as_view(), name="list"),
    path("measures/", views.PublicMeasureListView.as_view(), name="measures"),
    path("<int:pk>/", views.PublicEntryDetailView.as_view(), name="detail"),
]
