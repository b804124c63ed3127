"""OpenAPI post-processing: document the error answers every operation can give.

drf-spectacular documents what each view declares; the answers that come from
the framework (no or bad credentials, a role or scope that may not, an object
that does not exist or belongs to another department) are the same
everywhere, so they are added here once instead of on every view. The API
fuzz test (tests/test_api_fuzz.py) holds every response to this schema.
"""

_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def add_error_responses(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            security = operation.get("security") or []
            if any(requirement for requirement in security):
                responses.setdefault("401", _error("未认证或 API Key 无效"))
                responses.setdefault("403", _error("无权访问（角色或 API Key 权限范围不符）"))
            if "{" in path:
                responses.setdefault("404", _error("对象不存在，或不属于本部门"))
            if method != "get" or operation.get("parameters"):
                responses.setdefault("400", _error("请求内容有误"))
            responses.setdefault("429", _error("请求过于频繁"))
            if method == "get":
                # Public reads run under a statement timeout (credit_portal/public_queries.py).
                responses.setdefault("503", _error("查询超时，请缩小查询范围或稍后再试"))
    return result
