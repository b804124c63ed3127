from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.views.generic import CreateView, FormView, ListView, TemplateView, UpdateView

from .choices import ClaimStatus
from .forms import ClaimDecisionForm, DepartmentForm, SubjectClaimForm, SubjectRegistrationForm, UserAdminForm
from .models import Department, SubjectClaim, User
from .permissions import AdminRequiredMixin, CenterRequiredMixin, RoleRequiredMixin, StaffRequiredMixin
from .services import subject_account_register, subject_claim_decide, subject_claim_submit


def _form_add_validation_error(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.error_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/home.html"


class RegisterView(FormView):
    template_name = "accounts/register.html"
    form_class = SubjectRegistrationForm
    success_url = reverse_lazy("accounts:claim_list")

    def form_valid(self, form):
        data = form.cleaned_data
        user = subject_account_register(
            username=data["username"],
            password=data["password1"],
            full_name=data["full_name"],
            phone=data["phone"],
            email=data["email"],
            account_kind=data["account_kind"],
        )
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, "注册成功。请认领您的信用主体，经信用中心审核后即可办理相关业务。")
        return super().form_valid(form)


class ClaimListView(RoleRequiredMixin, FormView):
    """A subject account's own claims, and the form to file a new one."""

    allowed_roles = ("subject",)
    template_name = "accounts/claim_list.html"
    form_class = SubjectClaimForm
    success_url = reverse_lazy("accounts:claim_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(claims=self.request.user.claims.all(), **kwargs)

    def form_valid(self, form):
        try:
            subject_claim_submit(user=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_add_validation_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "认领申请已提交，信用中心审核后将通知您。")
        return super().form_valid(form)


class ClaimReviewView(CenterRequiredMixin, ListView):
    template_name = "accounts/claim_review.html"
    context_object_name = "claims"

    def get_queryset(self):
        return SubjectClaim.objects.select_related("user", "subject").filter(status=ClaimStatus.PENDING)


class ClaimDecideView(CenterRequiredMixin, FormView):
    form_class = ClaimDecisionForm
    template_name = "accounts/claim_review.html"

    def form_valid(self, form):
        claim = get_object_or_404(SubjectClaim, pk=self.kwargs["pk"])
        try:
            subject_claim_decide(
                claim=claim,
                reviewer=self.request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(self.request, "；".join(exc.messages))
        else:
            messages.success(self.request, f"已处理 {claim.user} 对 {claim.subject_name} 的认领申请。")
        return redirect("accounts:claim_review")

    def form_invalid(self, form):
        messages.error(self.request, "请选择审核结论。")
        return redirect("accounts:claim_review")


class UserListView(AdminRequiredMixin, ListView):
    template_name = "accounts/user_list.html"
    context_object_name = "users"
    paginate_by = 50

    def get_queryset(self):
        return User.objects.select_related("department").order_by("role", "username")


class UserCreateView(AdminRequiredMixin, CreateView):
    model = User
    form_class = UserAdminForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:user_list")
    extra_context = {"title": "新建用户"}


class UserUpdateView(AdminRequiredMixin, UpdateView):
    model = User
    form_class = UserAdminForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:user_list")
    extra_context = {"title": "编辑用户"}


class DepartmentListView(StaffRequiredMixin, ListView):
    template_name = "accounts/department_list.html"
    context_object_name = "departments"

    def get_queryset(self):
        return Department.objects.prefetch_related("powers")


class DepartmentCreateView(CenterRequiredMixin, CreateView):
    model = Department
    form_class = DepartmentForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:department_list")
    extra_context = {"title": "新建部门"}


class DepartmentUpdateView(CenterRequiredMixin, UpdateView):
    model = Department
    form_class = DepartmentForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:department_list")
    extra_context = {"title": "编辑部门"}
