"""Read-only API for department systems: their open repair applications and objections."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import BasePermission

from apps.accounts.api.authentication import SystemPrincipal
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import has_role

from ..choices import OBJECTION_OPEN_STATES, REPAIR_OPEN_STATES, DueFlag, ObjectionState, RepairState
from ..models import Objection, RepairApplication
from ..selectors import objections_visible, repair_applications_visible
from .serializers import ObjectionCaseSerializer, RepairCaseSerializer

READ_SCOPE = "repair:read"
TAG = "repair"


class CanReadCases(BasePermission):
    """A department system's key with ``repair:read``, or staff signed in."""

    message = f"需要部门系统的 API Key（权限范围 {READ_SCOPE}），或以部门工作人员、信用中心工作人员身份登录。"

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, SystemPrincipal):
            if not user.department_id:
                self.message = "该 API Key 未绑定部门，不能查询修复与异议案件。"
                return False
            if not user.has_scope(READ_SCOPE):
                self.message = f"该 API Key 没有查询修复与异议案件的权限（需要权限范围 {READ_SCOPE}）。"
                return False
            return True
        return has_role(user, STAFF_ROLES)


def _scoped(request, visible, model):
    """A key sees its department's cases; staff what their pages show them."""
    user = request.user
    if isinstance(user, SystemPrincipal):
        return model.objects.select_related("record__record_type", "record__subject", "department").filter(
            department_id=user.department_id
        )
    return visible(user=user).select_related("record__subject")


class _CaseFilterSet(django_filters.FilterSet):
    due_flag = django_filters.ChoiceFilter(choices=DueFlag.choices, help_text="due_soon 临期 / overdue 超期")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", help_text="办理期限不晚于")


class RepairCaseFilterSet(_CaseFilterSet):
    state = django_filters.ChoiceFilter(choices=[c for c in RepairState.choices if c[0] in REPAIR_OPEN_STATES])

    class Meta:
        model = RepairApplication
        fields = ("state", "due_flag", "due_before")


class ObjectionCaseFilterSet(_CaseFilterSet):
    state = django_filters.ChoiceFilter(choices=[c for c in ObjectionState.choices if c[0] in OBJECTION_OPEN_STATES])

    class Meta:
        model = Objection
        fields = ("state", "due_flag", "due_before")


_SCOPE_TEXT = (
    "部门系统使用 API Key（权限范围 `repair:read`），只返回 Key 所属部门（即信息提供部门）的案件；部门工作人员登录后"
    "返回本部门案件，信用中心返回全部。只含办理中的案件（已办结、已撤回的不返回），按办理期限先后排序。"
    "不含申请人联系方式；自然人的证件号码均已脱敏。"
)


@extend_schema(tags=[TAG])
class RepairCaseListView(generics.ListAPIView):
    serializer_class = RepairCaseSerializer
    permission_classes = [CanReadCases]
    filterset_class = RepairCaseFilterSet

    def get_queryset(self):
        qs = _scoped(self.request, repair_applications_visible, RepairApplication)
        return qs.filter(state__in=REPAIR_OPEN_STATES).order_by("due_on", "pk")

    @extend_schema(
        operation_id="repair_cases_list",
        summary="本部门办理中的信用修复申请",
        description=_SCOPE_TEXT + "due_flag 为 due_soon（临期）或 overdue（超期）；待补充材料的案件期限暂停。",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=[TAG])
class ObjectionCaseListView(generics.ListAPIView):
    serializer_class = ObjectionCaseSerializer
    permission_classes = [CanReadCases]
    filterset_class = ObjectionCaseFilterSet

    def get_queryset(self):
        qs = _scoped(self.request, objections_visible, Objection)
        return qs.filter(state__in=OBJECTION_OPEN_STATES).order_by("due_on", "pk")

    @extend_schema(
        operation_id="repair_objections_list",
        summary="本部门办理中的异议申请",
        description=_SCOPE_TEXT + "含异议内容及理由、请求更正的内容，供部门核实。",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
