"""Exchange pages: the outbox and the downloads. Thin: forms validate, services act, selectors read."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View

from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, StaffRequiredMixin, has_role
from apps.records.export import XLSX_CONTENT_TYPE
from credit_portal.client_ip import client_ip_or_none

from .choices import OutboxStatus
from .export import exchange_xlsx
from .forms import ExchangeExportForm, PushForm, ResendForm
from .models import OutboxBatch
from .push import upstream_url
from .selectors import exchange_data, outbox_batches
from .services import outbox_batch_create, outbox_batch_resend, share_export_prepare

BATCHES_SHOWN = 50


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _upstream_state() -> tuple[str, str]:
    try:
        return upstream_url(), ""
    except ValidationError as exc:
        return "", _errors(exc)


class ExchangeIndexView(StaffRequiredMixin, View):
    template_name = "exchange/index.html"

    def get(self, request, export_form=None, push_form=None, status=200):
        center = has_role(request.user, CENTER_ROLES)
        context = {"export_form": export_form or ExchangeExportForm(user=request.user), "center": center}
        if center:
            endpoint, problem = _upstream_state()
            context |= {
                "push_form": push_form or PushForm(),
                "batches": outbox_batches()[:BATCHES_SHOWN],
                "endpoint": endpoint,
                "endpoint_problem": problem,
                "failed": OutboxStatus.FAILED,
            }
        return render(request, self.template_name, context, status=status)


def _workbook_response(data, *, name: str, form) -> HttpResponse:
    filename = "{}_{:%Y%m%d}-{:%Y%m%d}.xlsx".format(name, form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    response = HttpResponse(exchange_xlsx(data), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


class ExchangeDownloadView(StaffRequiredMixin, View):
    """Masked: records, repair and objection outcomes of a period (department staff: their own)."""

    def get(self, request):
        form = ExchangeExportForm(request.GET, user=request.user)
        if not form.is_valid():
            return _form_error(request, form)
        if form.full:  # only the center's form offers it; the share view checks the role again
            return ShareDownloadView.as_view()(request)
        department = form.export_department
        try:
            data = exchange_data(
                date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"], department=department
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
            return _form_error(request, form)
        return _workbook_response(data, name=f"交换数据_{department.name if department else '全部部门'}", form=form)


class ShareDownloadView(CenterRequiredMixin, View):
    """政务共享: the same workbook with full ID numbers, each revealed subject logged (center only)."""

    def get(self, request):
        form = ExchangeExportForm(request.GET, user=request.user)
        if not form.is_valid():
            return _form_error(request, form)
        department = form.cleaned_data.get("department")
        try:
            data = share_export_prepare(
                user=request.user,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
                department=department,
                remote_addr=client_ip_or_none(request),
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
            return _form_error(request, form)
        return _workbook_response(data, name=f"政务共享_{department.name if department else '全部部门'}", form=form)


def _form_error(request, form):
    view = ExchangeIndexView()
    view.request = request
    return view.get(request, export_form=form, status=400)


class PushCreateView(CenterRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = PushForm(request.POST)
        if form.is_valid():
            try:
                batch = outbox_batch_create(
                    user=request.user,
                    date_from=form.cleaned_data["date_from"],
                    date_to=form.cleaned_data["date_to"],
                    remote_addr=client_ip_or_none(request),
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, f"已生成上报批次 {batch.batch_id}（{batch.total} 条），正在发送。")
                return redirect("exchange:index")
        return _push_error(request, form)


def _push_error(request, form):
    view = ExchangeIndexView()
    view.request = request
    return view.get(request, push_form=form, status=400)


class ResendView(CenterRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = ResendForm(request.POST)
        if not form.is_valid():
            messages.error(request, _errors(ValidationError(list(form.errors.get("batch", ["批次号不正确。"])))))
            return redirect("exchange:index")
        batch = OutboxBatch.objects.filter(batch_id=form.cleaned_data["batch"]).first()
        if batch is None:
            messages.error(request, "未找到该批次。")
            return redirect("exchange:index")
        try:
            outbox_batch_resend(batch=batch, user=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"批次 {batch.batch_id} 已重新发送（{timezone.localtime():%H:%M}）。")
        return redirect("exchange:index")
