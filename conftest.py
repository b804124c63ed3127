"""Shared fixtures: named users so permission tests read like sentences.

``dept_a`` (市场监管, licences and penalties), ``dept_b`` (税务, penalties and lists) and ``dept_c``
(应急管理, penalties only) are departments; ``clerk_a`` and ``clerk_b`` are clerks of the first two,
``reviewer_a`` and ``reviewer_b`` review for them, ``center`` is credit-center staff,
``admin_user`` the platform administrator, ``subject_user`` an enterprise's
account. ``client_for(user)`` returns a logged-in test client.
"""

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.choices import Role, SubjectAccountKind
from apps.accounts.models import Department, Power, User

PASSWORD = "Xy7!credit-pass"  # noqa: S105 — test accounts only

# The suite creates hundreds of users and signs in thousands of times; the production hasher's deliberate
# cost (~0.1–0.3 s a hash) would be most of its time. Tests of hashing itself override this.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def powers(db):
    return {
        code: Power.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in [("license", "行政许可"), ("penalty", "行政处罚"), ("list", "名单认定")]
    }


@pytest.fixture
def dept_a(db, powers):
    dept = Department.objects.create(
        code="scjgj", name="乳山市市场监督管理局", uscc="11371083MB1234562X", region_code="371083"
    )
    dept.powers.set([powers["license"], powers["penalty"]])
    return dept


@pytest.fixture
def dept_b(db, powers):
    dept = Department.objects.create(
        code="swj", name="国家税务总局乳山市税务局", uscc="11371083MB2345678Y", region_code="371083"
    )
    dept.powers.set([powers["penalty"], powers["list"]])
    return dept


@pytest.fixture
def dept_c(db, powers):
    dept = Department.objects.create(
        code="yjj", name="乳山市应急管理局", uscc="11371083MB3456789A", region_code="371083"
    )
    dept.powers.set([powers["penalty"]])
    return dept


def _user(username, role, department=None, **extra):
    user = User(username=username, role=role, department=department, full_name=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def clerk_a(dept_a):
    return _user("clerk_a", Role.CLERK, dept_a)


@pytest.fixture
def clerk_b(dept_b):
    return _user("clerk_b", Role.CLERK, dept_b)


@pytest.fixture
def reviewer_a(dept_a):
    return _user("reviewer_a", Role.REVIEWER, dept_a)


@pytest.fixture
def reviewer_b(dept_b):
    return _user("reviewer_b", Role.REVIEWER, dept_b)


@pytest.fixture
def center(db):
    return _user("center", Role.CENTER)


@pytest.fixture
def admin_user(db):
    return _user("admin", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def subject_user(db):
    return _user("subject", Role.SUBJECT, account_kind=SubjectAccountKind.ENTERPRISE)


@pytest.fixture
def client_for(db):
    def make(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    """A transactional test flushes and recreates content types under new ids;
    drop the in-memory cache so audit entries never point at a stale id."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """Each test's rollback undoes its catalog, department and scoring-model rows without a signal:
    drop the per-process copies (credit_portal/policy_cache.py) so no test reads another's."""
    from credit_portal.policy_cache import policy_cache

    policy_cache.clear()
    yield
    policy_cache.clear()
