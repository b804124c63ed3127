from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from apps.accounts.choices import Role
from apps.accounts.models import Department
from apps.accounts.permissions import RoleRequiredMixin, StaffRequiredMixin
from apps.catalog.choices import FieldType
from apps.catalog.models import RecordType
from apps.catalog.normalise import split_multi
from apps.catalog.spec import TypeSpec
from apps.subjects.pii import decrypt

from .choices import SEVERITY_BY_WORD, Outcome, SeveritySource, Source, Status
from .forms import ReasonForm, RecordForm
from .history import record_history
from .models import Record, Submission
from .services import records_ingest
from .workflow import record_approve, record_return, record_revoke, record_submit

ENTRY_ROLES = (Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN)


def visible_records(user):
    """Department staff see their own department's records; the credit center sees all."""
    qs = Record.objects.select_related("record_type", "department")
    return qs if user.is_center else qs.filter(department_id=user.department_id)


def reportable_types(user):
    qs = RecordType.objects.filter(is_active=True, self_declared=False)
    if user.is_center:
        return qs
    return qs.filter(power__in=user.department.powers.all())


class RecordListView(StaffRequiredMixin, ListView):
    template_name = "records/list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = visible_records(self.request.user)
        for param, lookup in (("type", "record_type__code"), ("status", "status")):
            if self.request.GET.get(param):
                qs = qs.filter(**{lookup: self.request.GET[param]})
        if self.request.GET.get("q"):
            qs = qs.filter(subject_name__icontains=self.request.GET["q"]) | qs.filter(
                decision_number__icontains=self.request.GET["q"]
            )
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(types=reportable_types(self.request.user), statuses=Status.choices, **kwargs)


class TypeChooserView(RoleRequiredMixin, TemplateView):
    allowed_roles = ENTRY_ROLES
    template_name = "records/choose_type.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(types=reportable_types(self.request.user), **kwargs)


SEVERITY_WORDS = {severity: word for word, severity in SEVERITY_BY_WORD.items()}


class _EntryMixin(RoleRequiredMixin):
    """Shared by new, edit and fix: render the catalog form, run the pipeline, map problems back."""

    allowed_roles = ENTRY_ROLES
    template_name = "records/form.html"
    with_reason = False

    def get_department(self):
        user = self.request.user
        if user.is_center:
            code = self.request.POST.get("department") or self.request.GET.get("department")
            if not code:
                return None
            return get_object_or_404(Department, code=code)
        return user.department

    def render_form(self, form, **extra):
        from django.shortcuts import render

        context = {"form": form, "record_type": self.spec.record_type, "departments": None, **extra}
        if self.request.user.is_center:
            context["departments"] = Department.objects.filter(is_active=True)
        return render(self.request, self.template_name, context)

    def make_form(self, data=None, initial=None):
        # 失信行为严重程度 is a catalog field (role ``severity``) like any other: no extra form field.
        return RecordForm(data, initial=initial, spec=self.spec, with_reason=self.with_reason)

    def process(self, form, *, department, submit, reason="", keep_ids=None):
        row = form.row()
        for code, value in (keep_ids or {}).items():
            row.setdefault(code, value)
        summary = records_ingest(
            record_type=self.spec,
            department=department,
            rows=[(None, row)],
            source=Source.FORM,
            actor=self.request.user,
            submit=submit,
            reason=reason,
            keep_rejected=False,
        )
        outcome = summary.outcomes[0]
        # Non-blocking notes (an ID or mobile number in a name, a doubtful code) are shown whatever the outcome.
        for warning in outcome.warnings:
            messages.warning(self.request, f"提示：{warning}")
        if outcome.outcome == Outcome.REJECTED:
            form.add_problems(outcome.problems)
            return None
        return outcome


class RecordCreateView(_EntryMixin, View):
    def dispatch(self, request, *args, **kwargs):
        self.record_type = get_object_or_404(RecordType, code=kwargs["type_code"], is_active=True)
        return super().dispatch(request, *args, **kwargs)

    def setup_spec(self):
        if (
            not self.request.user.is_center
            and not reportable_types(self.request.user).filter(pk=self.record_type.pk).exists()
        ):
            raise PermissionDenied("本部门不具有该类信息的报送职权。")
        self.spec = TypeSpec.load(self.record_type)

    def get(self, request, type_code):
        self.setup_spec()
        return self.render_form(self.make_form(initial=self.defaults()))

    def defaults(self):
        department = self.get_department()
        if department is None:
            return {}
        # Authority and source are normally the clerk's own department: prefilled, still checked.
        values = {
            "authority_name": department.name,
            "source_name": department.name,
            "authority_uscc": department.uscc,
            "source_uscc": department.uscc,
        }
        return {self.spec.field_code(role): value for role, value in values.items() if self.spec.field_code(role)}

    def post(self, request, type_code):
        self.setup_spec()
        form = self.make_form(request.POST)
        department = self.get_department()
        if department is None:
            form.add_error(None, "请选择报送部门。")
        if form.is_valid() and department is not None:
            outcome = self.process(form, department=department, submit="draft" not in request.POST)
            if outcome:
                messages.success(request, _outcome_message(outcome))
                return redirect("records:detail", pk=outcome.record_id)
        return self.render_form(form)


class RecordDetailView(StaffRequiredMixin, DetailView):
    template_name = "records/detail.html"
    context_object_name = "record"

    def get_queryset(self):
        # created_by: the history's creation entry is built from the record (history.record_events).
        return visible_records(self.request.user).select_related("created_by").prefetch_related("events__actor")

    def get_context_data(self, **kwargs):
        record = self.object
        spec = TypeSpec.load(record.record_type)
        rows = [(f.label, _display(record.data.get(f.code)), f.is_public) for f in spec.fields if f.code in record.data]
        user = self.request.user
        own = user.is_center or user.department_id == record.department_id
        return super().get_context_data(
            rows=rows,
            can_edit=own and user.role in ENTRY_ROLES and record.status != Status.REVOKED,
            can_review=record.status == Status.PENDING_REVIEW and (user.is_center or (user.is_reviewer and own)),
            reason_form=ReasonForm(),
            history=record_history(record, spec),
            **kwargs,
        )


class RecordEditView(_EntryMixin, View):
    """更正: the same form and pipeline, with the correction reason kept in the history."""

    with_reason = True

    def load(self, pk):
        self.record = get_object_or_404(visible_records(self.request.user), pk=pk)
        if self.record.status == Status.REVOKED:
            raise Http404("已撤销的记录不能更正。")
        self.spec = TypeSpec.load(self.record.record_type)
        self.id_codes = [f.code for f in self.spec.fields if f.field_type == FieldType.ID_NUMBER]

    def get(self, request, pk):
        self.load(pk)
        initial = {code: value for code, value in self.record.data.items() if code not in self.id_codes}
        severity_code = self.spec.field_code("severity")
        if severity_code and severity_code not in initial and self.record.severity_source != SeveritySource.DERIVED:
            # Stored before the column existed, when the form set it: offer it as stated, not re-derived.
            initial[severity_code] = SEVERITY_WORDS.get(self.record.severity, "")
        return self.render_form(self.make_form(initial=initial), record=self.record, masked_ids=self._masked())

    def _masked(self):
        return {code: self.record.data[code] for code in self.id_codes if code in self.record.data}

    def post(self, request, pk):
        self.load(pk)
        data = request.POST.copy()
        number_code = self.spec.field_code("decision_number")
        data[number_code] = self.record.decision_number  # the key of a record never changes in a correction
        form = self.make_form(data)
        if form.is_valid():
            # ID numbers are not sent back to the browser; left blank they stay as registered.
            keep = {code: decrypt(token) for code, token in self.record.private_data.items()}
            outcome = self.process(
                form,
                department=self.record.department,
                submit=self.record.status != Status.DRAFT,
                reason=form.cleaned_data["_reason"],
                keep_ids=keep,
            )
            if outcome:
                messages.success(request, _outcome_message(outcome))
                return redirect("records:detail", pk=self.record.pk)
        return self.render_form(form, record=self.record, masked_ids=self._masked())


class SubmissionFixView(_EntryMixin, View):
    """Reopen a rejected row (from an upload or the API) in the form, fix it and submit it."""

    def load(self, pk):
        qs = Submission.objects.select_related("record_type", "department").filter(
            outcome=Outcome.REJECTED, fixed=False
        )
        if not self.request.user.is_center:
            qs = qs.filter(department_id=self.request.user.department_id)
        self.submission = get_object_or_404(qs, pk=pk)
        self.spec = TypeSpec.load(self.submission.record_type)

    def get(self, request, pk):
        self.load(pk)
        form = self.make_form(initial=self._initial())
        return self.render_form(form, submission=self.submission)

    def _initial(self):
        initial = dict(self.submission.raw)
        for spec in self.spec.fields:
            if spec.field_type == FieldType.MULTI_ENUM and isinstance(initial.get(spec.code), str):
                initial[spec.code] = split_multi(initial[spec.code])
            if spec.field_type == FieldType.ID_NUMBER:
                initial.pop(spec.code, None)  # kept only masked: the clerk types it again
        return initial

    def post(self, request, pk):
        self.load(pk)
        form = self.make_form(request.POST)
        if form.is_valid():
            outcome = self.process(form, department=self.submission.department, submit=True)
            if outcome:
                Submission.objects.filter(pk=self.submission.pk).update(fixed=True, record_id=outcome.record_id)
                messages.success(request, "已整改并报送。" + _outcome_message(outcome))
                return redirect("records:detail", pk=outcome.record_id)
        return self.render_form(form, submission=self.submission)


class RecordActionView(StaffRequiredMixin, View):
    """POST-only workflow buttons on the detail page."""

    def post(self, request, pk, action):
        record = get_object_or_404(visible_records(request.user), pk=pk)
        user = request.user
        reason = request.POST.get("reason", "")
        try:
            if action == "submit" and user.role in ENTRY_ROLES:
                record_submit(record=record, actor=user)
            elif action in ("approve", "return") and (user.is_center or user.is_reviewer):
                if action == "approve":
                    record_approve(record=record, reviewer=user)
                else:
                    record_return(record=record, reviewer=user, reason=reason)
            elif action == "revoke" and user.role in ENTRY_ROLES:
                record_revoke(record=record, actor=user, reason=reason)
            else:
                raise PermissionDenied
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "操作成功。")
        return redirect("records:detail", pk=pk)


def _outcome_message(outcome) -> str:
    return {
        Outcome.ACCEPTED: "记录已保存。",
        Outcome.UPDATED: "记录已更新，变更已记入历史。",
        Outcome.DUPLICATE: "内容与已有记录相同，未作改动。",
    }.get(outcome.outcome, "")


def _display(value):
    if isinstance(value, list):
        return "；".join(value)
    return value
