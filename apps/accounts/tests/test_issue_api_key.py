"""``issue_api_key`` prints a key once, stores only its hash, and the key works."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.accounts.api.authentication import ApiKeyAuthentication
from apps.accounts.models import ApiKey, hash_api_key

pytestmark = pytest.mark.django_db

KEY_LINE = re.compile(r"^([0-9a-f]{8}\.[A-Za-z0-9_-]{40,})$", re.MULTILINE)


def issue(*args):
    out = StringIO()
    call_command("issue_api_key", *args, stdout=out)
    output = out.getvalue()
    keys = KEY_LINE.findall(output)
    assert len(keys) == 1, output
    return keys[0], output


def authenticate(raw):
    request = Request(APIRequestFactory().get("/api/v1/departments/", HTTP_AUTHORIZATION=f"Api-Key {raw}"))
    return ApiKeyAuthentication().authenticate(request)


def test_key_is_printed_once_and_only_its_hash_is_stored(dept_a):
    raw, output = issue("--name", "市场监管局双公示报送系统", "--department", "scjgj", "--scope", "records:write")
    assert "只显示这一次" in output
    key = ApiKey.objects.get()
    assert key.key_hash == hash_api_key(raw) and key.key_hash != raw
    assert raw.startswith(key.prefix + ".")
    stored = json.dumps(list(ApiKey.objects.values()), default=str)
    assert raw not in stored and raw.split(".", 1)[1] not in stored
    assert raw not in json.dumps(list(LogEntry.objects.values()), default=str)
    assert key.name == "市场监管局双公示报送系统" and key.department == dept_a
    assert key.scopes == ["records:write"] and key.expires_at is None


def test_issued_key_authenticates_and_a_wrong_key_is_refused(dept_a):
    raw, _ = issue("--name", "报送系统", "--department", "scjgj", "--scope", "records:write", "credit-check")
    principal, key = authenticate(raw)
    assert key == ApiKey.objects.get()
    assert principal.is_authenticated and principal.department == dept_a
    assert principal.has_scope("records:write") and principal.has_scope("credit-check")
    assert not principal.has_scope("admin")
    wrong = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(wrong)
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate("deadbeef.not-a-real-key")


def test_scopes_can_be_repeated_and_are_deduplicated(db):
    issue("--name", "窗口系统", "--scope", "a", "b", "--scope", "c", "--scope", "a")
    key = ApiKey.objects.get()
    assert key.scopes == ["a", "b", "c"] and key.department is None


def test_expiry_is_set_and_an_expired_key_is_refused(dept_a):
    raw, output = issue("--name", "临时对接", "--department", "scjgj", "--expires-days", "30")
    key = ApiKey.objects.get()
    expected = timezone.now() + timedelta(days=30)
    assert abs((key.expires_at - expected).total_seconds()) < 60
    assert "有效期至" in output
    authenticate(raw)
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(raw)


def test_unknown_department_is_refused_in_chinese(dept_a):
    with pytest.raises(CommandError, match="部门代码“nosuch”不存在") as excinfo:
        call_command("issue_api_key", "--name", "X", "--department", "nosuch", stdout=StringIO())
    assert "scjgj" in str(excinfo.value)  # lists the codes that do exist
    assert not ApiKey.objects.exists()


def test_inactive_department_and_bad_expiry_are_refused(dept_a):
    with pytest.raises(CommandError, match="正整数"):
        call_command("issue_api_key", "--name", "X", "--expires-days", "0", stdout=StringIO())
    dept_a.is_active = False
    dept_a.save()
    with pytest.raises(CommandError, match="已停用"):
        call_command("issue_api_key", "--name", "X", "--department", "scjgj", stdout=StringIO())
    assert not ApiKey.objects.exists()
