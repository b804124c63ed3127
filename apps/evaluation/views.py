"""Grades (staff and the subject's own account), the model, provincial import, 双随机 tasks."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, CenterRequiredMixin, RoleRequiredMixin, StaffRequiredMixin, has_role
from apps.records.export import XLSX_CONTENT_TYPE
from apps.subjects.models import Subject
from credit_portal.pagination import status_page

from .choices import IndicatorSource, InterviewStatus
from .export import sample_xlsx
from .forms import InspectionTaskForm, ProvincialImportForm, SupervisionInterviewForm
from .models import EvaluationRun, InspectionTask, ScoringModel, SupervisionPolicy
from .selectors import grade_explain, grade_history, staff_interviews, subject_interviews
from .services import inspection_task_create, inspection_task_draw, provincial_grades_import
from .supervision import supervision_interview_record


def _grade_page(request, subject, *, own):
    return render(
        request,
        "evaluation/grade_detail.html",
        {
            "subject": subject,
            "info": grade_explain(subject=subject),
            "history": grade_history(subject=subject)[:50],
            "own": own,
            # 约谈 records join the subject's credit record (文登 #16): the subject and staff see them, the
            # public does not (no seed publishes them).
            "interviews": subject_interviews(subject=subject, viewer=request.user),
        },
    )


class InterviewListView(StaffRequiredMixin, View):
    """分级监管约谈: the interviews grade 差 opened, the department's own (all for the credit center)."""

    def get(self, request):
        page, status = status_page(request, staff_interviews(user=request.user), InterviewStatus)
        return render(
            request,
            "evaluation/interview_list.html",
            {"page": page, "status": status, "statuses": InterviewStatus.choices, "querystring": f"status={status}"},
        )


class InterviewRecordView(StaffRequiredMixin, View):
    """Record a held interview; another department's interview is invisible (404)."""

    def load(self, request, pk):
        return get_object_or_404(staff_interviews(user=request.user), pk=pk)

    def get(self, request, pk):
        interview = self.load(request, pk)
        return render(request, "evaluation/interview_form.html", {"i": interview, "form": SupervisionInterviewForm()})

    def post(self, request, pk):
        interview = self.load(request, pk)
        form = SupervisionInterviewForm(request.POST)
        if form.is_valid():
            try:
                supervision_interview_record(interview=interview, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, "约谈记录已保存，已记入该主体的信用记录。")
                return redirect("evaluation:interviews")
        return render(request, "evaluation/interview_form.html", {"i": interview, "form": form}, status=400)


class GradeDetailView(StaffRequiredMixin, View):
    def get(self, request, pk):
        return _grade_page(request, get_object_or_404(Subject, pk=pk), own=False)


class MyGradeView(RoleRequiredMixin, View):
    allowed_roles = (Role.SUBJECT,)

    def get(self, request):
        if not request.user.subject_id:
            messages.info(request, "您的账号尚未认领信用主体，认领通过后可查看信用等级。")
            return redirect("accounts:claim_list")
        return _grade_page(request, request.user.subject, own=True)


class ModelView(View):
    """The scoring model in force is public: the evaluation is transparent."""

    def get(self, request):
        today = timezone.localdate()
        model = ScoringModel.objects.in_force(on=today)
        # The public reads the indicators by name and source in words; codes stay internal.
        indicators = [
            {**i, "source_label": _source_label(i.get("source"))} for i in (model.indicators if model else [])
        ]
        return render(
            request,
            "evaluation/model.html",
            {
                "model": model,
                "indicators": indicators,
                "versions": ScoringModel.objects.all(),
                "runs": EvaluationRun.objects.all()[:10],
            },
        )


def _source_label(source) -> str:
    return IndicatorSource(source).label if source in IndicatorSource.values else (source or "—")


class ProvincialImportView(CenterRequiredMixin, View):
    def get(self, request):
        return render(request, "evaluation/provincial_import.html", {"form": ProvincialImportForm()})

    def post(self, request):
        form = ProvincialImportForm(request.POST, request.FILES)
        problems = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = provincial_grades_import(file=upload, original_name=upload.name, user=request.user)
            except ValidationError as exc:
                problems = exc.messages
            else:
                messages.success(request, f"已导入省级评价结果 {batch.rows} 条，下次评价时按政策生效。")
                return redirect("evaluation:model")
        return render(request, "evaluation/provincial_import.html", {"form": form, "problems": problems})


# --- 双随机 ----------------------------------------------------------------------------------


def _tasks_for(user):
    qs = InspectionTask.objects.select_related("department", "field")
    if has_role(user, CENTER_ROLES):
        return qs
    return qs.filter(department_id=user.department_id)


class TaskListView(StaffRequiredMixin, View):
    def get(self, request):
        policy = SupervisionPolicy.objects.filter(effective_from__lte=timezone.localdate()).first()
        return render(request, "evaluation/task_list.html", {"tasks": _tasks_for(request.user)[:200], "policy": policy})


class TaskCreateView(StaffRequiredMixin, View):
    def get(self, request):
        return render(request, "evaluation/task_form.html", {"form": InspectionTaskForm()})

    def post(self, request):
        form = InspectionTaskForm(request.POST)
        if not request.user.department_id:
            form.add_error(None, "只有部门工作人员可以创建抽查任务。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = inspection_task_create(
                    user=request.user,
                    department=request.user.department,
                    name=data["name"],
                    field=data["field"],
                    basis=data["basis"],
                    size=data.get("size"),
                    rate=(data["rate_percent"] / 100) if data.get("rate_percent") else None,
                    inspectors=data["inspectors"],
                    inspectors_per_subject=data["inspectors_per_subject"],
                    population_filter={
                        "kinds": data["kinds"],
                        "operating_only": data["operating_only"],
                        "grades": [g.strip().upper() for g in data["grades"].split(",") if g.strip()],
                    },
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("evaluation:task_detail", pk=task.pk)
        return render(request, "evaluation/task_form.html", {"form": form})


class TaskDetailView(StaffRequiredMixin, View):
    def get(self, request, pk):
        task = get_object_or_404(_tasks_for(request.user), pk=pk)
        samples = task.samples.select_related("subject")[:500]
        return render(request, "evaluation/task_detail.html", {"task": task, "samples": samples})


class TaskDrawView(StaffRequiredMixin, View):
    def post(self, request, pk):
        task = get_object_or_404(_tasks_for(request.user), pk=pk)
        if task.department_id != request.user.department_id:
            raise PermissionDenied("只有任务所属部门可以抽取。")
        try:
            inspection_task_draw(task=task, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已完成随机抽取，种子已记录，可复现。")
        return redirect("evaluation:task_detail", pk=pk)


class TaskExportView(StaffRequiredMixin, View):
    def get(self, request, pk):
        task = get_object_or_404(_tasks_for(request.user), pk=pk)
        if not task.drawn_at:
            raise Http404("尚未抽取")
        return FileResponse(
            sample_xlsx(task),
            as_attachment=True,
            filename=f"双随机抽查名单-{task.pk}.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )
