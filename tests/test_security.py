"""Deployment safeguards, passwords, sessions, CSRF on every form, uploads checked by content."""

import datetime
import json
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import test_permission_matrix as matrix
from tests.test_settings import PRODUCTION_ENV, _manage

# The permission matrix's objects of department A and its signed-in clients.
world, clients, frozen = matrix.world, matrix.clients, matrix.frozen

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path):
    db = connection.settings_dict
    return PRODUCTION_ENV | {
        # What docker-compose.yml gives the web container.
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "CSRF_TRUSTED_ORIGINS": "https://credit.example.gov.cn",
    }


@pytest.mark.django_db
def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("production runs on PostgreSQL")
    result = _manage(
        "check", "--deploy", "--database", "default", "--fail-level", "WARNING", env_overrides=_production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_production_settings_are_strict(tmp_path):
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "X_FRAME_OPTIONS",
        "SESSION_COOKIE_AGE",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "AXES_FAILURE_LIMIT",
    ]
    code = (
        "import json; from django.conf import settings as s; from django.db import connection as c; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}} | "
        "{'health': c.settings_dict['CONN_HEALTH_CHECKS'], 'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']}, default=str))"
    )
    result = _manage("shell", "-c", code, env_overrides=_production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SESSION_COOKIE_AGE"] <= 8 * 3600 and values["SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert values["AXES_FAILURE_LIMIT"] <= 5
    assert values["health"] is True  # a restarted database is noticed per request, not by a restart of the portal
    assert values["csp"]["script-src"] == ["'self'"] and "'unsafe-inline'" not in values["csp"]["style-src"]


@pytest.mark.parametrize(
    "password, why",
    [
        ("Ab1!short", "too short"),
        ("1234567890123", "only digits"),
        ("password1234", "common"),
        ("clerk_zhang2024", "like the username"),
    ],
)
def test_password_policy_refuses_weak_passwords(password, why):
    from apps.accounts.models import User

    with pytest.raises(ValidationError):
        validate_password(password, User(username="clerk_zhang2024", full_name="张伟"))


def test_password_policy_accepts_a_strong_password():
    validate_password("Ruishan-credit-2024!")


@pytest.mark.django_db
def test_registration_form_shows_the_password_problems_in_chinese(client):
    response = client.post(
        reverse("accounts:register"),
        {"username": "qiye01", "full_name": "王芳", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "密码" in html and ("太短" in html or "全都是数字" in html or "过于常见" in html)


@pytest.mark.django_db
def test_session_expires_after_its_age(client, clerk_a, settings):
    start = datetime.datetime(2024, 10, 10, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(clerk_a, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(reverse("records:list")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60), tick=False):
        response = client.get(reverse("records:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# Login throttling and lockout: apps/accounts/tests/test_auth.py.


def test_every_form_and_api_write_needs_a_csrf_token(world, admin_user):
    """POST without a token, signed in (session cookie present): refused before any view runs."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    accepted = []
    for name in matrix.MATRIX:
        if name in ("api-v1:schema", "api-v1:docs", "api-v1:redoc"):
            continue
        url = matrix.route_url(name, world)
        # An attacker's forged request carries no token of ours; the previous answer (a Chinese 403 page
        # with the layout's logout form) may have set a CSRF cookie, which a cross-site request would not
        # be able to pair with a token either. Start each request from the session cookie alone.
        client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
        response = client.post(url, {})
        if response.status_code != 403:
            accepted.append(f"{name}: {response.status_code}")
    # Endpoints for other systems authenticate by API key or not at all (public reads),
    # so they cannot ride on a browser's session: CSRF does not apply to them.
    exempt = {
        "api-v1:department-list",
        "api-v1:department-detail",
        "api-v1:subject-validate-code",
        "api-v1:workdays-deadline",
        "api-v1:record-public-list",
        "api-v1:record-public-detail",
        "api-v1:report-verify",
    }
    assert sorted(a for a in accepted if a.split(":")[0] + ":" + a.split(":")[1] not in exempt) == []


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    "content, name",
    [
        (b"<html><script>alert(1)</script></html>", "penalty.xlsx"),
        (b"%PDF-1.7 fake", "penalty.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old-excel", "penalty.xlsx"),
        (b"PK\x03\x04 not really a zip", "penalty.xlsx"),
        (b"MZ\x90\x00 windows program", "penalty.exe"),
    ],
)
@pytest.mark.django_db
def test_uploads_are_checked_by_content_not_by_name(client_for, clerk_a, settings, tmp_path, content, name):
    from apps.records.models import Upload

    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }
    response = client_for(clerk_a).post(
        reverse("records_upload:create"),
        {"record_type": "penalty", "file": SimpleUploadedFile(name, content, content_type=XLSX)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Upload.objects.exists() and not any(tmp_path.iterdir())


def test_uploaded_files_live_outside_the_web_root(settings):
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    for public in [Path(settings.STATIC_ROOT).resolve(), *(Path(p).resolve() for p in settings.STATICFILES_DIRS)]:
        assert not private.is_relative_to(public) and not public.is_relative_to(private)
    # Nothing maps a URL onto the upload folder: no static.serve route anywhere.
    assert not [name for name, pattern in matrix.walk() if "static.serve" in getattr(pattern, "lookup_str", "")]


def test_uploaded_file_is_served_as_an_attachment_that_browsers_do_not_sniff(world, clients):
    response = clients["clerk_a"].get(reverse("records_upload:file", kwargs={"pk": world["upload"].pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "text/html" not in response["Content-Type"]


def test_no_raw_sql_string_building_outside_reviewed_places():
    """ruff's S608 (on in pyproject) flags SQL built from strings; every silenced one must be reviewed."""
    noqa = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "apps").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "noqa: S608" in line and "migrations" not in path.parts
    ]
    # Reviewed: table and column names from model _meta, quoted; every value a parameter. The
    # evaluation engine's column aliases are indicator codes validated against [a-z][a-z0-9_]* on save.
    # The staged import's SQL is generated from the catalog: its own column names (c0, c1…), catalog
    # strings (choices, field codes) only through staged_sql.sql_literal (quotes doubled, % doubled), values bound.
    # The submission-batch upsert and the intake lock name their own table and columns (constants, not
    # input); the name search picks one of three literal tables. The records partitions' statements
    # name partitions read from the catalog or made from a year (an int); the partition migration test's
    # SQL is constant; the withdrawal test names a partition read from the catalog.
    reviewed = (
        "apps/records/services.py",
        "apps/portal/search.py",
        "apps/records/lifecycle.py",
        "apps/records/partitions.py",
        "apps/records/tests/test_partition_migration.py",
        "apps/records/tests/test_lifecycle.py",
        "apps/records/intake/staged.py",
        "apps/records/intake/staged_reading.py",
        "apps/records/intake/staged_checks.py",
        "apps/records/intake/staged_store.py",
        "apps/records/intake/staged_sql.py",
        "apps/monitoring/",
        "apps/backups/services.py",
        "apps/evaluation/engine.py",
        "apps/commitments/services.py",
    )
    assert all(item.startswith(reviewed) for item in noqa), noqa


def test_user_text_is_escaped_on_public_pages(world, clients):
    from apps.records.models import Record

    record = world["record"]
    Record.objects.filter(pk=record.pk).update(subject_name='<script>alert("x")</script>')
    html = clients["anon"].get(reverse("records_public:detail", kwargs={"pk": record.pk})).content.decode()
    assert '<script>alert("x")</script>' not in html
