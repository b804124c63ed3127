from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from apps.accounts.permissions import IsCenterStaff

from ..filtersets import CalendarOverrideFilterSet
from ..models import CalendarOverride
from ..services import calendar_override_delete, calendar_override_set, workdays_add
from .serializers import CalendarOverrideSerializer, DeadlineQuerySerializer, DeadlineSerializer

_VALIDATION_ERROR = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="参数有误：按字段列出全部问题（中文）。",
    examples=[
        OpenApiExample(
            "参数有误",
            value={
                "start": ["起算日期 start 不是有效日期，格式为 YYYY-MM-DD，例如 2024-09-27。"],
                "days": ["工作日天数 days 不能为负数。"],
            },
            response_only=True,
            status_codes=["400"],
        )
    ],
)


def _raise_as_drf(exc: DjangoValidationError):
    raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc


class DeadlineView(APIView):
    """期限计算（公开）：起算日之后第 N 个工作日。"""

    # Public and read-only: no session means no CSRF and no 403 for a stale login.
    authentication_classes = []
    permission_classes = [AllowAny]
    replica_read = True  # credit_portal/db_router.py
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        operation_id="workdays_deadline",
        summary="计算工作日期限",
        description="“自决定之日起 N 个工作日内”：决定当日不计入，返回其后第 N 个工作日。"
        "按国家法定节假日及调休安排计算，信用中心录入的日历调整优先；"
        "国家放假安排尚未收录的年度按法定节假日推算、未含调休（calendar=estimated），"
        "无法推算的年度按周一至周五推定（calendar=fallback）。",
        parameters=[DeadlineQuerySerializer],
        responses={200: DeadlineSerializer, 400: _VALIDATION_ERROR},
        examples=[
            OpenApiExample(
                "2024 年国庆",
                value={"start": "2024-09-27", "days": 7, "deadline": "2024-10-12", "calendar": "official"},
                response_only=True,
            ),
            OpenApiExample(
                "跨入尚未公布放假安排的 2027 年",
                value={"start": "2026-12-31", "days": 1, "deadline": "2027-01-04", "calendar": "estimated"},
                response_only=True,
            ),
        ],
    )
    def get(self, request):
        query = DeadlineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            result = workdays_add(**query.validated_data)
        except ValueError as exc:
            raise serializers.ValidationError({"start": [str(exc)]}) from exc
        return Response(DeadlineSerializer(result).data)


class CalendarOverrideListView(generics.ListAPIView):
    """日历调整（信用中心）：列表，及按日期新增或修改。"""

    queryset = CalendarOverride.objects.select_related("created_by").order_by("date")
    serializer_class = CalendarOverrideSerializer
    permission_classes = [IsCenterStaff]
    filterset_class = CalendarOverrideFilterSet

    @extend_schema(operation_id="workdays_overrides_list", summary="日历调整列表")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="workdays_overrides_set",
        summary="新增或修改日历调整",
        description="每个日期只有一条调整：该日期尚无记录时新增（201），已有记录时更新（200）。",
        request=CalendarOverrideSerializer,
        responses={201: CalendarOverrideSerializer, 200: CalendarOverrideSerializer, 400: _VALIDATION_ERROR},
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            override, created = calendar_override_set(user=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return Response(
            self.get_serializer(override).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


@extend_schema(
    parameters=[OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="日期，YYYY-MM-DD")]
)
class CalendarOverrideDetailView(generics.RetrieveDestroyAPIView):
    """单个日期的日历调整（信用中心）：查看或删除（删除后该日恢复为国家日历或推定日历）。"""

    queryset = CalendarOverride.objects.select_related("created_by")
    serializer_class = CalendarOverrideSerializer
    permission_classes = [IsCenterStaff]
    lookup_field = "date"

    @extend_schema(operation_id="workdays_overrides_retrieve", summary="查看日历调整")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="workdays_overrides_delete", summary="删除日历调整")
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)

    def perform_destroy(self, instance):
        calendar_override_delete(override=instance, user=self.request.user)
