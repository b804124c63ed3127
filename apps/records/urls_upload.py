from django.urls import path

from . import views_upload as views

app_name = "records_upload"

urlpatterns = [
    path("", views.UploadListView.as_view(), name="list"),
    path("new/", views.UploadCreateView.as_view(), name="create"),
    path("template/<slug:type_code>.xlsx", views.TemplateDownloadView.as_view(), name="template"),
    path("<int:pk>/", views.UploadDetailView.as_view(), name="detail"),
    path("<int:pk>/progress.json", views.UploadProgressView.as_view(), name="progress"),
    path("<int:pk>/file", views.UploadFileView.as_view(), name="file"),
    path("<int:pk>/result.xlsx", views.UploadResultView.as_view(), name="result"),
]
