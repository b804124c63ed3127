from django.db import IntegrityError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from apps.accounts.api.authentication import SystemPrincipal
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import Department
from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.catalog.models import RecordType
from apps.catalog.spec import TypeSpec
from credit_portal.pagination import KeysetPagination

from ..choices import Source
from ..filtersets import RecordFilterSet, StaffRecordFilterSet
from ..models import Record
from ..selectors import (
    cached_public_field_specs,
    public_record,
    public_records,
    staff_record,
    staff_records,
)
from ..services import records_ingest
from .serializers import BatchRequestSerializer, BatchResponseSerializer, PublicRecordSerializer, RecordSerializer

WRITE_SCOPE = "records:write"
READ_SCOPE = "records:read"
TAG = "records"


class CanSubmitRecords(BasePermission):
    """A department system's key with ``records:write``, or department / center staff signed in."""

    message = "需要部门系统的 API Key（权限范围 records:write），或以部门工作人员、信用中心工作人员身份登录。"

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, SystemPrincipal):
            if not user.department_id:
                self.message = "该 API Key 未绑定部门，不能报送记录。"
                return False
            if not user.has_scope(WRITE_SCOPE):
                self.message = f"该 API Key 没有报送权限（需要权限范围 {WRITE_SCOPE}）。"
                return False
            return True
        return has_role(user, STAFF_ROLES)


class CanReadRecords(BasePermission):
    """A department system's key (``records:read`` or ``records:write``), or staff signed in."""

    message = "需要部门系统的 API Key（权限范围 records:read），或以部门工作人员、信用中心工作人员身份登录。"

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, SystemPrincipal):
            if not user.department_id:
                self.message = "该 API Key 未绑定部门，不能查询记录。"
                return False
            return user.has_scope(READ_SCOPE) or user.has_scope(WRITE_SCOPE)
        return has_role(user, STAFF_ROLES)


# --- OpenAPI pieces ---------------------------------------------------------------

_ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}}
_BAD_REQUEST = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="请求体有误：按字段列出问题（中文）；records 中第几条有误时以其位置（从 0 起）为键。",
    examples=[
        OpenApiExample(
            "records 不是数组",
            value={"records": ["records 应为数组（JSON array），收到的是 对象。"]},
            response_only=True,
            status_codes=["400"],
        ),
        OpenApiExample(
            "超过单次上限",
            value={"records": ["每次最多提交 1000 条记录，本次为 1200 条，请分批提交。"]},
            response_only=True,
            status_codes=["400"],
        ),
    ],
)
_NOT_FOUND_TYPE = OpenApiResponse(
    response=_ERROR,
    description="信息类型代码不存在或未启用。",
    examples=[
        OpenApiExample(
            "类型不存在",
            value={"detail": "信息类型“fine”不存在或未启用。"},
            response_only=True,
            status_codes=["404"],
        )
    ],
)
_BATCH_REQUEST_EXAMPLE = OpenApiExample(
    "行政处罚两条",
    request_only=True,
    value={
        "records": [
            {
                "CF_XDR_MC": "乳山市某某商贸有限公司",
                "CF_XDR_LB": "法人及非法人组织",
                "CF_XDR_SHXYM": "91371083MA3D00011P",
                "CF_FRDB": "张伟",
                "CF_WSH": "乳市监罚〔2024〕1号",
                "CF_WFXW": "销售不合格产品",
                "CF_SY": "经查，当事人销售的产品经抽检不合格。",
                "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
                "CF_CFLB": ["罚款", "没收违法所得"],
                "CF_NR": "罚款人民币5000元，没收违法所得1200元。",
                "CF_NR_FK": 0.5,
                "CF_NR_WFFF": "0.12",
                "CF_JDRQ": "2024-09-27",
                "CF_CFJG": "乳山市市场监督管理局",
                "CF_CFJGDM": "11371083MB1234562X",
                "CF_SJLY": "乳山市市场监督管理局",
                "CF_SJLYDM": "11371083MB1234562X",
            },
            {"CF_XDR_MC": "乳山市某某餐饮店", "CF_WSH": "乳市监罚〔2024〕2号", "CF_JDRQ": "2024-13-01"},
        ]
    },
)
_BATCH_RESPONSE_EXAMPLE = OpenApiExample(
    "逐条结果",
    response_only=True,
    status_codes=["200"],
    value={
        "summary": {"accepted": 1, "rejected": 1, "duplicates": 0},
        "results": [
            {
                "index": 0,
                "row": 1,
                "outcome": "accepted",
                "decision_number": "乳市监罚〔2024〕1号",
                "record_id": 1024,
                "problems": [],
                "warnings": [],
            },
            {
                "index": 1,
                "row": 2,
                "outcome": "rejected",
                "decision_number": "",
                "record_id": None,
                "problems": [
                    {"field": "CF_JDRQ", "label": "处罚决定日期", "message": "“2024-13-01”不是有效日期"},
                    {"field": "CF_XDR_LB", "label": "行政相对人类别", "message": "必填，不能为空"},
                ],
                "warnings": [],
            },
        ],
    },
)


class ChineseJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            reason = str(exc.detail).split(" - ", 1)[-1]
            raise ParseError(f"请求体不是有效的 JSON（{reason}）。") from exc


class RecordBatchView(generics.GenericAPIView):
    """批量报送（新增或更正）：部门系统或部门工作人员。"""

    serializer_class = BatchRequestSerializer
    permission_classes = [CanSubmitRecords]
    parser_classes = [ChineseJSONParser]

    @extend_schema(
        operation_id="records_batch",
        summary="批量报送信用信息",
        description=(
            "按信用信息目录校验每条记录（与网页填报、文件上传同一套规则），合规的入库，不合规的逐条说明原因；"
            "合规记录不因同批其他记录不合规而丢弃。按（部门、信息类型、决定文书号）幂等：重复提交相同内容不新增"
            "（duplicate），同一文书号内容有变化的视为更正（updated）并保留修改前后的历史。\n\n"
            "认证：部门系统使用 API Key（权限范围 `records:write`），报送部门即 Key 所属部门；部门工作人员登录后"
            "报送本部门记录；信用中心工作人员须在请求体中以 `department` 指定部门代码。每次最多 1000 条。\n\n"
            "记录的键为国家标准字段代码（如 `CF_WSH`），也接受模板表头（如 `行政处罚决定书文号`）；"
            "未识别的键被忽略并在 warnings 中提示。值为文本或数字，多选字段（如处罚类别）可用数组。\n\n"
            "行政处罚的失信行为严重程度：键 `CF_SXYZCD`、`失信行为严重程度` 或 `severity`，值为 轻微 / 一般 / 严重"
            "（或 轻微失信 / 一般失信 / 严重失信，或 `minor` / `general` / `serious`）；不填的按决定日适用的认定规则推定。"
            "公示截止期由平台按严重程度的最长公示期确定，填报的公示截止期与规则不一致的在 warnings 中提示，以规则为准。"
        ),
        parameters=[
            OpenApiParameter(
                "type_code",
                str,
                OpenApiParameter.PATH,
                description="信息类型代码，如 `penalty`（行政处罚）、`license`（行政许可）",
            )
        ],
        request=BatchRequestSerializer,
        responses={
            200: BatchResponseSerializer,
            400: _BAD_REQUEST,
            401: OpenApiResponse(response=_ERROR, description="未认证"),
            403: OpenApiResponse(response=_ERROR, description="无报送权限，或报送非本部门数据"),
            404: _NOT_FOUND_TYPE,
        },
        examples=[_BATCH_REQUEST_EXAMPLE, _BATCH_RESPONSE_EXAMPLE],
        tags=[TAG],
    )
    def post(self, request, type_code):
        record_type = RecordType.objects.select_related("power").filter(code=type_code, is_active=True).first()
        if record_type is None:
            raise NotFound(f"信息类型“{type_code}”不存在或未启用。")
        # A JSON ``null`` body reads as "no body": the same message as an empty one.
        serializer = self.get_serializer(data={} if request.data is None else request.data)
        serializer.is_valid(raise_exception=True)
        department = self._department(request.user, serializer.validated_data.get("department"))
        spec = TypeSpec.load(record_type)

        rows, extra_warnings = [], []
        for index, raw in enumerate(serializer.validated_data["records"]):
            keys = list(raw)
            mapping, unknown, _missing = spec.match_headers(keys)
            rows.append((index + 1, {code: raw[keys[position]] for position, code in mapping.items()}))
            extra_warnings.append([{"field": key, "label": "", "message": "未识别的字段，已忽略"} for key in unknown])

        user = request.user
        system = isinstance(user, SystemPrincipal)
        options = {
            "record_type": spec,
            "department": department,
            "rows": rows,
            "source": Source.API,
            "actor": None if system else user,
            "actor_label": user.api_key.name if system else "",
        }
        try:
            summary = records_ingest(**options)
        except IntegrityError:
            # Another call inserted one of these document numbers meanwhile; the batch was
            # rolled back whole, and a second run sees those rows as duplicates or corrections.
            summary = records_ingest(**options)

        results = []
        for index, (outcome, warnings) in enumerate(zip(summary.outcomes, extra_warnings, strict=True)):
            result = {"index": index, **outcome.as_dict()}
            result["warnings"] = [*result["warnings"], *warnings]
            results.append(result)
        return Response({"summary": summary.as_dict(), "results": results})

    def _department(self, user, code: str | None) -> Department:
        if isinstance(user, SystemPrincipal) or not has_role(user, CENTER_ROLES):
            # Department systems and department staff (the permission lets no one else in).
            own = user.department
            if own is None:
                raise PermissionDenied("账号未设置所属部门，不能报送记录。")
            if code and code != own.code:
                raise PermissionDenied(f"只能报送本部门（{own.name}）的数据，不能以部门“{code}”的名义报送。")
            return own
        if not code:
            raise ValidationError({"department": ["信用中心工作人员报送时须以 department 指定部门代码。"]})
        department = Department.objects.filter(code=code, is_active=True).first()
        if department is None:
            raise ValidationError({"department": [f"部门代码“{code}”不存在或已停用。"]})
        return department


@extend_schema(tags=[TAG])
class RecordListView(generics.ListAPIView):
    """本部门记录（信用中心可查全部）。"""

    serializer_class = RecordSerializer
    permission_classes = [CanReadRecords]
    filterset_class = StaffRecordFilterSet

    def get_queryset(self):
        return staff_records(user=self.request.user)

    @extend_schema(
        operation_id="records_list",
        summary="查询已报送记录",
        description=(
            "部门系统（API Key，权限范围 `records:read` 或 `records:write`）及部门工作人员只能查询本部门记录；"
            "信用中心可查询全部。含报送期限 report_deadline、报送时间 reported_at、上网公示时间 published_at、是否按时公示 timely（以上网公示之日判定，未公示为 null）、"
            "期限所用日历 deadline_calendar（official 国家日历 / estimated 按法定节假日预估、未含调休 / fallback 按周一至周五推定）及公示截止日。"
            "data 中的证件号码均已脱敏。"
        ),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=[TAG])
class RecordDetailView(generics.RetrieveAPIView):
    serializer_class = RecordSerializer
    permission_classes = [CanReadRecords]
    queryset = Record.objects.none()

    def get_object(self):
        try:
            return staff_record(user=self.request.user, pk=self.kwargs["pk"])
        except Record.DoesNotExist:
            raise NotFound("记录不存在，或不属于本部门。") from None

    @extend_schema(
        operation_id="records_retrieve",
        summary="查看一条记录",
        description="其他部门的记录与不存在的记录一样返回 404。",
        responses={
            200: RecordSerializer,
            404: OpenApiResponse(response=_ERROR, description="记录不存在或不属于本部门"),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _PublicMixin:
    public_query = True  # statement timeout (credit_portal/public_queries.py)
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    serializer_class = PublicRecordSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # The per-process copy of every public field spec (credit_portal/policy_cache.py): building them per
        # request cost ~15 ms of a 100-row page. Records reach here only through public_records(), i.e. of
        # public, active, publishable types, so the specs of other types are never looked up.
        context["public_specs"] = cached_public_field_specs()
        return context


@extend_schema(tags=[TAG])
class PublicRecordListView(_PublicMixin, generics.ListAPIView):
    filterset_class = RecordFilterSet
    # Newest first by cursor, at most PUBLIC_PAGE_SIZE_MAX a page, no count (credit_portal/pagination.py).
    pagination_class = KeysetPagination

    def get_queryset(self):
        return public_records(on=timezone.localdate())

    @extend_schema(
        operation_id="records_public_list",
        summary="公示信息查询（公开）",
        description=(
            "行政许可、行政处罚等在公示期内的信息，只含目录中标为公开的字段，个人证件号码不公开。"
            "已信用修复、已撤销、公示期满、依规不予公示的信息不在其中。"
            "under_objection / under_repair 表示异议处理中 / 信用修复中。\n\n"
            "按决定日期从新到旧分页：每页 limit 条（默认值与上限见参数说明，超过上限按上限返回），"
            "下一页取响应中的 next 地址（cursor 游标分页），不提供总条数。"
        ),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=[TAG])
class PublicRecordDetailView(_PublicMixin, generics.RetrieveAPIView):
    queryset = Record.objects.none()

    def get_object(self):
        try:
            return public_record(pk=self.kwargs["pk"], on=timezone.localdate())
        except Record.DoesNotExist:
            raise NotFound("该信息不存在或不在公示期内。") from None

    @extend_schema(
        operation_id="records_public_retrieve",
        summary="公示信息详情（公开）",
        responses={
            200: PublicRecordSerializer,
            404: OpenApiResponse(response=_ERROR, description="不存在或不在公示期内"),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
