"""Subject signing, department entry and fulfilment, template editing, the public 信用承诺公示 page."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views import View

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, RoleRequiredMixin, StaffRequiredMixin, has_role
from apps.records.intake.guards import UploadError
from apps.records.intake.rows import XLSX_MEDIA_TYPE
from apps.subjects.codes import normalise_code
from apps.subjects.models import Subject
from credit_portal.pagination import bounded_page

from .choices import Channel, CommitmentType
from .forms import FulfilForm, ImportForm, PaperForm, SignForm, TemplateForm
from .imports import read_rows, template_workbook
from .models import Commitment, CommitmentTemplate
from .selectors import (
    commitment_timeliness,
    public_commitments_qs,
    public_commitments_search,
    public_notice_matters,
    public_subject_name,
    public_template,
    public_templates,
    template_public_body,
)
from .services import commitment_coverage, commitment_fulfil, commitment_sign, commitments_import


class PublicListView(View):
    """信用承诺公示: code, subject (a person's name and ID masked), type, matter, date, fulfilment."""

    public_query = True  # statement timeout (credit_portal/public_queries.py)

    def get(self, request):
        qs = public_commitments_qs()
        q = (request.GET.get("q") or "").strip()
        if q:
            qs = public_commitments_search(qs, q)
        page = bounded_page(qs, request.GET.get("page"), per_page=50)
        rows = [
            {"c": c, "name": public_subject_name(c.subject), "code": c.subject.public_code} for c in page.object_list
        ]
        querystring = urlencode({"q": q}) if q else ""
        return render(
            request, "commitments/public_list.html", {"page": page, "rows": rows, "q": q, "querystring": querystring}
        )


PUBLIC_PAGE_SIZE = 20


class PublicTemplateListView(View):
    """信用承诺书模板 (文登 #1): the templates a subject may sign, by type, with their supervising department."""

    public_query = True

    def get(self, request):
        type_ = request.GET.get("type", "")
        type_ = type_ if type_ in CommitmentType.values else ""
        q = (request.GET.get("q") or "").strip()[:100]
        page = bounded_page(public_templates(type=type_, q=q), request.GET.get("page"), per_page=PUBLIC_PAGE_SIZE)
        query = {k: v for k, v in (("type", type_), ("q", q)) if v}
        return render(
            request,
            "commitments/public_templates.html",
            {"page": page, "type": type_, "q": q, "types": CommitmentType.choices, "querystring": urlencode(query)},
        )


class PublicTemplateDetailView(View):
    """One template's text as a blank form (placeholders shown as 【…】), with how to sign it."""

    public_query = True

    def get(self, request, pk):
        try:
            template = public_template(pk=pk)
        except CommitmentTemplate.DoesNotExist:
            raise Http404("该承诺书模板不存在或已停用。") from None
        return render(
            request,
            "commitments/public_template.html",
            {"t": template, "body": template_public_body(template.body)},
        )


class PublicNoticeMattersView(View):
    """告知承诺办理事项清单 (平陆 #9): the matters handled on a 告知承诺, each with its template and department."""

    public_query = True

    def get(self, request):
        q = (request.GET.get("q") or "").strip()[:100]
        page = bounded_page(public_notice_matters(q=q), request.GET.get("page"), per_page=PUBLIC_PAGE_SIZE)
        return render(
            request,
            "commitments/public_matters.html",
            {"page": page, "q": q, "querystring": urlencode({"q": q}) if q else ""},
        )


class MyCommitmentsView(RoleRequiredMixin, View):
    allowed_roles = (Role.SUBJECT,)

    def get(self, request):
        subject = request.user.subject
        items = Commitment.objects.filter(subject=subject) if subject else Commitment.objects.none()
        return render(request, "commitments/my.html", {"items": items, "form": SignForm(), "subject": subject})

    def post(self, request):
        form = SignForm(request.POST)
        subject = request.user.subject
        if subject is None:
            form.add_error(None, "您的账号尚未认领信用主体。")
        if form.is_valid():
            try:
                c = commitment_sign(template=form.cleaned_data["template"], subject=subject, user=request.user)
            except ValidationError as exc:
                for m in exc.messages:
                    form.add_error(None, m)
            else:
                messages.success(request, f"已签署信用承诺，编号 {c.code}。")
                return redirect("commitments:my")
        items = Commitment.objects.filter(subject=subject) if subject else Commitment.objects.none()
        return render(request, "commitments/my.html", {"items": items, "form": form, "subject": subject})


def _staff_qs(user):
    qs = Commitment.objects.select_related("subject", "supervising_department")
    return qs if has_role(user, CENTER_ROLES) else qs.filter(supervising_department_id=user.department_id)


def _month_figures(user):
    """The clerk's department's commitment timeliness this month (none for credit-center staff)."""
    if user.department_id is None:
        return None
    today = timezone.localdate()
    first = today.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return commitment_timeliness(department=user.department, since=first, until=following)


class StaffListView(StaffRequiredMixin, View):
    def get(self, request):
        page = Paginator(_staff_qs(request.user).order_by("status", "fulfilment_deadline"), 50).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "commitments/staff_list.html",
            {
                "page": page,
                "coverage": commitment_coverage(),
                "paper_form": PaperForm(department=request.user.department),
                "figures": _month_figures(request.user),
            },
        )


class PaperEntryView(StaffRequiredMixin, View):
    def post(self, request):
        form = PaperForm(request.POST, department=request.user.department)
        if form.is_valid():
            subject = Subject.objects.filter(uscc=normalise_code(form.cleaned_data["uscc"])).first()
            if subject is None:
                form.add_error("uscc", "平台中没有该统一社会信用代码的主体。")
            else:
                try:
                    c = commitment_sign(
                        template=form.cleaned_data["template"],
                        subject=subject,
                        user=request.user,
                        channel=Channel.PAPER,
                        signed_on=form.cleaned_data["signed_on"],
                        department=request.user.department,
                    )
                except ValidationError as exc:
                    for m in exc.messages:
                        form.add_error(None, m)
                else:
                    if c.entry_timely is False:
                        messages.warning(
                            request,
                            f"已录入纸质承诺，编号 {c.code}；已超过录入期限（应于 {c.entry_deadline:%Y-%m-%d} 前录入），"
                            "计为逾期录入。",
                        )
                    else:
                        messages.success(request, f"已录入纸质承诺，编号 {c.code}。")
                    return redirect("commitments:staff_list")
        page = Paginator(_staff_qs(request.user), 50).get_page(1)
        return render(
            request,
            "commitments/staff_list.html",
            {
                "page": page,
                "coverage": commitment_coverage(),
                "paper_form": form,
                "figures": _month_figures(request.user),
            },
            status=400,
        )


class FulfilView(StaffRequiredMixin, View):
    def get(self, request, pk):
        c = get_object_or_404(_staff_qs(request.user), pk=pk)
        return render(request, "commitments/fulfil.html", {"c": c, "form": FulfilForm()})

    def post(self, request, pk):
        # Another department's commitment is invisible (404), not shown back on an error page.
        c = get_object_or_404(_staff_qs(request.user), pk=pk)
        form = FulfilForm(request.POST)
        if form.is_valid():
            try:
                commitment_fulfil(commitment=c, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for m in exc.messages:
                    form.add_error(None, m)
            else:
                messages.success(request, "已录入履约情况。")
                return redirect("commitments:staff_list")
        return render(request, "commitments/fulfil.html", {"c": c, "form": form}, status=400)


class TemplateListView(CenterRequiredMixin, View):
    def get(self, request):
        return render(request, "commitments/template_list.html", {"templates": CommitmentTemplate.objects.all()})


class TemplateEditView(CenterRequiredMixin, View):
    def get(self, request, pk=None):
        obj = get_object_or_404(CommitmentTemplate, pk=pk) if pk else None
        return render(request, "commitments/template_form.html", {"form": TemplateForm(instance=obj), "obj": obj})

    def post(self, request, pk=None):
        obj = get_object_or_404(CommitmentTemplate, pk=pk) if pk else None
        form = TemplateForm(request.POST, instance=obj)
        if form.is_valid():
            form.save()
            messages.success(request, "承诺书模板已保存。")
            return redirect("commitments:templates")
        return render(request, "commitments/template_form.html", {"form": form, "obj": obj})


class ImportTemplateView(StaffRequiredMixin, View):
    def get(self, request):

        response = HttpResponse(template_workbook(), content_type=XLSX_MEDIA_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, "信用承诺导入模板.xlsx")
        return response


class ImportView(StaffRequiredMixin, View):
    """Bulk import of signed commitments: every bad row is listed, nothing is written unless all are good."""

    def get(self, request):
        return render(request, "commitments/import.html", {"form": ImportForm()})

    def post(self, request):

        form = ImportForm(request.POST, request.FILES)
        problems = []
        if form.is_valid():
            if request.user.department_id is None:
                problems = ["您的账号不属于任何部门，不能批量导入信用承诺。"]
            else:
                upload = form.cleaned_data["file"]
                try:
                    rows = read_rows(upload, upload.name, upload.size)
                    created = commitments_import(rows=rows, user=request.user, department=request.user.department)
                except UploadError as exc:
                    problems = exc.messages
                except ValidationError as exc:
                    problems = exc.messages
                else:
                    messages.success(request, f"已导入 {len(created)} 份信用承诺。")
                    return redirect("commitments:staff_list")
        return render(request, "commitments/import.html", {"form": form, "problems": problems}, status=400)
