"""API fuzzing: schemathesis generates requests from our OpenAPI schema (/api/v1/schema/).

Every operation is called with valid and invalid data, authenticated as a
department system (API key of department A with every scope); each response
must not be a server error and must match the schema (status code, content
type, body). Bounded by ``FUZZ_EXAMPLES`` per operation so CI stays fast
(``FUZZ_EXAMPLES=500`` for a deeper local run).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

# No server error, and status code, content type, headers and body as the schema says.
# Not run: schemathesis' auth checks (they take its generated cookie for our
# credentials; who may call what is the permission matrix's job) and its
# negative/positive-data checks (DRF accepts 0 for a string, ignores a bad offset:
# lenient parsing, not a fault).
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))


@pytest.fixture
def api_key(db, dept_a):
    from apps.accounts.models import ApiKey

    _, raw = ApiKey.issue(
        name="模糊测试系统", department=dept_a, scopes=["records:read", "records:write", "credit-check"]
    )
    return raw


@pytest.fixture(autouse=True)
def _wsgi_inside_the_test_transaction():
    """Call the WSGI app like Django's test client does: the end of a request must
    not close the connection that holds the test's transaction."""
    from django.core import signals
    from django.core.cache import cache
    from django.db import close_old_connections

    cache.clear()  # throttling counters of earlier tests
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    # Loaded at collection through the WSGI app, as a client would read it; the
    # schema view touches no database.
    from credit_portal.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


schema = _load_schema()


BOUNDED = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def center_session(db, center):
    """Headers of a signed-in credit-center user: session cookie plus CSRF pair for writes."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    client = Client()
    client.force_login(center, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    token = _get_new_csrf_string()
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}",
        "X-CSRFToken": token,
    }


@schema.parametrize()
@BOUNDED
def test_api_as_a_department_system(case, api_key, db):
    response = case.call(headers={"Authorization": f"Api-Key {api_key}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_api_as_credit_center_staff(case, center_session):
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in {"cookie", "authorization"}}
    response = case.call(headers=center_session | {"Referer": "https://localhost/"})
    case.validate_response(response, checks=CHECKS)
