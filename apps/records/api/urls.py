from django.urls import path

from .views import PublicRecordDetailView, PublicRecordListView, RecordBatchView, RecordDetailView, RecordListView

urlpatterns = [
    path("", RecordListView.as_view(), name="record-list"),
    path("<int:pk>/", RecordDetailView.as_view(), name="record-detail"),
    path("public/", PublicRecordListView.as_view(), name="record-public-list"),
    path("public/<int:pk>/", PublicRecordDetailView.as_view(), name="record-public-detail"),
    path("<slug:type_code>/batch/", RecordBatchView.as_view(), name="record-batch"),
]
