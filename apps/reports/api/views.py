from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.subjects.masking import mask_personal_numbers
from credit_portal.ratelimits import LIMIT_MESSAGE, over_limit

from ..services import public_snapshot, report_verify
from .serializers import VerifyQuerySerializer, VerifyResultSerializer


class ReportVerifyView(APIView):
    """Anyone holding a report can check it: genuine, unaltered, and what it said."""

    authentication_classes = []
    permission_classes = [AllowAny]
    replica_read = True  # credit_portal/db_router.py

    @extend_schema(
        tags=["reports"],
        summary="验证信用报告",
        description="按报告编号和验证码核验信用报告是否由本平台出具、内容是否与出具时一致，并返回出具时的报告内容。",
        parameters=[VerifyQuerySerializer],
        responses={
            200: VerifyResultSerializer,
            400: OpenApiResponse(description="缺少报告编号或验证码"),
            404: OpenApiResponse(VerifyResultSerializer, description="报告编号或验证码不正确"),
            429: OpenApiResponse(description="访问过于频繁"),
        },
    )
    def get(self, request):
        if over_limit(request, "PORTAL_RATE_VERIFY"):
            return Response({"detail": LIMIT_MESSAGE}, status=429, headers={"Retry-After": "60"})
        query = VerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        outcome = report_verify(number=query.validated_data["number"], code=query.validated_data["code"])
        body = {"verified": outcome.verified, "status": outcome.status, "detail": outcome.message}
        if outcome.verified:
            report = outcome.report
            body.update(
                number=report.number,
                kind=report.get_kind_display(),
                issued_at=report.issued_at,
                subject_name=mask_personal_numbers(report.subject_name),
                subject_code=report.subject_code,
                snapshot_hash=report.snapshot_hash,
                content=public_snapshot(report.snapshot),
            )
        return Response(VerifyResultSerializer(body).data, status=200 if outcome.verified else 404)
