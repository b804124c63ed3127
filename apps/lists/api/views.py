from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.accounts.api.authentication import SystemPrincipal
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import IsCenterStaff, has_role
from apps.records.api.views import ChineseJSONParser

from ..checks import check_feedback_record, credit_check_run, credit_checks_visible, feedback_by_measure_code
from ..choices import CheckChannel
from ..figures import credit_check_figures
from ..models import CreditCheck
from .serializers import (
    CreditCheckRequestSerializer,
    CreditCheckResponseSerializer,
    FeedbackRequestSerializer,
    FeedbackResponseSerializer,
    FiguresQuerySerializer,
    FiguresSerializer,
)

CHECK_SCOPE = "credit-check"
TAG = "credit-checks"


class CanRunChecks(BasePermission):
    """A hall system's key with the ``credit-check`` scope, or staff signed in."""

    message = f"需要服务大厅系统的 API Key（权限范围 {CHECK_SCOPE}），或以部门工作人员、信用中心工作人员身份登录。"

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, SystemPrincipal):
            if not user.has_scope(CHECK_SCOPE):
                self.message = f"该 API Key 没有信用核查权限（需要权限范围 {CHECK_SCOPE}）。"
                return False
            return True
        return has_role(user, STAFF_ROLES)


def _principal(request):
    user = request.user
    if isinstance(user, SystemPrincipal):
        return {"user": None, "api_key": user.api_key}
    return {"user": user, "api_key": None}


def check_response(check: CreditCheck) -> dict:
    return {"id": check.pk, "created_at": check.created_at, "channel": check.channel, **check.result}


# --- OpenAPI pieces ------------------------------------------------------------------

_ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}}
_REQUEST_EXAMPLES = [
    OpenApiExample(
        "按统一社会信用代码核查（招标投标）",
        request_only=True,
        value={"code": "91371083MA3F0001XX", "matter": "bidding"},
    ),
    OpenApiExample(
        "按名称核查（行政许可审批）", request_only=True, value={"name": "乳山市某某建材有限公司", "matter": "licensing"}
    ),
]
_FOUND_EXAMPLE = OpenApiExample(
    "在列严重失信主体名单",
    response_only=True,
    status_codes=["201"],
    value={
        "id": 10482,
        "created_at": "2024-10-10T18:00:00+08:00",
        "channel": "api",
        "query": "91371083MA3F0001XX",
        "found": True,
        "message": "乳山市某某建材有限公司：在列严重失信主体名单1个；公示中的信用记录1条；“招标投标”适用奖惩措施1项。",
        "checked_on": "2024-10-10",
        "matter": {"code": "bidding", "name": "招标投标"},
        "subject": {
            "id": 381,
            "name": "乳山市某某建材有限公司",
            "kind": "legal",
            "kind_display": "法人及非法人组织",
            "public_code": "91371083MA3F0001XX",
            "legal_representative": "王强",
            "status": "operating",
            "status_display": "存续（在营、开业、在册）",
        },
        "candidates": [],
        "lists": [
            {
                "entry_id": 77,
                "list_type": "major_tax_violation",
                "list_type_name": "重大税收违法失信主体",
                "color": "black",
                "color_display": "严重失信主体名单",
                "department": "国家税务总局乳山市税务局",
                "recognised_on": "2024-09-27",
                "valid_until": "2027-09-27",
                "legal_basis": "《重大税收违法失信主体信息公布管理办法》第六条",
                "reason": "虚开增值税专用发票",
                "decision_number": "乳税稽罚〔2024〕1号",
                "legal_representative": "王强",
                "triggers_measures": True,
            }
        ],
        "records": [
            {
                "id": 5120,
                "type": "penalty",
                "type_name": "行政处罚",
                "decision_number": "乳市监罚〔2024〕1号",
                "decision_date": "2024-09-27",
                "department": "乳山市市场监督管理局",
                "publicity_end": "2027-09-27",
            }
        ],
        "records_total": 1,
        "grade": None,
        "measures": [
            {
                "id": 1,
                "code": "CJ-01",
                "name": "限制参与招标投标",
                "kind": "punishment",
                "kind_display": "失信惩戒措施",
                "content": "依法限制其参与依法必须进行招标的工程建设项目招标投标活动。",
                "legal_basis": "《中华人民共和国招标投标法实施条例》……",
                "implementing_department": "发展改革、住房城乡建设、交通运输、水利等招标投标行政监督部门",
                "version": 1,
                "triggered_by": [{"code": "major_tax_violation", "name": "重大税收违法失信主体", "color": "black"}],
            }
        ],
        "counts": {"black": 1, "watch": 0, "red": 0, "records": 1, "measures": 1},
    },
)
_NOT_FOUND_EXAMPLE = OpenApiExample(
    "未找到主体（仍记录核查）",
    response_only=True,
    status_codes=["201"],
    value={
        "id": 10483,
        "created_at": "2024-10-10T18:01:00+08:00",
        "channel": "api",
        "query": "91371083MA3F9999XX",
        "found": False,
        "message": "未找到代码为“91371083MA3F9999XX”的信用主体，请核对代码后重试。",
        "checked_on": "2024-10-10",
        "matter": {"code": "bidding", "name": "招标投标"},
        "subject": None,
        "candidates": [],
        "lists": [],
        "records": [],
        "records_total": 0,
        "grade": None,
        "measures": [],
        "counts": {"black": 0, "watch": 0, "red": 0, "records": 0, "measures": 0},
    },
)
_BAD_MATTER = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="请求有误（按字段说明，中文）；事项代码不存在时列出全部可选事项代码。",
    examples=[
        OpenApiExample(
            "事项代码不存在",
            response_only=True,
            status_codes=["400"],
            value={
                "matter": ["事项代码“tender”不存在。可选的事项代码：bidding（招标投标）、procurement（政府采购）、……"]
            },
        ),
        OpenApiExample(
            "未提供代码或名称",
            response_only=True,
            status_codes=["400"],
            value={"code": ["请提供主体代码 code 或主体名称 name。"]},
        ),
    ],
)


class CreditCheckCreateView(generics.GenericAPIView):
    serializer_class = CreditCheckRequestSerializer
    permission_classes = [CanRunChecks]
    parser_classes = [ChineseJSONParser]

    @extend_schema(
        operation_id="credit_checks_create",
        summary="信用核查（逢办必查）",
        description=(
            "办理业务前核查主体信用：按统一社会信用代码、身份证号码或旧代码（code），或按主体全称（name）查找主体，"
            "返回主体身份（自然人只返回脱敏证件号码）、在列的红黑名单及重点关注名单（认定部门、认定日期、有效期、认定依据）、"
            "公示期内的信用记录、信用评价等级（评价模块上线前为 null），以及该办理事项（matter）适用的奖惩措施"
            "（措施内容、设定依据、实施部门、由哪个名单触发；多个名单触发同一措施时只列一次）。"
            "已移出、已过有效期或已信用修复的名单条目不触发措施。\n\n"
            "每次核查都会记录（包括未找到主体的核查），返回的 `id` 用于反馈措施实施情况。"
            "按名称查询到多个同名主体时 found 为 false，candidates 列出候选主体的公开代码，请改用代码查询。\n\n"
            f"认证：服务大厅系统 API Key（权限范围 `{CHECK_SCOPE}`），或部门工作人员、信用中心工作人员登录会话。"
        ),
        request=CreditCheckRequestSerializer,
        responses={
            201: CreditCheckResponseSerializer,
            400: _BAD_MATTER,
            401: OpenApiResponse(response=_ERROR, description="未认证"),
            403: OpenApiResponse(response=_ERROR, description="无信用核查权限"),
        },
        examples=[*_REQUEST_EXAMPLES, _FOUND_EXAMPLE, _NOT_FOUND_EXAMPLE],
        tags=[TAG],
    )
    def post(self, request):
        serializer = self.get_serializer(data={} if request.data is None else request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        check = credit_check_run(
            query=data["query"],
            matter=data["matter"],
            channel=CheckChannel.API,
            lookup=data["lookup"],
            **_principal(request),
        )
        return Response(check_response(check), status=status.HTTP_201_CREATED)


class CreditCheckFeedbackView(generics.GenericAPIView):
    serializer_class = FeedbackRequestSerializer
    permission_classes = [CanRunChecks]
    parser_classes = [ChineseJSONParser]
    queryset = CreditCheck.objects.none()

    @extend_schema(
        operation_id="credit_checks_feedback",
        summary="反馈奖惩措施实施情况（奖惩案例）",
        description=(
            "对一次核查返回的措施逐项反馈：已实施（implemented=true），或未实施（implemented=false，须填写原因 reason）。"
            "同一核查的同一措施再次反馈时更新原反馈（幂等）。只有发起核查的部门（其系统或工作人员）或信用中心可以反馈；"
            "其他部门的核查返回 404。"
        ),
        request=FeedbackRequestSerializer,
        responses={
            200: FeedbackResponseSerializer,
            400: OpenApiResponse(response=OpenApiTypes.OBJECT, description="反馈内容有误（按条目位置说明）"),
            401: OpenApiResponse(response=_ERROR, description="未认证"),
            403: OpenApiResponse(response=_ERROR, description="无信用核查权限"),
            404: OpenApiResponse(response=_ERROR, description="核查不存在，或不是本部门发起的核查"),
        },
        examples=[
            OpenApiExample(
                "一项已实施、一项未实施",
                request_only=True,
                value={
                    "items": [
                        {"measure": "CJ-01", "implemented": True, "reason": "已取消其投标资格"},
                        {"measure": "CJ-05", "implemented": False, "reason": "该事项已于核查前办结"},
                    ]
                },
            ),
            OpenApiExample(
                "反馈结果",
                response_only=True,
                status_codes=["200"],
                value={
                    "check_id": 10482,
                    "items": [
                        {"measure": "CJ-01", "implemented": True, "reason": "已取消其投标资格"},
                        {"measure": "CJ-05", "implemented": False, "reason": "该事项已于核查前办结"},
                    ],
                    "complete": True,
                },
            ),
        ],
        tags=[TAG],
    )
    def post(self, request, pk: int):
        check = credit_checks_visible(user=request.user).filter(pk=pk).first()
        if check is None:
            raise NotFound("核查记录不存在，或不是本部门发起的核查。")
        serializer = self.get_serializer(data={} if request.data is None else request.data)
        serializer.is_valid(raise_exception=True)
        try:
            check_feedback_record(credit_check=check, items=serializer.validated_data["items"], **_principal(request))
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"items": exc.messages}
            raise ValidationError(detail) from exc
        given = feedback_by_measure_code(check)
        measures = [m["code"] for m in check.result.get("measures", [])]
        items = [
            {"measure": code, "implemented": given[code].implemented, "reason": given[code].reason}
            for code in measures
            if code in given
        ]
        return Response({"check_id": check.pk, "items": items, "complete": len(items) == len(measures)})


class CreditCheckFiguresView(generics.GenericAPIView):
    serializer_class = FiguresSerializer
    permission_classes = [IsCenterStaff]

    @extend_schema(
        operation_id="credit_checks_figures",
        summary="信用核查与名单指标",
        description=(
            "信用中心使用：核查次数 / 在营市场主体数（目标 > 100%）、严重失信主体（在列严重失信主体名单的在营市场主体）"
            " / 在营市场主体数（目标 < 0.2%；评分：低于 0.3% 得满分 4 分，高于 0.5% 不得分，其间按比例）、"
            "分名单类型和认定部门的在列条目数、奖惩案例反馈率（返回了措施且已反馈的核查 / 返回了措施的核查）。"
        ),
        parameters=[FiguresQuerySerializer],
        responses={200: FiguresSerializer, 403: OpenApiResponse(response=_ERROR, description="仅信用中心")},
        tags=[TAG],
    )
    def get(self, request):
        query = FiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = credit_check_figures(
            date_from=query.validated_data.get("date_from"), date_to=query.validated_data.get("date_to")
        )
        return Response(figures.as_dict())
