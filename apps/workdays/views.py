from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from apps.accounts.permissions import CenterRequiredMixin

from . import services
from .forms import CalendarOverrideForm, DeadlineForm
from .models import CalendarOverride
from .selectors import calendar_override_list, calendar_override_year_counts


def _overrides_url(year=None) -> str:
    url = reverse("workdays:overrides")
    return f"{url}?year={year}" if year else url


class OverridePageMixin(CenterRequiredMixin):
    """Everything the calendar page shows; the POST views re-render it with
    their bound form when input is invalid."""

    template_name = "workdays/overrides.html"

    def _selected_year(self):
        try:
            return int(self.request.GET.get("year", ""))
        except ValueError:
            return None

    def _deadline(self):
        # The calculator is a GET form on the same page: only bind it once asked.
        if not {"start", "days"} & set(self.request.GET):
            return DeadlineForm(), None, None
        form = DeadlineForm(self.request.GET)
        if not form.is_valid():
            return form, None, None
        try:
            return form, services.workdays_add(**form.cleaned_data), None
        except ValueError as exc:
            return form, None, str(exc)

    def page_context(self, **kwargs):
        year = self._selected_year()
        counts = calendar_override_year_counts()
        this_year = timezone.localdate().year
        deadline_form, deadline, deadline_error = self._deadline()
        context = {
            "selected_year": year,
            "overrides": calendar_override_list(year=year),
            "year_counts": counts,
            "official_first_year": services.OFFICIAL_FIRST_YEAR,
            "official_last_year": services.OFFICIAL_LAST_YEAR,
            "official_library_version": services.OFFICIAL_LIBRARY_VERSION,
            "estimated_first_year": services.ESTIMATED_FIRST_YEAR,
            "estimated_last_year": services.ESTIMATED_LAST_YEAR,
            "estimated_library_version": services.ESTIMATED_LIBRARY_VERSION,
            # This year and next are the ones deadlines are being computed for now.
            "uncovered_years": [
                {"year": y, "count": counts.get(y, 0), "estimated": services.estimated_calendar_covers(y)}
                for y in (this_year, this_year + 1)
                if not services.official_calendar_covers(y)
            ],
            "deadline_form": deadline_form,
            "deadline": deadline,
            "deadline_error": deadline_error,
            "form": CalendarOverrideForm(),
        }
        context.update(kwargs)
        return context


class OverrideListView(OverridePageMixin, TemplateView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.page_context(**kwargs))


class OverrideSetView(OverridePageMixin, FormView):
    form_class = CalendarOverrideForm
    http_method_names = ["post"]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.page_context(**kwargs))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            override, created = services.calendar_override_set(
                date=data["date"], kind=data["kind"], note=data["note"], user=self.request.user
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        verb = "已新增" if created else "已更新"
        messages.success(self.request, f"{verb}日历调整：{override.date:%Y-%m-%d} {override.get_kind_display()}。")
        return redirect(_overrides_url(override.date.year))


class OverrideDeleteView(CenterRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, date):
        override = get_object_or_404(CalendarOverride, date=date)
        services.calendar_override_delete(override=override, user=request.user)
        messages.success(request, f"已删除 {date:%Y-%m-%d} 的日历调整，该日恢复按国家日历（或推定日历）计算。")
        return redirect(_overrides_url(date.year))
