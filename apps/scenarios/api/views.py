"""Partner APIs: a scenario eligibility check (libraries, hospitals, banks …) and the bank side of 信易贷."""

from django.core.exceptions import PermissionDenied as DjangoDenied
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from credit_portal.ratelimits import api_key_key, over_limit

from ..models import Bank, FinancingNeed, Scenario
from ..services import bank_demand, credit_summary, credit_summary_by_code, loan_offer_record, scenario_check

SCENARIO_SCOPE = "scenario-check"
BANK_SCOPE = "loan-bank"


class HasScope(BasePermission):
    scope = ""

    def has_permission(self, request, view):
        user = request.user
        if getattr(user, "role", None) != "system":
            self.message = f"需要合作方 API Key（权限范围 {self.scope}）。"
            return False
        if not user.has_scope(self.scope):
            self.message = f"该 API Key 没有此权限（需要权限范围 {self.scope}）。"
            return False
        return True


class ScenarioScope(HasScope):
    scope = SCENARIO_SCOPE


class BankScope(HasScope):
    scope = BANK_SCOPE


class CheckInput(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="统一社会信用代码或身份证号码")


class ScenarioCheckView(APIView):
    permission_classes = [ScenarioScope]

    @extend_schema(
        request=CheckInput,
        responses=inline_serializer(
            "ScenarioCheckResult",
            {
                "scenario": serializers.CharField(),
                "name": serializers.CharField(),
                "eligible": serializers.BooleanField(),
                "reasons": serializers.ListField(child=serializers.CharField()),
                "benefits": serializers.CharField(),
            },
        ),
        summary="信易+ 场景资格核验（合作方）",
    )
    def post(self, request, code):
        # Per partner key: bounds how many codes one partner can try (SCENARIO_CHECK_RATE).
        if over_limit(request, "SCENARIO_CHECK_RATE", key=api_key_key):
            raise Throttled(detail="资格核验请求过于频繁，请稍后再试。")
        scenario = get_object_or_404(Scenario, code=code, is_active=True)
        data = CheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer = scenario_check(scenario=scenario, query=data.validated_data["code"], api_key=request.auth)
        except DjangoDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(answer)


def _bank(request) -> Bank:
    bank = Bank.objects.filter(api_key=request.auth).first()
    if bank is None:
        raise PermissionDenied("该 API Key 未登记为合作银行。")
    return bank


class DemandView(APIView):
    permission_classes = [BankScope]

    @extend_schema(summary="信易贷：已授权本行的融资需求", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        bank = _bank(request)
        rows = [
            {
                "id": n.pk,
                "amount": str(n.amount),
                "term_months": n.term_months,
                "purpose": n.purpose,
                "created_at": n.created_at,
                "credit_summary": credit_summary(bank=bank, subject=n.subject),
            }
            for n in bank_demand(bank=bank)[:500]
        ]
        return Response(rows)


class SummaryView(APIView):
    permission_classes = [BankScope]

    @extend_schema(summary="信易贷：企业信用摘要（需企业授权）", responses=OpenApiTypes.OBJECT)
    def get(self, request, code):
        bank = _bank(request)
        try:
            return Response(credit_summary_by_code(bank=bank, code=code))
        except DjangoDenied as exc:
            raise PermissionDenied(str(exc)) from None


class OfferInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["offered", "granted", "lent", "declined"])
    product = serializers.CharField(required=False, allow_blank=True, default="")
    granted_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    lent_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OfferView(APIView):
    permission_classes = [BankScope]

    @extend_schema(request=OfferInput, summary="信易贷：记录对接、授信、放款", responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        bank = _bank(request)
        need = get_object_or_404(FinancingNeed, pk=pk)
        data = OfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            offer = loan_offer_record(bank=bank, need=need, **values)
        except DjangoDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            return Response({"errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": offer.pk, "status": offer.status}, status=status.HTTP_200_OK)
