"""信易+ catalog (public), a subject's eligibility with reasons, its 信易贷 needs and authorisations, figures."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views import View

from apps.accounts.choices import Role
from apps.accounts.permissions import CenterRequiredMixin, RoleRequiredMixin

from .forms import AuthoriseForm, NeedForm
from .models import Bank, FinancingNeed, LoanAuthorisation
from .rules import describe
from .selectors import catalog_scenarios
from .services import (
    financing_need_create,
    loan_authorisation_grant,
    loan_authorisation_revoke,
    loan_figures,
    scenario_use_counts,
    scenarios_for_subject,
)


class CatalogView(View):
    def get(self, request):
        rows = [{"s": s, "conditions": describe(s.rule)} for s in catalog_scenarios()]
        return render(request, "scenarios/catalog.html", {"rows": rows})


class MyScenariosView(RoleRequiredMixin, View):
    allowed_roles = (Role.SUBJECT,)

    def get(self, request):
        subject = request.user.subject
        if subject is None:
            messages.info(request, "您的账号尚未认领信用主体，认领通过后可查看适用的信易+场景。")
            return redirect("accounts:claim_list")
        result = scenarios_for_subject(subject=subject, user=request.user)
        return render(
            request,
            "scenarios/my.html",
            {
                "subject": subject,
                "eligible": [r for r in result if r["eligible"]],
                "others": [r for r in result if not r["eligible"]],
            },
        )


class MyLoansView(RoleRequiredMixin, View):
    allowed_roles = (Role.SUBJECT,)

    def _page(self, request, form=None, status=200):
        subject = request.user.subject
        authorised = set(
            LoanAuthorisation.objects.filter(subject=subject, revoked_at__isnull=True).values_list("bank_id", flat=True)
        )
        return render(
            request,
            "scenarios/my_loans.html",
            {
                "needs": FinancingNeed.objects.filter(subject=subject).prefetch_related("offers__bank"),
                "banks": [{"bank": b, "authorised": b.pk in authorised} for b in Bank.objects.all()],
                "form": form or NeedForm(),
            },
            status=status,
        )

    def get(self, request):
        if request.user.subject is None:
            messages.info(request, "您的账号尚未认领信用主体。")
            return redirect("accounts:claim_list")
        return self._page(request)

    def post(self, request):
        if "bank" in request.POST:
            form = AuthoriseForm(request.POST)
            if form.is_valid():
                bank = form.cleaned_data["bank"]
                if form.cleaned_data["action"] == "grant":
                    loan_authorisation_grant(user=request.user, bank=bank)
                    messages.success(request, f"已授权{bank.name}查询本企业信用摘要。")
                else:
                    loan_authorisation_revoke(user=request.user, bank=bank)
                    messages.success(request, f"已撤销对{bank.name}的授权。")
            return redirect("scenarios:my_loans")
        form = NeedForm(request.POST)
        if form.is_valid():
            try:
                financing_need_create(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for m in exc.messages:
                    form.add_error(None, m)
            else:
                messages.success(request, "已发布融资需求；授权的合作银行可以看到并对接。")
                return redirect("scenarios:my_loans")
        return self._page(request, form, status=400)


class FiguresView(CenterRequiredMixin, View):
    def get(self, request):
        return render(request, "scenarios/figures.html", {"loans": loan_figures(), "scenarios": scenario_use_counts()})
