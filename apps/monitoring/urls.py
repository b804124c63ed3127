from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("ranking/", views.RankingView.as_view(), name="ranking"),
    path("ranking/export.xlsx", views.RankingExportView.as_view(), name="ranking_export"),
    path("ranking/publish/", views.RankingPublishView.as_view(), name="ranking_publish"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/export.xlsx", views.DashboardExportView.as_view(), name="dashboard_export"),
    path("dashboard/entries/", views.ManualEntryView.as_view(), name="manual_entry"),
    path("dashboard/entries/<int:pk>/evidence/", views.EvidenceView.as_view(), name="evidence"),
    path("my/", views.DepartmentFiguresView.as_view(), name="my"),
    path("my/zero-report/", views.ZeroReportView.as_view(), name="zero_report"),
]
