"""信用核查 pages for service-hall clerks: single check, result with feedback, history, batch, figures."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import ListView, TemplateView

from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, StaffRequiredMixin, has_role
from apps.records.export import XLSX_CONTENT_TYPE

from .check_files import batch_result_xlsx
from .checks import (
    check_feedback_record,
    credit_check_batch,
    credit_check_run,
    credit_checks_visible,
    feedback_by_measure_code,
)
from .choices import CheckChannel
from .figures import credit_check_figures, scoring_note
from .forms_checks import BatchCheckForm, CreditCheckForm, FeedbackForm, FiguresPeriodForm

RECENT_SHOWN = 20
BADGE_CLASS = {"black": "badge err list-black", "watch": "badge warn list-watch", "red": "badge ok list-red"}


def _history(user):
    return credit_checks_visible(user=user).select_related("user", "api_key").order_by("-created_at", "-pk")


class CheckHomeView(StaffRequiredMixin, View):
    """Form for one check, and the department's latest checks."""

    template_name = "lists/check_form.html"

    def get(self, request):
        return self._render(request, CreditCheckForm())

    def post(self, request):
        form = CreditCheckForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        check = credit_check_run(
            query=form.cleaned_data["query"],
            matter=form.cleaned_data["matter"],
            channel=CheckChannel.WEB,
            user=request.user,
        )
        return redirect("credit_checks:detail", pk=check.pk)

    def _render(self, request, form, status=200):
        context = {
            "form": form,
            "recent": _history(request.user)[:RECENT_SHOWN],
            "is_center": has_role(request.user, CENTER_ROLES),
        }
        return render(request, self.template_name, context, status=status)


class CheckDetailView(StaffRequiredMixin, View):
    """The answer as it was given (from the log), with a feedback form per measure."""

    template_name = "lists/check_detail.html"

    def _check(self, request, pk):
        check = credit_checks_visible(user=request.user).select_related("user", "api_key").filter(pk=pk).first()
        if check is None:
            raise Http404("核查记录不存在，或不是本部门发起的核查。")
        return check

    def get(self, request, pk):
        check = self._check(request, pk)
        return self._render(request, check)

    def post(self, request, pk):
        check = self._check(request, pk)
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                check_feedback_record(
                    credit_check=check,
                    items=[
                        {
                            "measure": form.cleaned_data["measure"],
                            "implemented": form.cleaned_data["implemented"],
                            "reason": form.cleaned_data["reason"],
                        }
                    ],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, f"已记录措施 {form.cleaned_data['measure']} 的实施情况。")
                return redirect("credit_checks:detail", pk=check.pk)
        return self._render(request, check, bound=form, status=400)

    def _render(self, request, check, bound=None, status=200):
        result = check.result
        given = feedback_by_measure_code(check)
        rows = []
        for measure in result.get("measures", []):
            feedback = given.get(measure["code"])
            if bound is not None and bound.data.get("measure") == measure["code"]:
                form = bound
            else:
                initial = {"measure": measure["code"]}
                if feedback is not None:
                    initial |= {"implemented": "1" if feedback.implemented else "0", "reason": feedback.reason}
                form = FeedbackForm(initial=initial, auto_id=f"id_m{measure['id']}_%s")
            rows.append({"measure": measure, "feedback": feedback, "form": form})
        if bound is not None and not any(row["form"] is bound for row in rows):
            # A measure this check did not return: no form to show the error next to.
            errors = [e for field_errors in bound.errors.values() for e in field_errors] or ["反馈未能保存。"]
            messages.error(request, "；".join(errors))
        lists = [{**item, "badge": BADGE_CLASS.get(item["color"], "badge")} for item in result.get("lists", [])]
        context = {
            "check": check,
            "result": result,
            "lists": lists,
            "measure_rows": rows,
            "feedback_done": sum(1 for row in rows if row["feedback"]),
        }
        return render(request, self.template_name, context, status=status)


class CheckHistoryView(StaffRequiredMixin, ListView):
    template_name = "lists/check_history.html"
    paginate_by = 50
    context_object_name = "checks"

    def get_queryset(self):
        return _history(self.request.user)


class BatchCheckView(StaffRequiredMixin, View):
    """Upload a list of subjects, check them all for one matter, download the answers as .xlsx."""

    template_name = "lists/check_batch.html"

    def get(self, request):
        return render(request, self.template_name, {"form": BatchCheckForm()})

    def post(self, request):
        form = BatchCheckForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        matter = form.cleaned_data["matter"]
        queries = form.cleaned_data["queries"]
        checks = credit_check_batch(queries=queries, matter=matter, user=request.user)
        content = batch_result_xlsx(checks, matter=matter, queries=queries)
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"批量信用核查结果-{matter.name}-{stamp}.xlsx"
        )
        return response


class FiguresView(CenterRequiredMixin, TemplateView):
    template_name = "lists/figures.html"

    def get_context_data(self, **kwargs):
        form = FiguresPeriodForm(self.request.GET or None)
        period = form.cleaned_data if form.is_bound and form.is_valid() else {}
        figures = credit_check_figures(date_from=period.get("date_from"), date_to=period.get("date_to"))
        return super().get_context_data(
            form=form,
            figures=figures,
            scoring_note=scoring_note(),
            badge_class=BADGE_CLASS,
            api_url=reverse("api-v1:credit-check-figures"),
            **kwargs,
        )
