from django.urls import path

from .. import converters  # noqa: F401  (registers the "isodate" path converter)
from . import views

urlpatterns = [
    path("deadline/", views.DeadlineView.as_view(), name="workdays-deadline"),
    path("overrides/", views.CalendarOverrideListView.as_view(), name="workdays-override-list"),
    path("overrides/<isodate:date>/", views.CalendarOverrideDetailView.as_view(), name="workdays-override-detail"),
]
