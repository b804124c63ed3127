"""The subject's declarations (declare with a pledge), and the department's review queue (verify or reject)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.accounts.choices import Role
from apps.accounts.permissions import RoleRequiredMixin, StaffRequiredMixin
from credit_portal.pagination import status_page
from credit_portal.ratelimits import LIMIT_MESSAGE, account_key, over_limit

from .choices import DeclarationStatus
from .forms import DeclarationForm, ReviewForm
from .selectors import own_declarations, staff_declarations
from .services import PLEDGE_TEXT, declaration_reject, declaration_submit, declaration_verify


class MyDeclarationsView(RoleRequiredMixin, View):
    allowed_roles = (Role.SUBJECT,)

    def render_page(self, request, form, status=200):
        subject = request.user.subject
        items = own_declarations(subject=subject) if subject else []
        context = {"items": items, "form": form, "subject": subject, "pledge": PLEDGE_TEXT}
        return render(request, "declarations/my.html", context, status=status)

    def get(self, request):
        return self.render_page(request, DeclarationForm())

    def post(self, request):
        form = DeclarationForm(request.POST)
        subject = request.user.subject
        # Each declaration lands in a department's review queue: one account may not flood it. The form
        # comes back with what was typed, so nothing is lost while the account waits.
        if over_limit(request, "DECLARATION_RATE_ACCOUNT", key=account_key):
            form.add_error(None, LIMIT_MESSAGE)
            return self.render_page(request, form, status=429)
        if subject is None:
            form.add_error(None, "您的账号尚未认领信用主体，认领通过后可申报信息。")
        if form.is_valid():
            try:
                declaration_submit(subject=subject, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, "已提交申报，核实前以“自主申报（未核实）”标注公示。")
                return redirect("declarations:my")
        # Everything typed stays in the form: nothing is lost on a bad input.
        return self.render_page(request, form, status=400)


class ReviewListView(StaffRequiredMixin, View):
    def get(self, request):
        qs = staff_declarations(user=request.user).order_by("created_at", "pk")
        page, status = status_page(request, qs, DeclarationStatus, default=DeclarationStatus.PENDING)
        return render(
            request,
            "declarations/review_list.html",
            {"page": page, "status": status, "statuses": DeclarationStatus.choices, "querystring": f"status={status}"},
        )


class ReviewView(StaffRequiredMixin, View):
    """Another department's declaration is invisible (404), never shown back on an error page."""

    def load(self, request, pk):
        return get_object_or_404(staff_declarations(user=request.user), pk=pk)

    def get(self, request, pk):
        return render(request, "declarations/review.html", {"d": self.load(request, pk), "form": ReviewForm()})

    def post(self, request, pk):
        declaration = self.load(request, pk)
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "verify":
                    declaration_verify(declaration=declaration, user=request.user, note=form.cleaned_data["note"])
                    messages.success(request, "已核实，该信息改为“自主申报（已核实）”公示。")
                else:
                    declaration_reject(declaration=declaration, user=request.user, reason=form.cleaned_data["note"])
                    messages.success(request, "已标记为核实不通过，该信息不再公示。")
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("declarations:review_list")
        return render(request, "declarations/review.html", {"d": declaration, "form": form}, status=400)
