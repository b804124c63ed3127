"""Pages of credit repair and objections. Views only read the request, call a service or selector, and render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views import View

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, RoleRequiredMixin, StaffRequiredMixin, has_role
from apps.catalog.spec import TypeSpec
from apps.records.intake.services import upload_queryset_for
from apps.records.models import Record
from apps.records.selectors import public_record
from apps.subjects.codes import check_uscc
from apps.subjects.models import Subject
from credit_portal.client_ip import client_ip_or_none
from credit_portal.ratelimits import over_limit, rate_limited

from . import permissions
from .choices import BatchState, DueFlag, ObjectionState, RepairState
from .documents import BULK_MAX, commitment_pdf, notice_filename, repair_notice_pdf
from .forms import (
    BulkNoticeServiceForm,
    NoticeServiceForm,
    ObjectionCloseForm,
    ObjectionCorrectForm,
    ObjectionForm,
    PeriodForm,
    ReasonForm,
    RepairApplyForm,
    SupplementForm,
    VerifyForm,
)
from .policy import PolicyMissing
from .selectors import (
    case_figures,
    material_visible,
    notice_batches_visible,
    notice_records,
    objections_visible,
    repair_applications_visible,
    subject_records,
    upload_notice_records,
)
from .services import applications, notices, objections
from .tasks import notice_batch_queue

PDF = "application/pdf"


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- repair applications ------------------------------------------------------------------


class RepairListView(LoginRequiredMixin, View):
    def get(self, request):
        qs = repair_applications_visible(user=request.user)
        state, flag = request.GET.get("state", ""), request.GET.get("flag", "")
        if state in RepairState.values:
            qs = qs.filter(state=state)
        if flag in (DueFlag.DUE_SOON, DueFlag.OVERDUE):
            qs = qs.filter(due_flag=flag)
        return render(request, "repair/list.html", {
            "applications": qs[:500], "states": RepairState.choices, "state": state, "flag": flag,
            "today": timezone.localdate(),
        })  # fmt: skip


class MyRecordsView(RoleRequiredMixin, View):
    """A subject's account: its records with what it may do about each, its cases."""

    allowed_roles = (Role.SUBJECT,)

    def get(self, request):
        subject = request.user.subject
        today = timezone.localdate()
        rows = []
        for record in subject_records(subject=subject):
            try:
                reasons = applications.repair_eligibility(record=record, on=today, subject=subject)
            except PolicyMissing as exc:
                reasons = [str(exc)]
            rows.append((record, reasons))
        return render(request, "repair/my.html", {
            "subject": subject, "rows": rows,
            "applications": repair_applications_visible(user=request.user),
            "objections": objections_visible(user=request.user),
        })  # fmt: skip


class RepairApplyView(RoleRequiredMixin, View):
    """Subjects apply for their own records; credit-center (hall) staff enter an application on a subject's behalf,
    finding it by USCC or — a natural person — by ID number (posted, logged, only ever shown masked)."""

    allowed_roles = (Role.SUBJECT, *CENTER_ROLES)

    def subject(self):
        if self.request.user.role == Role.SUBJECT:
            return self.request.user.subject
        pk = self.request.POST.get("subject", "")
        if pk.isdigit():  # chosen by the lookup: a pk, so no ID number travels in the page
            return Subject.objects.filter(pk=pk).first()
        code = (self.request.GET.get("code") or self.request.POST.get("code") or "").strip().upper()
        if not code or not check_uscc(code).valid:  # an ID number is looked up by POST only, never from the URL
            return None
        return Subject.objects.filter(uscc=code).first()

    def render_form(self, form, subject, *, code="", problems=()):
        records = list(form.fields["records"].queryset)
        return render(self.request, "repair/apply.html", {
            "form": form, "subject": subject, "records": records, "on_behalf": self.request.user.role != Role.SUBJECT,
            "code": code, "lookup_problems": problems,
        })  # fmt: skip

    def get(self, request):
        subject = self.subject()
        initial = {"contact_name": request.user.full_name, "contact_phone": request.user.phone,
                   "contact_email": request.user.email} if request.user.role == Role.SUBJECT else {}  # fmt: skip
        chosen = request.GET.getlist("record")
        if chosen:
            initial["records"] = chosen
        form = RepairApplyForm(initial=initial, records=subject_records(subject=subject))
        code, problems = request.GET.get("code", "").strip(), []
        if code and subject is None and request.user.role != Role.SUBJECT:
            if check_uscc(code).valid:
                problems = ["未找到该统一社会信用代码的主体。"]
            else:
                problems, code = ["请在查找框中输入统一社会信用代码或身份证号码后点击“查找主体”。"], ""
        return self.render_form(form, subject, code=code, problems=problems)

    def lookup(self, request):
        subject, display, problems = applications.on_behalf_subject_find(
            code=request.POST.get("code", ""), user=request.user, remote_addr=client_ip_or_none(request)
        )
        form = RepairApplyForm(records=subject_records(subject=subject))
        response = self.render_form(form, subject, code=display, problems=problems)
        add_never_cache_headers(response)
        return response

    def post(self, request):
        if request.POST.get("lookup") and request.user.role != Role.SUBJECT:
            return self.lookup(request)
        subject = self.subject()
        form = RepairApplyForm(request.POST, request.FILES, records=subject_records(subject=subject))
        if form.is_valid():
            data = form.cleaned_data
            on_behalf = request.user.role != Role.SUBJECT
            try:
                created = applications.repair_application_submit(
                    records=data["records"], subject=subject, contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"], contact_email=data["contact_email"],
                    statement=data["statement"], materials=form.materials(),
                    applicant=None if on_behalf else request.user, entered_by=request.user if on_behalf else None,
                )  # fmt: skip
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                numbers = "、".join(a.number for a in created)
                messages.success(request, f"信用修复申请已提交（编号 {numbers}），受理结果将通过消息中心告知。")
                return redirect("repair:detail", pk=created[0].pk)
        else:
            # Eligibility and materials are checked even when a field is missing: every problem at once.
            chosen = subject_records(subject=subject).filter(pk__in=request.POST.getlist("records"))
            materials = [(name, request.FILES.get(name)) for name in form.MATERIAL_FIELDS]
            errors, _files = applications.repair_application_problems(
                records=list(chosen), subject=subject, materials=materials, on=timezone.localdate()
            )
            for field, messages_ in errors.items():
                if not form.has_error(field):
                    form.add_error(field, messages_)
        return self.render_form(form, subject)


class RepairDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        application = get_object_or_404(repair_applications_visible(user=request.user), pk=pk)
        context = {
            "a": application,
            "record": application.record,
            "events": application.events.select_related("actor"),
            "materials": application.materials.all(),
            **permissions.repair_buttons(request.user, application),
            "reason_form": ReasonForm(),
            "verify_form": VerifyForm(),
            "supplement_form": SupplementForm(),
        }
        return render(request, "repair/detail.html", context)


def _valid(form) -> dict:
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    return form.cleaned_data


def _reason(request) -> str:
    return request.POST.get("reason", "").strip()


def _reply(request) -> str:
    return request.POST.get("reply", "").strip()


def _verify(request, application):
    data = _valid(VerifyForm(request.POST))
    applications.repair_application_verify(
        application=application, actor=request.user, agrees=data["agrees"], opinion=data["opinion"]
    )


def _supplement(request, application):
    data = _valid(SupplementForm(request.POST, request.FILES))
    applications.repair_application_supplement(
        application=application, actor=request.user, materials=[(data["kind"], data["file"])], note=data["note"]
    )


# The detail page's buttons: action in the URL → (what it does, what the user is told).
REPAIR_ACTIONS = {
    "accept": (
        lambda r, a: applications.repair_application_accept(application=a, actor=r.user, note=_reason(r)),
        "已受理，已转信息提供部门核实。",
    ),
    "refuse": (
        lambda r, a: applications.repair_application_refuse(application=a, actor=r.user, reason=_reason(r)),
        "已作出不予受理决定并告知申请人。",
    ),
    "verify": (_verify, "核实意见已提交信用中心。"),
    "request": (
        lambda r, a: applications.repair_application_request_supplement(
            application=a, actor=r.user, request=_reason(r)
        ),
        "已通知申请人补充材料。",
    ),
    "supplement": (_supplement, "材料已补充，申请已回到办理环节。"),
    "approve": (
        lambda r, a: applications.repair_application_approve(application=a, reviewer=r.user, reason=_reason(r)),
        "已准予修复：该信息已停止公示，不再作为联合惩戒依据。",
    ),
    "reject": (
        lambda r, a: applications.repair_application_reject(application=a, reviewer=r.user, reason=_reason(r)),
        "已作出不予修复决定并告知申请人。",
    ),
    "withdraw": (
        lambda r, a: applications.repair_application_withdraw(application=a, actor=r.user, reason=_reason(r)),
        "申请已撤回。",
    ),
}


class CaseActionView(LoginRequiredMixin, View):
    """POST-only workflow buttons of a case's detail page, looked up in ``actions``."""

    actions: dict = {}
    detail_url_name = ""

    def visible(self, user):
        raise NotImplementedError

    def post(self, request, pk, action):
        case = get_object_or_404(self.visible(request.user), pk=pk)
        if action not in self.actions:
            raise Http404("未知操作")
        run, done = self.actions[action]
        try:
            run(request, case)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
        return redirect(self.detail_url_name, pk=pk)


class RepairActionView(CaseActionView):
    actions = REPAIR_ACTIONS
    detail_url_name = "repair:detail"

    def visible(self, user):
        return repair_applications_visible(user=user)


class MaterialDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        try:
            material = material_visible(user=request.user, pk=pk)
        except ObjectDoesNotExist:
            raise Http404("材料不存在。") from None
        # Always a download (the public uploads these), never rendered in the staff's browser; nosniff
        # (SecurityMiddleware) keeps the browser to the checked type.
        return FileResponse(
            material.file.open("rb"), content_type=material.content_type, filename=material.original_name,
            as_attachment=True,
        )  # fmt: skip


class CommitmentPdfView(LoginRequiredMixin, View):
    """The 信用修复承诺书 filled in for one record, to sign and upload."""

    def get(self, request, record_pk):
        user = request.user
        if user.role == Role.SUBJECT:
            record = get_object_or_404(subject_records(subject=user.subject), pk=record_pk)
        elif has_role(user, CENTER_ROLES):
            record = get_object_or_404(
                Record.objects.select_related("record_type", "department", "subject"), pk=record_pk
            )
        else:
            raise PermissionDenied("仅信用主体和信用中心可以生成承诺书。")
        pdf = commitment_pdf(record=record, subject=record.subject)
        return _attachment(pdf, f"信用修复承诺书-{record.pk}.pdf", PDF)


class NoticePdfView(StaffRequiredMixin, View):
    """两书同达: the 信用修复告知书 of one published penalty, served with the penalty decision."""

    def get(self, request, record_pk):
        record = get_object_or_404(notice_records(user=request.user), pk=record_pk)
        return _attachment(repair_notice_pdf(record=record), notice_filename(record), PDF)


class NoticeBulkView(StaffRequiredMixin, View):
    """The department's published penalties decided in a period; their 告知书 in one zip, built by a Celery task."""

    def render_page(self, request, form, *, status=200):
        records = None
        if form.is_bound and form.is_valid():
            d = form.cleaned_data
            records = notice_records(user=request.user).filter(
                decision_date__gte=d["date_from"], decision_date__lte=d["date_to"]
            )
            records = records.order_by("decision_date", "pk")[:BULK_MAX]
        return render(request, "repair/notices.html", {
            "form": form, "records": records, "bulk_max": BULK_MAX,
            "batches": notice_batches_visible(user=request.user)[:10],
        }, status=status)  # fmt: skip

    def get(self, request):
        return self.render_page(request, PeriodForm(request.GET or None))

    def post(self, request):
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                batch = notices.notice_batch_request(
                    user=request.user, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                notice_batch_queue(batch)
                messages.success(request, f"已开始生成 {batch.total} 份告知书，完成后可在本页下载。")
                return redirect("repair:notice_batch", pk=batch.pk)
        return self.render_page(request, form, status=400)


class NoticeBatchView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(notice_batches_visible(user=request.user), pk=pk)
        return render(request, "repair/notice_batch.html", {"batch": batch})


class NoticeBatchProgressView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(notice_batches_visible(user=request.user), pk=pk)
        response = JsonResponse({
            "state": batch.state, "state_display": batch.get_state_display(), "done": batch.done,
            "total": batch.total, "percent": batch.percent, "finished": batch.finished,
        })  # fmt: skip
        add_never_cache_headers(response)
        return response


class NoticeBatchDownloadView(StaffRequiredMixin, View):
    def get(self, request, pk):
        batch = get_object_or_404(notice_batches_visible(user=request.user), pk=pk)
        if batch.state != BatchState.DONE or not batch.file:
            raise Http404("告知书尚未生成完毕。")
        return FileResponse(batch.file.open("rb"), as_attachment=True, filename=batch.filename,
                            content_type="application/zip")  # fmt: skip


class NoticeServeView(StaffRequiredMixin, View):
    """Record on the record page when and how the 告知书 of one penalty was served."""

    def post(self, request, record_pk):
        record = get_object_or_404(notice_records(user=request.user), pk=record_pk)
        form = NoticeServiceForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"送达登记未保存：{error}")
            return redirect("records:detail", pk=record.pk)
        d = form.cleaned_data
        try:
            (service,) = notices.notice_service_record(
                records=[record], served_on=d["served_on"], method=d["method"], note=d["note"], user=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, f"送达登记未保存：{message}")
        else:
            together = "，两书同达" if service.served_with_decision else "（未与处罚决定书同日送达）"
            messages.success(
                request, f"已登记告知书送达：{service.served_on:%Y-%m-%d} {service.get_method_display()}{together}。"
            )
        return redirect("records:detail", pk=record.pk)


class UploadNoticesView(StaffRequiredMixin, View):
    """The penalties one upload stored: their 告知书 in one zip, and their service recorded in bulk."""

    def get_upload(self, request, pk):
        return get_object_or_404(upload_queryset_for(request.user), pk=pk)

    def render_page(self, request, upload, form, *, status=200):
        records = upload_notice_records(user=request.user, upload=upload)
        return render(request, "repair/upload_notices.html", {
            "upload": upload, "records": records[:BULK_MAX], "count": records.count(), "bulk_max": BULK_MAX,
            "form": form, "batches": notice_batches_visible(user=request.user).filter(upload=upload)[:5],
        }, status=status)  # fmt: skip

    def make_form(self, request, upload, data=None):
        return BulkNoticeServiceForm(data, records=upload_notice_records(user=request.user, upload=upload))

    def get(self, request, pk):
        upload = self.get_upload(request, pk)
        return self.render_page(request, upload, self.make_form(request, upload))

    def post(self, request, pk):
        upload = self.get_upload(request, pk)
        if request.POST.get("action") == "zip":
            try:
                batch = notices.notice_upload_batch_request(user=request.user, upload=upload)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("repair:upload_notices", pk=upload.pk)
            notice_batch_queue(batch)
            messages.success(request, f"已开始生成 {batch.total} 份告知书，完成后可在本页下载。")
            return redirect("repair:notice_batch", pk=batch.pk)
        form = self.make_form(request, upload, request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = notices.notice_service_record(
                    records=d["records"], served_on=d["served_on"], method=d["method"], note=d["note"],
                    user=request.user,
                )  # fmt: skip
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                together = sum(1 for s in saved if s.served_with_decision)
                messages.success(request, f"已登记 {len(saved)} 份告知书的送达，其中两书同达 {together} 份。")
                return redirect("repair:upload_notices", pk=upload.pk)
        return self.render_page(request, upload, form, status=400)


class FiguresView(CenterRequiredMixin, View):
    def get(self, request):
        today = timezone.localdate()
        form = PeriodForm(request.GET or {"date_from": today.replace(day=1), "date_to": today})
        figures = []
        if form.is_valid():
            figures = case_figures(date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
        overdue = list(repair_applications_visible(user=request.user).filter(due_flag=DueFlag.OVERDUE)[:50])
        overdue_objections = list(objections_visible(user=request.user).filter(due_flag=DueFlag.OVERDUE)[:50])
        return render(request, "repair/figures.html", {
            "form": form, "figures": figures, "overdue": overdue, "overdue_objections": overdue_objections,
        })  # fmt: skip


# --- objections ------------------------------------------------------------------------------


class ObjectionListView(LoginRequiredMixin, View):
    def get(self, request):
        qs = objections_visible(user=request.user)
        state, flag = request.GET.get("state", ""), request.GET.get("flag", "")
        if state in ObjectionState.values:
            qs = qs.filter(state=state)
        if flag in (DueFlag.DUE_SOON, DueFlag.OVERDUE):
            qs = qs.filter(due_flag=flag)
        return render(request, "repair/objection_list.html", {
            "objections": qs[:500], "states": ObjectionState.choices, "state": state, "flag": flag,
        })  # fmt: skip


class ObjectionCreateView(View):
    """Anyone concerned: the public form (contact details) for a publicly shown record; a subject's account for its own."""

    def record(self, request, record_pk):
        user = request.user
        if user.is_authenticated and user.role == Role.SUBJECT:
            record = subject_records(subject=user.subject).filter(pk=record_pk).first()
            if record is not None:
                return record
        try:
            return public_record(pk=record_pk, on=timezone.localdate())
        except Record.DoesNotExist:
            raise Http404("该信息不存在或不在公示期内。") from None

    def get(self, request, record_pk):
        record = self.record(request, record_pk)
        user = request.user
        initial = {}
        if user.is_authenticated:
            initial = {"contact_name": user.full_name, "contact_phone": user.phone, "contact_email": user.email}
        form = ObjectionForm(initial=initial, anonymous=not user.is_authenticated)
        return render(request, "repair/objection_form.html", {"form": form, "record": record})

    def post(self, request, record_pk):
        # The anonymous form is the platform's only public write: its submissions are rate limited per address.
        if not request.user.is_authenticated and over_limit(request, "PORTAL_RATE_OBJECTION"):
            return rate_limited(request)
        record = self.record(request, record_pk)
        form = ObjectionForm(request.POST, request.FILES, anonymous=not request.user.is_authenticated)
        if form.is_valid():
            try:
                objection = objections.objection_submit(
                    record=record, filer=request.user if request.user.is_authenticated else None, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if request.user.is_authenticated:
                    messages.success(request, f"异议申请已提交（编号 {objection.number}）。")
                    return redirect("repair:objection_detail", pk=objection.pk)
                return render(request, "repair/objection_done.html", {"objection": objection})
        return render(request, "repair/objection_form.html", {"form": form, "record": record})


class ObjectionLookupForm(forms.Form):
    number = forms.CharField(label="异议编号", max_length=20, error_messages={"required": "请填写异议编号。"})
    code = forms.CharField(label="查询码", max_length=20, error_messages={"required": "请填写查询码。"})


def objection_lookup(request):
    """A public objector follows their case by number and code (the account holder sees it under 我的异议)."""
    if request.GET and over_limit(request, "PORTAL_RATE_VERIFY"):
        return rate_limited(request)
    form = ObjectionLookupForm(request.GET or None)
    objection, not_found = None, False
    if form.is_valid():
        objection = objections.objection_lookup(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
        not_found = objection is None
    events = objection.events.order_by("at", "pk") if objection else []
    return render(
        request,
        "repair/objection_lookup.html",
        {"form": form, "objection": objection, "events": events, "not_found": not_found},
    )


class ObjectionDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        objection = get_object_or_404(objections_visible(user=request.user), pk=pk)
        buttons = permissions.objection_buttons(request.user, objection)
        specs = []
        if buttons["can_verify"]:
            spec = TypeSpec.load(objection.record.record_type)
            key = spec.field_code("decision_number")
            specs = [f for f in spec.fields if f.code != key]
        return render(request, "repair/objection_detail.html", {
            "o": objection, "record": objection.record, "events": objection.events.select_related("actor"),
            "materials": objection.materials.all(), **buttons,
            "reason_form": ReasonForm(), "close_form": ObjectionCloseForm(auto_id="close_%s"),
            "correct_form": ObjectionCorrectForm(specs=specs) if buttons["can_verify"] else None,
        })  # fmt: skip


def _correct(request, objection):
    code, value = request.POST.get("field", ""), request.POST.get("value", "")
    objections.objection_correct(
        objection=objection, actor=request.user, changes={code: value} if code else {}, reply=_reply(request)
    )


OBJECTION_ACTIONS = {
    "accept": (
        lambda r, o: objections.objection_accept(objection=o, actor=r.user, note=_reason(r)),
        "已受理，已转信息提供部门核实。",
    ),
    "refuse": (
        lambda r, o: objections.objection_refuse(objection=o, actor=r.user, reply=_reason(r)),
        "已不予受理并答复申请人。",
    ),
    "correct": (_correct, "已更正该信息并答复申请人，更正前后内容记入历史。"),
    "revoke": (
        lambda r, o: objections.objection_revoke(objection=o, actor=r.user, reply=_reply(r)),
        "已撤销该信息并答复申请人。",
    ),
    "uphold": (
        lambda r, o: objections.objection_uphold(objection=o, actor=r.user, reply=_reply(r)),
        "已维持原信息并答复申请人。",
    ),
    "withdraw": (
        lambda r, o: objections.objection_withdraw(objection=o, actor=r.user, reason=_reason(r)),
        "异议已撤回。",
    ),
}


class ObjectionActionView(CaseActionView):
    actions = OBJECTION_ACTIONS
    detail_url_name = "repair:objection_detail"

    def visible(self, user):
        return objections_visible(user=user)
