"""Pages of credit repair applications. Views only read the request, call a service or selector, and render.

Objections are in ``views_objections.py``, the 告知书 pages in ``views_notices.py``."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, RoleRequiredMixin, has_role
from apps.records.models import Record
from apps.subjects.codes import check_uscc
from apps.subjects.models import Subject
from credit_portal.client_ip import client_ip_or_none

from . import permissions
from .choices import DueFlag, RepairState
from .documents import commitment_pdf
from .forms import (
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
    objections_visible,
    repair_applications_visible,
    subject_records,
)
from .services import applications
from .views_common import PDF, CaseActionView, add_errors, attachment, reason, valid


class RepairListView(LoginRequiredMixin, View):
    def get(self, request):
        qs = repair_applications_visible(user=request.user)
        state, flag = request.GET.get("state", ""), request.GET.get("flag", "")
        if state in RepairState.values:
            qs = qs.filter(state=state)
        if flag in (DueFlag.DUE_SOON, DueFlag.OVERDUE):
            qs = qs.filter(due_flag=flag)
        return render(
            request,
            "repair/list.html",
            {
                "applications": qs[:500],
                "states": RepairState.choices,
                "state": state,
                "flag": flag,
                "today": timezone.localdate(),
            },
        )


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
        return render(
            request,
            "repair/my.html",
            {
                "subject": subject,
                "rows": rows,
                "applications": repair_applications_visible(user=request.user),
                "objections": objections_visible(user=request.user),
            },
        )


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
        return render(
            self.request,
            "repair/apply.html",
            {
                "form": form,
                "subject": subject,
                "records": records,
                "on_behalf": self.request.user.role != Role.SUBJECT,
                "code": code,
                "lookup_problems": problems,
            },
        )

    def get(self, request):
        subject = self.subject()
        initial = (
            {
                "contact_name": request.user.full_name,
                "contact_phone": request.user.phone,
                "contact_email": request.user.email,
            }
            if request.user.role == Role.SUBJECT
            else {}
        )
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
                    records=data["records"],
                    subject=subject,
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    contact_email=data["contact_email"],
                    statement=data["statement"],
                    materials=form.materials(),
                    applicant=None if on_behalf else request.user,
                    entered_by=request.user if on_behalf else None,
                )
            except ValidationError as exc:
                add_errors(form, exc)
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


def _verify(request, application):
    data = valid(VerifyForm(request.POST))
    applications.repair_application_verify(
        application=application, actor=request.user, agrees=data["agrees"], opinion=data["opinion"]
    )


def _supplement(request, application):
    data = valid(SupplementForm(request.POST, request.FILES))
    applications.repair_application_supplement(
        application=application, actor=request.user, materials=[(data["kind"], data["file"])], note=data["note"]
    )


# The detail page's buttons: action in the URL → (what it does, what the user is told).
REPAIR_ACTIONS = {
    "accept": (
        lambda r, a: applications.repair_application_accept(application=a, actor=r.user, note=reason(r)),
        "已受理，已转信息提供部门核实。",
    ),
    "refuse": (
        lambda r, a: applications.repair_application_refuse(application=a, actor=r.user, reason=reason(r)),
        "已作出不予受理决定并告知申请人。",
    ),
    "verify": (_verify, "核实意见已提交信用中心。"),
    "request": (
        lambda r, a: applications.repair_application_request_supplement(application=a, actor=r.user, request=reason(r)),
        "已通知申请人补充材料。",
    ),
    "supplement": (_supplement, "材料已补充，申请已回到办理环节。"),
    "approve": (
        lambda r, a: applications.repair_application_approve(application=a, reviewer=r.user, reason=reason(r)),
        "已准予修复：该信息已停止公示，不再作为联合惩戒依据。",
    ),
    "reject": (
        lambda r, a: applications.repair_application_reject(application=a, reviewer=r.user, reason=reason(r)),
        "已作出不予修复决定并告知申请人。",
    ),
    "withdraw": (
        lambda r, a: applications.repair_application_withdraw(application=a, actor=r.user, reason=reason(r)),
        "申请已撤回。",
    ),
}


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
            material.file.open("rb"),
            content_type=material.content_type,
            filename=material.original_name,
            as_attachment=True,
        )


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
        return attachment(pdf, f"信用修复承诺书-{record.pk}.pdf", PDF)


class FiguresView(CenterRequiredMixin, View):
    def get(self, request):
        today = timezone.localdate()
        form = PeriodForm(request.GET or {"date_from": today.replace(day=1), "date_to": today})
        figures = []
        if form.is_valid():
            figures = case_figures(date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
        overdue = list(repair_applications_visible(user=request.user).filter(due_flag=DueFlag.OVERDUE)[:50])
        overdue_objections = list(objections_visible(user=request.user).filter(due_flag=DueFlag.OVERDUE)[:50])
        return render(
            request,
            "repair/figures.html",
            {
                "form": form,
                "figures": figures,
                "overdue": overdue,
                "overdue_objections": overdue_objections,
            },
        )
