"""Test-only URLs (tests/test_public_lists.py): public views whose statement outlasts the timeout, and the
project's own URLs so the 503 page's links resolve."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path

from credit_portal.public_queries import public_query
from credit_portal.urls import urlpatterns as project_urlpatterns


def _sleep():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.5)")


@public_query
def show(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return JsonResponse({"statement_timeout": cursor.fetchone()[0]})


@public_query
def slow(request):
    _sleep()
    return HttpResponse("not reached")


def slow_staff(request):
    _sleep()
    return HttpResponse("done")


urlpatterns = [
    path("show/", show),
    path("slow/", slow),
    path("api/slow/", slow),
    path("slow-staff/", slow_staff),
    *project_urlpatterns,
]
