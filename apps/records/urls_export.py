from django.urls import path

from . import views_export

app_name = "records_export"

urlpatterns = [
    path("", views_export.ExportView.as_view(), name="index"),
    path("download/", views_export.ExportDownloadView.as_view(), name="download"),
]
