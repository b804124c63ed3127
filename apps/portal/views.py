from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "portal/home.html"


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
