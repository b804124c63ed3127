import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views import View
from django.views.generic import TemplateView

from apps.accounts.choices import Role
from apps.accounts.models import Department
from apps.accounts.permissions import CenterRequiredMixin, RoleRequiredMixin, StaffRequiredMixin
from apps.catalog.choices import PolicyKey
from apps.catalog.choices import Role as FieldRole
from apps.catalog.models import FieldSpec, Policy
from apps.commitments.selectors import commitment_timeliness
from apps.records.intake.services import uploads_needing_attention
from apps.records.models import ZeroReport
from apps.repair.selectors import notice_coverage
from apps.workdays.services import workdays_add

from . import selectors, services
from .forms import ManualEntryForm, ZeroReportForm
from .manual import deduction_items
from .models import Indicator, ManualEntry
from .scorecard import scorecard_build
from .selectors import SCORE_FORMULA, Month

PROBLEM_ROWS_SHOWN = 200
HISTORY_MONTHS = 12


def _month_from(request, *, default: Month) -> Month:
    """``?month=YYYY-MM``; a bad or future month falls back to ``default`` with a message."""
    raw = request.GET.get("month") or request.POST.get("month")
    if not raw:
        return default
    try:
        month = Month.parse(raw)
    except ValueError as exc:
        messages.error(request, str(exc))
        return default
    if month > Month.current():
        messages.error(request, f"{month.label}尚未到来，已显示{default.label}。")
        return default
    return month


def _ranking_url(month: Month) -> str:
    return f"{reverse('monitoring:ranking')}?{urlencode({'month': month.param})}"


# --- Ranking (credit center) ---------------------------------------------------------


class RankingView(CenterRequiredMixin, TemplateView):
    template_name = "monitoring/ranking.html"

    def get_context_data(self, **kwargs):
        month = _month_from(self.request, default=Month.current().previous)
        data, snapshot = services.ranking_for(month)
        return super().get_context_data(
            month=month,
            previous_month=month.previous,
            next_month=month.next if month.next <= Month.current() else None,
            data=data,
            snapshot=snapshot,
            month_ended=month.has_ended(),
            can_publish=month.has_ended() and not (snapshot and snapshot.is_published),
            formula=data.get("formula", SCORE_FORMULA),
            **kwargs,
        )


class RankingExportView(CenterRequiredMixin, View):
    def get(self, request):
        month = _month_from(request, default=Month.current().previous)
        data, snapshot = services.ranking_for(month)
        content = services.ranking_xlsx(data, month=month, snapshot=snapshot)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"部门报送排名-{month.param}.xlsx"
        )
        return response


class RankingPublishView(CenterRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        try:
            month = Month.parse(request.POST.get("month", ""))
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("monitoring:ranking")
        try:
            snapshot, published = services.ranking_publish(month, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_ranking_url(month))
        if published:
            messages.success(request, f"{month.label}部门排名已发布，发布后的排名不再随数据变化。")
        else:
            messages.info(
                request,
                f"{month.label}部门排名已于 {timezone.localtime(snapshot.published_at):%Y-%m-%d %H:%M} 发布，无需重复发布。",
            )
        return redirect(_ranking_url(month))


# --- A department's own figures --------------------------------------------------------


class DepartmentFiguresView(StaffRequiredMixin, TemplateView):
    """Clerks and reviewers see their own department; the credit center picks one."""

    template_name = "monitoring/department.html"

    def get_department(self):
        user = self.request.user
        code = (self.request.GET.get("department") or "").strip()
        if user.is_center or user.is_superuser:
            return get_object_or_404(Department, code=code) if code else None
        if user.department is None:
            raise PermissionDenied("账号未指定所属部门。")
        if code and code != user.department.code:
            raise PermissionDenied("只能查看本部门的报送情况。")
        return user.department

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        department = self.get_department()
        context.update(department=department, is_center=user.is_center or user.is_superuser)
        if context["is_center"]:
            context["departments"] = Department.objects.filter(is_active=True).order_by("code")
        if department is None:
            return context

        current = Month.current()
        month = _month_from(self.request, default=current)
        history_months = selectors.last_months(HISTORY_MONTHS, until=current)
        cells = selectors.month_figures(months=sorted(set(history_months) | {month}), department_ids=[department.pk])
        history = [(m, cells.department(department.pk, m)) for m in reversed(history_months)]
        by_type = [
            (cells.record_types[t], cells.record_type(t, month, department.pk))
            for t in cells.type_ids(month, department.pk)
        ]

        problems = selectors.problem_submissions(department=department, month=month)
        problem_count = problems.count()
        problem_rows = _with_key_fields(list(problems[:PROBLEM_ROWS_SHOWN]))

        today = timezone.localdate()
        nearing_workdays = Policy.objects.in_force(PolicyKey.DEADLINE_WARNING_WORKDAYS, on=today)
        nearing_workdays = nearing_workdays.value if nearing_workdays else 0
        latest = workdays_add(start=today, days=nearing_workdays).deadline
        nearing = list(selectors.records_nearing_deadline(department=department, latest=latest))

        own = user.department_id == department.pk
        context.update(
            commitment_figures=commitment_timeliness(department=department, since=month.first, until=month.next.first),
            month=month,
            current_month=current,
            history=history,
            history_months=[m for m in reversed(history_months)],
            month_figures=cells.department(department.pk, month),
            by_type=by_type,
            problem_rows=problem_rows,
            problem_count=problem_count,
            problems_truncated=problem_count > PROBLEM_ROWS_SHOWN,
            nearing=nearing,
            nearing_latest=latest,
            nearing_workdays=nearing_workdays,
            today=today,
            zero_reports=ZeroReport.objects.filter(department=department, month=current.first)
            .select_related("record_type", "declared_by")
            .order_by("record_type__sort_order"),
            zero_form=ZeroReportForm(department=department) if own and user.is_clerk else None,
            formula=SCORE_FORMULA,
            notice_coverage=_notice_coverage(department, month),
        )
        return context


def _notice_coverage(department, month):
    """两书同达 of the month's penalties (DOMAIN.md §6), read from the repair app's notice service."""

    return notice_coverage(
        department=department, date_from=month.first, date_to=month.next.first - datetime.timedelta(days=1)
    )


def _with_key_fields(submissions):
    """Attach the 决定文书号 and 行政相对人名称 a row was sent with, by its catalog roles."""
    type_ids = {s.record_type_id for s in submissions}
    roles = {}
    for type_id, role, code in FieldSpec.objects.filter(
        record_type_id__in=type_ids, role__in=[FieldRole.DECISION_NUMBER, FieldRole.SUBJECT_NAME]
    ).values_list("record_type_id", "role", "code"):
        roles[(type_id, role)] = code
    for submission in submissions:
        raw = submission.raw or {}
        submission.decision_number = raw.get(roles.get((submission.record_type_id, FieldRole.DECISION_NUMBER)), "")
        submission.subject_name = raw.get(roles.get((submission.record_type_id, FieldRole.SUBJECT_NAME)), "")
    return submissions


class ZeroReportView(RoleRequiredMixin, View):
    allowed_roles = (Role.CLERK,)
    http_method_names = ["post"]

    def post(self, request):
        department = request.user.department
        if department is None:
            raise PermissionDenied("账号未指定所属部门。")
        form = ZeroReportForm(request.POST, department=department)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("monitoring:my")
        record_type = form.cleaned_data["record_type"]
        try:
            zero, created = services.zero_report_declare(user=request.user, record_type=record_type)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("monitoring:my")
        month = Month.of(zero.month)
        if created:
            messages.success(request, f"已声明{month.label}“{record_type.name}”零报告。")
        else:
            messages.info(
                request,
                f"本部门已于 {timezone.localtime(zero.declared_at):%Y-%m-%d %H:%M} 声明{month.label}“{record_type.name}”零报告。",
            )
        return redirect("monitoring:my")


# --- Self-assessment dashboard (credit center) -----------------------------------------


class DashboardView(CenterRequiredMixin, TemplateView):
    template_name = "monitoring/dashboard.html"

    def get_context_data(self, **kwargs):
        card = scorecard_build()
        for line in card.lines:
            line.drill_href = _drill_href(line.indicator.drill_url)
            if line.entered:
                line.deduction_items = list(deduction_items(line.indicator).values())
        charts = {
            line.indicator.code: {"name": line.indicator.name, "points": [[m, v] for m, v in line.trend]}
            for line in card.lines
            if line.trend
        }
        return super().get_context_data(
            card=card,
            charts=charts,
            period_months=[m.param for m in reversed(card.period.months)],
            stuck_uploads=uploads_needing_attention(),
            stuck_minutes=settings.UPLOAD_STUCK_MINUTES,
            max_requeues=settings.UPLOAD_MAX_REQUEUES,
            **kwargs,
        )


def _drill_href(url_name: str) -> str:
    """The page listing the rows behind an indicator; a name staff mistyped shows no link rather than an error."""
    if not url_name:
        return ""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


class DashboardExportView(CenterRequiredMixin, View):
    def get(self, request):
        card = scorecard_build()
        response = HttpResponse(
            services.scorecard_xlsx(card),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(True, f"信用体系建设自评-{card.on:%Y%m%d}.xlsx")
        return response


class ManualEntryView(CenterRequiredMixin, View):
    """The credit center enters a 人工评分 or a 扣分事项 with its evidence (append-only; audit-logged)."""

    http_method_names = ["post"]

    def post(self, request):
        form = ManualEntryForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("monitoring:dashboard")
        data = form.cleaned_data
        indicator = next(
            (i for i in Indicator.objects.in_force(on=timezone.localdate()) if i.code == data["code"]), None
        )
        if indicator is None:
            messages.error(request, "评分表中没有该指标。")
            return redirect("monitoring:dashboard")
        try:
            month = Month.parse(data["month"])
            entry = services.manual_entry_record(
                user=request.user,
                indicator=indicator,
                month=month,
                note=data["note"],
                uploaded=data["evidence"],
                points=data["points"],
                item=data["item"] or "",
            )
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("monitoring:dashboard")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("monitoring:dashboard")
        verb = "扣分" if entry.item else "评分"
        messages.success(
            request, f"已登记“{indicator.name}”{verb} {entry.points} 分（{Month.of(entry.month).label}）。"
        )
        return redirect(f"{reverse('monitoring:dashboard')}#line-{indicator.code}")


class EvidenceView(CenterRequiredMixin, View):
    """The evidence file of an entry: always a download, never rendered in the browser."""

    def get(self, request, pk):
        entry = get_object_or_404(ManualEntry, pk=pk)
        return FileResponse(
            entry.file.open("rb"), content_type=entry.content_type, filename=entry.original_name, as_attachment=True
        )
