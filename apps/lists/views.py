"""Department and credit-center pages of the lists: entries, removal, 约谈, list types, measures, matters.

Entries are recognised through the shared records form (``records:create`` with
``list_entry``), uploads and the API; these pages read them, take them off a list
and record warning interviews. List types, measures and matters are managed by
the credit center.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import CreateView, ListView, UpdateView
from django_filters.views import FilterView

from apps.accounts.permissions import CenterRequiredMixin, StaffRequiredMixin
from apps.catalog.models import RecordType
from apps.catalog.spec import TypeSpec
from apps.records.choices import Status
from apps.records.history import record_events

from .choices import EntryState, ListColor, MeasureKind
from .filtersets import EntryFilterSet
from .forms import (
    InterviewForm,
    ListTypeCreateForm,
    ListTypeForm,
    MatterForm,
    MeasureCreateForm,
    MeasureRetireForm,
    MeasureReviseForm,
    RemovalForm,
    StaleRevision,
)
from .models import ListEntry, ListType, Matter, Measure
from .selectors import (
    can_manage_entry,
    entry_in_force,
    latest_measures,
    measure_state,
    measure_versions,
    sees_all,
    staff_entries,
    staff_entry,
)
from .services import LIST_ENTRY_TYPE, list_entry_remove, warning_interview_record

PAGE_SIZE = 50


def can_recognise(user) -> bool:
    """Whether the user's department may report ``list_entry`` records (the records form decides in detail)."""
    if sees_all(user):
        return True
    if not user.department_id:
        return False
    return RecordType.objects.filter(
        code=LIST_ENTRY_TYPE, is_active=True, power__in=user.department.powers.all()
    ).exists()


# --- entries ----------------------------------------------------------------------------


class EntryListView(StaffRequiredMixin, FilterView):
    template_name = "lists/entry_list.html"
    filterset_class = EntryFilterSet
    context_object_name = "entries"
    paginate_by = PAGE_SIZE
    strict = False

    def get_queryset(self):
        return staff_entries(user=self.request.user).order_by("-recognised_on", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for entry in context["entries"]:
            entry.in_force = entry_in_force(entry, on=today)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            querystring=query.urlencode(),
            can_recognise=can_recognise(self.request.user),
            new_entry_url=reverse("records:create", args=[LIST_ENTRY_TYPE]),
            colors=ListColor.choices,
        )
        return context


class _EntryMixin(StaffRequiredMixin):
    template_name = "lists/entry_detail.html"

    def load(self, pk):
        try:
            self.entry = staff_entry(user=self.request.user, pk=pk)
        except ListEntry.DoesNotExist:
            raise Http404("名单条目不存在。") from None
        return self.entry

    def render_detail(self, *, removal_form=None, interview_form=None):
        entry, user = self.entry, self.request.user
        record = entry.record
        spec = TypeSpec.load(record.record_type)
        rows = [(f.label, _display(record.data.get(f.code)), f.is_public) for f in spec.fields if f.code in record.data]
        manage = can_manage_entry(user, entry)
        context = {
            "entry": entry,
            "record": record,
            "rows": rows,
            "events": _history(record, spec),
            "interviews": entry.interviews.select_related("created_by", "department").order_by("-held_on", "-pk"),
            "in_force": entry_in_force(entry, on=timezone.localdate()),
            "can_remove": manage and entry.state == EntryState.LISTED,
            "can_interview": manage and entry.list_type.color != ListColor.RED,
            "removal_form": removal_form or RemovalForm(),
            "interview_form": interview_form or InterviewForm(entry=entry),
        }
        return render(self.request, self.template_name, context)


class EntryDetailView(_EntryMixin, View):
    def get(self, request, pk):
        self.load(pk)
        return self.render_detail()


class EntryRemoveView(_EntryMixin, View):
    """移出名单: POST only, reason required; the entry leaves every check and the public list at once."""

    def post(self, request, pk):
        entry = self.load(pk)
        if not can_manage_entry(request.user, entry):
            raise PermissionDenied("只有认定部门或信用中心可以移出名单。")
        form = RemovalForm(request.POST)
        if not form.is_valid():
            return self.render_detail(removal_form=form)
        try:
            list_entry_remove(entry=entry, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已移出名单，移出原因已记入历史。")
        return redirect("lists:entry_detail", pk=entry.pk)

    def get(self, request, pk):
        return redirect("lists:entry_detail", pk=pk)


class InterviewCreateView(_EntryMixin, View):
    """约谈记录: for black-list and watch-list entries, by the recognising department (or the center)."""

    def post(self, request, pk):
        entry = self.load(pk)
        if entry.list_type.color == ListColor.RED:
            raise PermissionDenied("约谈只适用于严重失信主体名单和重点关注名单。")
        if not can_manage_entry(request.user, entry):
            raise PermissionDenied("只有认定部门可以录入约谈记录。")
        form = InterviewForm(request.POST, entry=entry)
        if not form.is_valid():
            return self.render_detail(interview_form=form)
        try:
            warning_interview_record(entry=entry, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            raise PermissionDenied("；".join(exc.messages)) from exc
        messages.success(request, "约谈记录已保存。")
        return redirect("lists:entry_detail", pk=entry.pk)

    def get(self, request, pk):
        return redirect("lists:entry_detail", pk=pk)


def _history(record, spec):
    """The record's events with a readable change column (states, statuses and corrected fields by label)."""
    labels = {f.code: f.label for f in spec.fields}
    events = record_events(record, record.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        before, after = event.before or {}, event.after or {}
        changes = []
        event.label = event.get_action_display()
        if "state" in after:
            changes.append(f"{_label(EntryState, before.get('state'))} → {_label(EntryState, after['state'])}")
        elif "status" in after:
            changes.append(f"{_label(Status, before.get('status'))} → {_label(Status, after['status'])}")
        elif isinstance(after, dict) and isinstance(before, dict) and event.action == "correct":
            for code, value in after.items():
                if before.get(code) != value and code in labels:
                    changes.append(f"{labels[code]}：{_display(before.get(code)) or '（空）'} → {_display(value)}")
        event.changes = changes
    return events


def _label(choices, value):
    if value in (None, ""):
        return "（无）"
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def _display(value):
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return value


# --- list types (credit center) -----------------------------------------------------------


class ListTypeListView(CenterRequiredMixin, ListView):
    template_name = "lists/type_list.html"
    context_object_name = "list_types"

    def get_queryset(self):
        return ListType.objects.prefetch_related("recognisers").order_by("color", "sort_order", "code")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = [(label, [t for t in context["list_types"] if t.color == value]) for value, label in ListColor.choices]
        context["groups"] = [(label, types) for label, types in groups if types]
        return context


class ListTypeCreateView(CenterRequiredMixin, CreateView):
    template_name = "lists/type_form.html"
    form_class = ListTypeCreateForm

    def form_valid(self, form):
        messages.success(self.request, f"已新增名单类型“{form.instance.name}”。")
        return super().form_valid(form)

    def get_success_url(self):
        return reverse("lists:types")


class ListTypeUpdateView(CenterRequiredMixin, UpdateView):
    template_name = "lists/type_form.html"
    form_class = ListTypeForm
    model = ListType
    context_object_name = "list_type"

    def form_valid(self, form):
        messages.success(self.request, f"名单类型“{form.instance.name}”已保存。")
        return super().form_valid(form)

    def get_success_url(self):
        return reverse("lists:types")


# --- measures (credit center) ---------------------------------------------------------------


class MeasureListView(CenterRequiredMixin, View):
    template_name = "lists/measure_list.html"

    def get(self, request):
        today = timezone.localdate()
        measures = list(latest_measures())
        for measure in measures:
            measure.state = measure_state(measure, on=today)
        groups = [(label, [m for m in measures if m.kind == value]) for value, label in MeasureKind.choices]
        return render(request, self.template_name, {"groups": groups, "today": today})


class MeasureCreateView(CenterRequiredMixin, CreateView):
    template_name = "lists/measure_form.html"
    form_class = MeasureCreateForm

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"已新增措施 {self.object.code}（第 1 版）。")
        return response

    def get_success_url(self):
        return reverse("lists:measure_detail", args=[self.object.pk])


class _MeasureMixin(CenterRequiredMixin):
    def load(self, pk):
        measure = get_object_or_404(Measure, pk=pk)
        self.versions = list(measure_versions(measure.code))
        self.latest = self.versions[0]
        return measure


class MeasureDetailView(_MeasureMixin, View):
    """A measure with its whole version history (any version's id shows the same page)."""

    template_name = "lists/measure_detail.html"

    def get(self, request, pk):
        self.load(pk)
        return self.render_page()

    def render_page(self, retire_form=None):
        today = timezone.localdate()
        for version in self.versions:
            version.state = measure_state(version, on=today)
        context = {
            "measure": self.latest,
            "versions": self.versions,
            "retire_form": retire_form or MeasureRetireForm(current=self.latest),
            "can_retire": self.latest.effective_to is None,
        }
        return render(self.request, self.template_name, context)


class MeasureReviseView(_MeasureMixin, View):
    template_name = "lists/measure_form.html"

    def get(self, request, pk):
        self.load(pk)
        return self.render_form(MeasureReviseForm(current=self.latest))

    def post(self, request, pk):
        measure = self.load(pk)
        if measure.pk != self.latest.pk:
            messages.error(request, "只能在最新版本的基础上修订。")
            return redirect("lists:measure_revise", pk=self.latest.pk)
        form = MeasureReviseForm(request.POST, current=self.latest)
        if form.is_valid():
            try:
                new = form.save()
            except StaleRevision as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"已生成 {new.code} 第 {new.version} 版，自 {new.effective_from:%Y-%m-%d} 起施行；"
                    f"第 {self.latest.version} 版同时设定失效日期。",
                )
                return redirect("lists:measure_detail", pk=new.pk)
        return self.render_form(form)

    def render_form(self, form):
        context = {"form": form, "measure": self.latest, "versions": self.versions}
        return render(self.request, self.template_name, context)


class MeasureRetireView(MeasureDetailView):
    """废止: sets the last day of the newest version (the row is otherwise unchanged)."""

    def post(self, request, pk):
        self.load(pk)
        if self.latest.effective_to is not None:
            messages.error(request, "该措施已设定失效日期。")
            return redirect("lists:measure_detail", pk=self.latest.pk)
        form = MeasureRetireForm(request.POST, current=self.latest)
        if not form.is_valid():
            return self.render_page(retire_form=form)
        form.save()
        messages.success(request, f"{self.latest.code} 将于 {form.cleaned_data['effective_to']:%Y-%m-%d} 后失效。")
        return redirect("lists:measure_detail", pk=self.latest.pk)

    def get(self, request, pk):
        return redirect("lists:measure_detail", pk=pk)


# --- matters (credit center) ------------------------------------------------------------------


class MatterListView(CenterRequiredMixin, View):
    template_name = "lists/matter_list.html"

    def get(self, request):
        return self.render_page(MatterForm())

    def post(self, request):
        form = MatterForm(request.POST)
        if form.is_valid():
            matter = form.save()
            messages.success(request, f"已新增办理事项“{matter.name}”。")
            return redirect("lists:matters")
        return self.render_page(form)

    def render_page(self, form):
        matters = Matter.objects.prefetch_related("measures").order_by("sort_order", "code")
        today = timezone.localdate()
        rows = [(m, [x for x in m.measures.all() if measure_state(x, on=today) == "现行"]) for m in matters]
        return render(self.request, self.template_name, {"rows": rows, "form": form})
