from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from apps.reports.forms import ReportRequestForm
from apps.subjects.models import Subject

from .ratelimits import rate_limit
from .selectors import _optional, public_subject_search, subject_profile


class HomeView(TemplateView):
    template_name = "portal/home.html"


@rate_limit("PORTAL_RATE_SEARCH")
def search(request):
    """信用查询: by name fragment (2+ characters), USCC or legacy code."""
    query = request.GET.get("q", "")
    outcome = public_subject_search(query=query, on=timezone.localdate())
    return render(request, "portal/search.html", {"outcome": outcome, "q": outcome.query})


@rate_limit("PORTAL_RATE_PROFILE")
def profile(request, pk):
    """A subject's public credit profile (信用档案)."""
    try:
        data = subject_profile(pk=pk, on=timezone.localdate())
    except Subject.DoesNotExist:
        raise Http404("该主体不存在或暂无可公示的信用信息。") from None
    return render(request, "portal/profile.html", {"profile": data, "report_form": ReportRequestForm()})


@method_decorator(rate_limit("PORTAL_RATE_PROFILE"), name="dispatch")
class GuidanceView(TemplateView):
    """信用修复和异议申请指南: who may apply, what to bring, how long it takes."""

    template_name = "portal/guidance.html"


class ColumnsView(TemplateView):
    """公示栏目: the publication columns in one place."""

    template_name = "portal/columns.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        catalog = _optional("apps.scenarios", "apps.scenarios.selectors", "catalog_scenarios")
        context["scenarios"] = list(catalog().values_list("name", flat=True)) if catalog is not None else []
        context["commitments_installed"] = django_apps.is_installed("apps.commitments")
        return context


def healthz(request):
    """Liveness for the load balancer and the container: database and cache reachable."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 — any failure means "not healthy", reported by class name
        status["database"] = f"error: {type(exc).__name__}"
    try:
        cache.set("healthz", "1", 5)
        status["cache"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception as exc:  # noqa: BLE001
        status["cache"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
