"""API for department systems: their open repair applications and objections (read-only), and the
信用修复告知书 of their penalties with its service (两书同达)."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.authentication import SystemPrincipal
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import has_role

from ..choices import OBJECTION_OPEN_STATES, REPAIR_OPEN_STATES, DueFlag, ObjectionState, RepairState
from ..documents import notice_filename, repair_notice_pdf
from ..models import Objection, RepairApplication
from ..selectors import notice_records, objections_visible, repair_applications_visible
from ..services import notices
from .serializers import (
    NoticeServiceSerializer,
    ObjectionCaseSerializer,
    RecordNoticeSerializer,
    RepairCaseSerializer,
)

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


# --- 两书同达: the 告知书 of a stored penalty, and its service -------------------------------


class CanUseNotices(BasePermission):
    """A department system's key (records:read or records:write; writing the service needs records:write),
    or staff signed in. Either sees only its own department's penalties (the center all)."""

    message = (
        "需要部门系统的 API Key（权限范围 records:read / records:write），或以部门工作人员、信用中心工作人员身份登录。"
    )

    def has_permission(self, request, view):
        user = request.user
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        if isinstance(user, SystemPrincipal):
            if not user.department_id:
                self.message = "该 API Key 未绑定部门，不能使用告知书接口。"
                return False
            if write and not user.has_scope("records:write"):
                self.message = "该 API Key 没有登记送达的权限（需要权限范围 records:write）。"
                return False
            return user.has_scope("records:read") or user.has_scope("records:write")
        return has_role(user, STAFF_ROLES)


class _PdfOrJsonErrors(BaseContentNegotiation):
    """The PDF is returned whatever the client accepts (``Accept: application/pdf`` included); an error
    answer is always JSON, so a client asking for the PDF never gets a 406 instead of the reason."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _notice_record(request, record_pk):
    user = request.user
    qs = notice_records(user=user)  # a key is scoped by its department, as department staff are
    try:
        return qs.get(pk=record_pk)
    except qs.model.DoesNotExist:
        raise NotFound("记录不存在、不属于本部门，或不是需送达告知书的行政处罚（已撤销、不予公示）。") from None


@extend_schema(tags=[TAG])
class NoticePdfAPIView(APIView):
    permission_classes = [CanUseNotices]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _PdfOrJsonErrors

    @extend_schema(
        operation_id="repair_notice_pdf",
        summary="行政处罚的信用修复告知书（PDF）",
        description="两书同达：记录一经保存（含草稿、待审核）即可取得告知书，与处罚决定书一并送达。"
        "只能取得本部门的记录；其他部门的、已撤销的或不予公示的返回 404。",
        responses={
            (200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY, description="告知书 PDF"),
            404: OpenApiResponse(response=OpenApiTypes.OBJECT, description="记录不存在或不属于本部门"),
        },
    )
    def get(self, request, record_pk):
        record = _notice_record(request, record_pk)
        response = HttpResponse(repair_notice_pdf(record=record), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, notice_filename(record))
        return response


@extend_schema(tags=[TAG])
class NoticeServiceAPIView(APIView):
    permission_classes = [CanUseNotices]

    @extend_schema(
        operation_id="repair_notice_service_retrieve",
        summary="告知书送达登记",
        responses={200: RecordNoticeSerializer, 404: OpenApiResponse(response=OpenApiTypes.OBJECT)},
    )
    def get(self, request, record_pk):
        return Response(RecordNoticeSerializer(_notice_record(request, record_pk)).data)

    @extend_schema(
        operation_id="repair_notice_service_create",
        summary="登记告知书送达",
        description="登记送达日期和方式；送达日期与处罚决定日期相同即为两书同达。再次登记替换原登记（审计日志保留）。",
        request=NoticeServiceSerializer,
        responses={
            200: RecordNoticeSerializer,
            400: OpenApiResponse(response=OpenApiTypes.OBJECT),
            404: OpenApiResponse(response=OpenApiTypes.OBJECT),
        },
    )
    def post(self, request, record_pk):
        record = _notice_record(request, record_pk)
        serializer = NoticeServiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        user = request.user
        try:
            notices.notice_service_record(
                records=[record],
                served_on=d["served_on"],
                method=d["method"],
                note=d.get("note", ""),
                user=None if isinstance(user, SystemPrincipal) else user,
                actor_label=str(user) if isinstance(user, SystemPrincipal) else "",
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            ) from None
        record = _notice_record(request, record_pk)
        return Response(RecordNoticeSerializer(record).data)
