from django.urls import path

from . import views, views_notices, views_objections

app_name = "repair"

urlpatterns = [
    path("", views.RepairListView.as_view(), name="list"),
    path("my/", views.MyRecordsView.as_view(), name="my"),
    path("apply/", views.RepairApplyView.as_view(), name="apply"),
    path("figures/", views.FiguresView.as_view(), name="figures"),
    path("notices/", views_notices.NoticeBulkView.as_view(), name="notices"),
    path("notices/batches/<int:pk>/", views_notices.NoticeBatchView.as_view(), name="notice_batch"),
    path(
        "notices/batches/<int:pk>/progress/",
        views_notices.NoticeBatchProgressView.as_view(),
        name="notice_batch_progress",
    ),
    path(
        "notices/batches/<int:pk>/download/",
        views_notices.NoticeBatchDownloadView.as_view(),
        name="notice_batch_download",
    ),
    path("notices/<int:record_pk>.pdf", views_notices.NoticePdfView.as_view(), name="notice_pdf"),
    path("notices/<int:record_pk>/served/", views_notices.NoticeServeView.as_view(), name="notice_serve"),
    path("notices/uploads/<int:pk>/", views_notices.UploadNoticesView.as_view(), name="upload_notices"),
    path("commitment/<int:record_pk>.pdf", views.CommitmentPdfView.as_view(), name="commitment_pdf"),
    path("materials/<int:pk>/", views.MaterialDownloadView.as_view(), name="material"),
    path("objections/", views_objections.ObjectionListView.as_view(), name="objections"),
    path("objections/lookup/", views_objections.objection_lookup, name="objection_lookup"),
    path("objections/new/<int:record_pk>/", views_objections.ObjectionCreateView.as_view(), name="objection_create"),
    path("objections/<int:pk>/", views_objections.ObjectionDetailView.as_view(), name="objection_detail"),
    path("objections/<int:pk>/<str:action>/", views_objections.ObjectionActionView.as_view(), name="objection_action"),
    path("<int:pk>/", views.RepairDetailView.as_view(), name="detail"),
    path("<int:pk>/<str:action>/", views.RepairActionView.as_view(), name="action"),
]
