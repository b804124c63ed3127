from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_v1 = [
    path("", include("apps.accounts.api.urls")),
    path("subjects/", include("apps.subjects.api.urls")),
    path("workdays/", include("apps.workdays.api.urls")),
    path("records/", include("apps.records.api.urls")),
    path("", include("apps.lists.api.urls")),
    path("", include("apps.scenarios.api.urls")),
    path("reports/", include("apps.reports.api.urls")),
    path("repair/", include("apps.repair.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-v1:schema"), name="redoc"),
]

urlpatterns = [
    path("", include("apps.portal.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("subjects/", include("apps.subjects.urls")),
    path("workdays/", include("apps.workdays.urls")),
    path("records/export/", include("apps.records.urls_export")),
    path("records/", include("apps.records.urls")),
    path("records/uploads/", include("apps.records.urls_upload")),
    path("publicity/", include("apps.records.urls_public")),
    path("monitoring/", include("apps.monitoring.urls")),
    path("lists/checks/", include("apps.lists.urls_checks")),
    path("lists/public/", include("apps.lists.urls_public")),
    path("lists/", include("apps.lists.urls")),
    path("audit/", include("apps.audit.urls")),
    path("evaluation/", include("apps.evaluation.urls")),
    path("commitments/", include("apps.commitments.urls")),
    path("declarations/", include("apps.declarations.urls")),
    path("scenarios/", include("apps.scenarios.urls")),
    path("reports/", include("apps.reports.urls")),
    path("api/v1/", include((api_v1, "api-v1"))),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "公共信用信息平台 后台管理"
admin.site.site_title = "公共信用信息平台"

handler400 = "credit_portal.errors.bad_request"
handler403 = "credit_portal.errors.permission_denied"
handler404 = "credit_portal.errors.not_found"
handler500 = "credit_portal.errors.server_error"
urlpatterns += [
    path("repair/", include("apps.repair.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("exchange/", include("apps.exchange.urls")),
]
