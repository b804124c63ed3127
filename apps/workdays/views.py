from django.views.generic import ListView

from apps.accounts.permissions import CenterRequiredMixin

from .models import CalendarOverride


class OverrideListView(CenterRequiredMixin, ListView):
    template_name = "workdays/overrides.html"
    queryset = CalendarOverride.objects.all()
