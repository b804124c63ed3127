from django.urls import path

from . import (
    converters,  # noqa: F401  (registers the "isodate" path converter)
    views,
)

app_name = "workdays"

urlpatterns = [
    path("", views.OverrideListView.as_view(), name="overrides"),
    path("overrides/", views.OverrideSetView.as_view(), name="override_set"),
    path("overrides/<isodate:date>/delete/", views.OverrideDeleteView.as_view(), name="override_delete"),
]
