from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views import View
from django.views.generic import CreateView, FormView, ListView, TemplateView, UpdateView

from apps.records.review import awaiting_review, review_queue_url
from credit_portal.ratelimits import account_key, client_address, over_limit

from .choices import ClaimAttemptOutcome, ClaimStatus, Role
from .forms import (
    ClaimDecisionForm,
    ClaimLockForm,
    DepartmentForm,
    SubjectClaimForm,
    SubjectRegistrationForm,
    UserAdminForm,
)
from .models import Department, SubjectClaim, User
from .permissions import AdminRequiredMixin, CenterRequiredMixin, RoleRequiredMixin, StaffRequiredMixin
from .selectors import (
    claim_attempt_window_start,
    claim_attempts_by_account,
    claim_attempts_by_address,
    claim_attempts_recent,
    claim_locks_open,
)
from .services import (
    CLAIM_FILED_MESSAGE,
    CLAIM_RATE_MESSAGE,
    ClaimsLocked,
    claim_attempt_record,
    claim_lock,
    claim_unlock,
    claims_locked,
    subject_account_register,
    subject_claim_attempt,
    subject_claim_decide,
)


def _form_add_validation_error(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.error_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.is_center or user.is_reviewer:
            # The reviewer's queue, first thing on the 工作台: records wait here until approved.
            context["review_count"] = awaiting_review(user).count()
            context["review_url"] = review_queue_url()
        return context


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
    """A subject account's own claims, and the form to file a new one.

    Every well-formed claim gets the same answer (a redirect here with the same message) whether or not its
    code and name match a subject; submissions are logged, rate-limited per account and per client address,
    and an account that keeps trying is locked until the credit center unlocks it.
    """

    allowed_roles = ("subject",)
    template_name = "accounts/claim_list.html"
    form_class = SubjectClaimForm
    success_url = reverse_lazy("accounts:claim_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            claims=self.request.user.claims.all(), locked=claims_locked(self.request.user), **kwargs
        )

    def post(self, request, *args, **kwargs):
        address = client_address(None, request)
        # Both counters advance on every submission (no short-circuit), so a client spreading its tries over
        # accounts or addresses is still counted on the other side.
        over = [over_limit(request, "CLAIM_RATE_ADDRESS"), over_limit(request, "CLAIM_RATE_ACCOUNT", key=account_key)]
        if any(over) and not claims_locked(request.user):
            claim_attempt_record(user=request.user, client_address=address, outcome=ClaimAttemptOutcome.RATE_LIMITED)
            return render(request, "accounts/claim_rate_limited.html", {"message": CLAIM_RATE_MESSAGE}, status=429)
        form = self.get_form()
        if not form.is_valid():
            claim_attempt_record(user=request.user, client_address=address, outcome=ClaimAttemptOutcome.INVALID)
            return self.form_invalid(form)
        try:
            subject_claim_attempt(user=request.user, client_address=address, **form.cleaned_data)
        except ClaimsLocked as exc:
            return self.render_to_response(self.get_context_data(form=form, locked_message=str(exc)), status=403)
        except ValidationError as exc:
            _form_add_validation_error(form, exc)
            return self.form_invalid(form)
        messages.success(request, CLAIM_FILED_MESSAGE)
        return redirect(self.get_success_url())


class ClaimReviewView(CenterRequiredMixin, ListView):
    template_name = "accounts/claim_review.html"
    context_object_name = "claims"

    def get_queryset(self):
        return SubjectClaim.objects.select_related("user", "subject").filter(status=ClaimStatus.PENDING)


class ClaimAttemptsView(CenterRequiredMixin, TemplateView):
    """The credit center's view of claim submissions per account and per client address, with the locks."""

    template_name = "accounts/claim_attempts.html"

    def get_context_data(self, **kwargs):
        since = claim_attempt_window_start()
        username = self.request.GET.get("account", "").strip()
        address = self.request.GET.get("address", "").strip()
        return super().get_context_data(
            since=since,
            window_hours=settings.CLAIM_LOCK_WINDOW_HOURS,
            lock_attempts=settings.CLAIM_LOCK_ATTEMPTS,
            accounts=claim_attempts_by_account(since=since),
            addresses=claim_attempts_by_address(since=since),
            attempts=claim_attempts_recent(since=since, username=username, address=address),
            locks=claim_locks_open(),
            account_filter=username,
            address_filter=address,
            **kwargs,
        )


class ClaimLockView(CenterRequiredMixin, View):
    """POST only: lock or unlock one subject account's claims."""

    def post(self, request, pk):
        user = get_object_or_404(User, pk=pk, role=Role.SUBJECT)
        form = ClaimLockForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请选择操作。")
            return redirect("accounts:claim_attempts")
        note = form.cleaned_data["note"]
        try:
            if form.cleaned_data["action"] == "lock":
                claim_lock(user=user, by=request.user, reason=note or "信用中心暂停认领")
                messages.success(request, f"已暂停账号 {user.username} 的主体认领。")
            else:
                claim_unlock(user=user, by=request.user, note=note)
                messages.success(request, f"已解除账号 {user.username} 的认领暂停。")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("accounts:claim_attempts")


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
        qs = User.objects.select_related("department").order_by("role", "username")
        # 查找: by username, name or department; a role picked from the list. Bounded by the query guard.
        query = self.request.GET.get("q", "").strip()[:50]
        if query:
            qs = qs.filter(
                Q(username__icontains=query) | Q(full_name__icontains=query) | Q(department__name__icontains=query)
            )
        role = self.request.GET.get("role", "")
        if role in Role.values:
            qs = qs.filter(role=role)
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            q=self.request.GET.get("q", "").strip()[:50],
            role=self.request.GET.get("role", ""),
            roles=Role.choices,
            **kwargs,
        )


class UserCreateView(SuccessMessageMixin, AdminRequiredMixin, CreateView):
    success_message = "已新建用户“%(username)s”。"
    model = User
    form_class = UserAdminForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:user_list")
    extra_context = {"title": "新建用户"}


class UserUpdateView(SuccessMessageMixin, AdminRequiredMixin, UpdateView):
    success_message = "已保存用户“%(username)s”。"
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


class DepartmentCreateView(SuccessMessageMixin, CenterRequiredMixin, CreateView):
    success_message = "已新建部门“%(name)s”。"
    model = Department
    form_class = DepartmentForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:department_list")
    extra_context = {"title": "新建部门"}


class DepartmentUpdateView(SuccessMessageMixin, CenterRequiredMixin, UpdateView):
    success_message = "已保存部门“%(name)s”。"
    model = Department
    form_class = DepartmentForm
    template_name = "accounts/form.html"
    success_url = reverse_lazy("accounts:department_list")
    extra_context = {"title": "编辑部门"}
