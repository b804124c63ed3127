from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..models import ApiKey, hash_api_key


class SystemPrincipal:
    """The caller behind an API key: an external system, not a person.

    It is authenticated but holds no staff role, so role-gated endpoints refuse
    it unless they check the key's scopes explicitly.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    role = "system"

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.department = api_key.department
        self.department_id = api_key.department_id
        self.pk = None
        self.username = f"api:{api_key.prefix}"

    def __str__(self):
        return f"系统 {self.api_key.name}"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.api_key.scopes or [])


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>`` (or ``X-Api-Key: <key>``)."""

    keyword = "Api-Key"

    def authenticate(self, request):
        raw = request.headers.get("X-Api-Key")
        header = request.headers.get("Authorization", "")
        if not raw and header.startswith(self.keyword + " "):
            raw = header[len(self.keyword) + 1 :].strip()
        if not raw:
            return None
        key = ApiKey.objects.usable().select_related("department").filter(key_hash=hash_api_key(raw)).first()
        if key is None:
            raise exceptions.AuthenticationFailed("API Key 无效、已停用或已过期。")
        # One write per request at most once a minute: enough for "last used" without a hot row.
        now = timezone.now()
        if not key.last_used_at or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return SystemPrincipal(key), key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "格式：`Api-Key <key>`，由信用中心为部门系统签发。",
        }
