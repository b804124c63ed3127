import re

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from ..codes import check_id_number, check_uscc, mask_id_number
from .serializers import CODE_TYPES, CodeCheckQuerySerializer, CodeCheckResultSerializer

_ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def code_check_public(*, code: str, code_type: str) -> dict:
    """The check result as the public may see it: an ID number only ever masked.

    A caller who sends an ID number without ``type=id_card`` still gets it back
    masked: an ID-shaped string is masked unless it is a valid USCC and not a
    valid ID number, so a chance USCC check-digit match never echoes an ID.
    """
    if code_type == "id_card":
        result = check_id_number(code)
        return {**result.as_dict(), "code": mask_id_number(result.code)}
    result = check_uscc(code)
    data = result.as_dict()
    if _ID_NUMBER_SHAPE.fullmatch(result.code):
        is_id_number = check_id_number(result.code).valid
        if is_id_number or not result.valid:
            data["code"] = mask_id_number(result.code)
        if is_id_number and not result.valid:
            data["errors"] = ["该号码是居民身份证号码，不是统一社会信用代码；如需校验身份证号码，请使用 type=id_card。"]
    return data


class ValidateCodeView(APIView):
    """统一社会信用代码（或居民身份证号码）校验，公开接口。"""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        operation_id="subjects_validate_code",
        summary="校验统一社会信用代码",
        description=(
            "按 GB 32100-2015 校验统一社会信用代码：长度、字符集（不使用 I、O、S、V、Z）、登记管理部门代码"
            "（1–9、A、N、Y）、第18位校验码。组织机构代码校验位不符或行政区划码未知时仍判为通过，但在 warnings "
            "中提示（疑似错码）。`type=id_card` 时按 GB 11643-1999 校验居民身份证号码，返回的 code 只含脱敏号码。"
        ),
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.QUERY, required=True, description="待校验的代码"),
            OpenApiParameter(
                "type",
                str,
                OpenApiParameter.QUERY,
                enum=[c for c, _ in CODE_TYPES],
                default="uscc",
                description="代码类型",
            ),
        ],
        responses={
            200: CodeCheckResultSerializer,
            400: {"type": "object", "properties": {"code": {"type": "array", "items": {"type": "string"}}}},
        },
        examples=[
            OpenApiExample(
                "通过",
                value={"code": "91350100M000100Y43", "valid": True, "errors": [], "warnings": []},
                response_only=True,
            ),
            OpenApiExample(
                "校验码错误",
                value={
                    "code": "91350100M000100Y44",
                    "valid": False,
                    "errors": ["第18位校验码不符，代码可能录入有误"],
                    "warnings": [],
                },
                response_only=True,
            ),
        ],
        tags=["subjects"],
    )
    def get(self, request):
        query = CodeCheckQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = code_check_public(code=query.validated_data["code"], code_type=query.validated_data["type"])
        return Response(CodeCheckResultSerializer(data).data)
