"""Pages of objections: filing (also anonymously), lookup by number and code, the case and its workflow buttons."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from apps.accounts.choices import Role
from apps.catalog.spec import TypeSpec
from apps.records.models import Record
from apps.records.selectors import public_record
from credit_portal.ratelimits import over_limit, rate_limited

from . import permissions
from .choices import DueFlag, ObjectionState
from .forms import (
    ObjectionCloseForm,
    ObjectionCorrectForm,
    ObjectionForm,
    ReasonForm,
)
from .selectors import (
    objections_visible,
    subject_records,
)
from .services import objections
from .views_common import CaseActionView, add_errors, reason, reply


class ObjectionListView(LoginRequiredMixin, View):
    def get(self, request):
        qs = objections_visible(user=request.user)
        state, flag = request.GET.get("state", ""), request.GET.get("flag", "")
        if state in ObjectionState.values:
            qs = qs.filter(state=state)
        if flag in (DueFlag.DUE_SOON, DueFlag.OVERDUE):
            qs = qs.filter(due_flag=flag)
        return render(
            request,
            "repair/objection_list.html",
            {
                "objections": qs[:500],
                "states": ObjectionState.choices,
                "state": state,
                "flag": flag,
            },
        )


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
                add_errors(form, exc)
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
        return render(
            request,
            "repair/objection_detail.html",
            {
                "o": objection,
                "record": objection.record,
                "events": objection.events.select_related("actor"),
                "materials": objection.materials.all(),
                **buttons,
                "reason_form": ReasonForm(),
                "close_form": ObjectionCloseForm(auto_id="close_%s"),
                "correct_form": ObjectionCorrectForm(specs=specs) if buttons["can_verify"] else None,
            },
        )


def _correct(request, objection):
    code, value = request.POST.get("field", ""), request.POST.get("value", "")
    objections.objection_correct(
        objection=objection, actor=request.user, changes={code: value} if code else {}, reply=reply(request)
    )


OBJECTION_ACTIONS = {
    "accept": (
        lambda r, o: objections.objection_accept(objection=o, actor=r.user, note=reason(r)),
        "已受理，已转信息提供部门核实。",
    ),
    "refuse": (
        lambda r, o: objections.objection_refuse(objection=o, actor=r.user, reply=reason(r)),
        "已不予受理并答复申请人。",
    ),
    "correct": (_correct, "已更正该信息并答复申请人，更正前后内容记入历史。"),
    "revoke": (
        lambda r, o: objections.objection_revoke(objection=o, actor=r.user, reply=reply(r)),
        "已撤销该信息并答复申请人。",
    ),
    "uphold": (
        lambda r, o: objections.objection_uphold(objection=o, actor=r.user, reply=reply(r)),
        "已维持原信息并答复申请人。",
    ),
    "withdraw": (
        lambda r, o: objections.objection_withdraw(objection=o, actor=r.user, reason=reason(r)),
        "异议已撤回。",
    ),
}


class ObjectionActionView(CaseActionView):
    actions = OBJECTION_ACTIONS
    detail_url_name = "repair:objection_detail"

    def visible(self, user):
        return objections_visible(user=user)
