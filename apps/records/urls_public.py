from django.urls import path

from . import views_public

app_name = "records_public"

urlpatterns = [
    path("", views_public.PublicRecordListView.as_view(), name="list"),
    path("<int:pk>/", views_public.PublicRecordDetailView.as_view(), name="detail"),
]
