import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from apps.accounts.choices import ClaimStatus, Role
from apps.accounts.models import SubjectClaim, User
from apps.subjects.codes import build_uscc
from apps.subjects.services import subject_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(db):
    return subject_create(kind="legal", name="乳山市海川食品有限公司", uscc=build_uscc("91", "371083", "MA3C0001"))


def _register(client, **overrides):
    data = {
        "username": "haichuan",
        "full_name": "李海川",
        "phone": "13906311234",
        "email": "hc@example.com",
        "account_kind": "enterprise",
        "password1": "Haichuan-2024-pass",
        "password2": "Haichuan-2024-pass",
    }
    data.update(overrides)
    return client.post(reverse("accounts:register"), data)


def test_registration_reports_every_problem_at_once():
    response = _register(Client(), username="", phone="123", email="not-mail", password2="different")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"username", "phone", "email", "password2"} <= set(errors)


def test_subject_registers_claims_and_center_approves(enterprise, center, client_for):
    client = Client()
    assert _register(client).status_code == 302
    user = User.objects.get(username="haichuan")
    assert user.role == Role.SUBJECT and user.subject is None

    # A claim whose name does not match is filed like any other (the answer tells nothing); the center rejects it.
    wrong = client.post(
        reverse("accounts:claim_list"), {"code": enterprise.uscc, "subject_name": "别的公司", "evidence": "本人"}
    )
    assert wrong.status_code == 302
    assert SubjectClaim.objects.get(user=user, subject_name="别的公司").subject is None

    response = client.post(
        reverse("accounts:claim_list"),
        {"code": enterprise.uscc.lower(), "subject_name": enterprise.name, "evidence": "法定代表人本人申请"},
    )
    assert response.status_code == 302
    claim = SubjectClaim.objects.get(user=user, subject_name=enterprise.name)
    assert claim.status == ClaimStatus.PENDING and claim.subject == enterprise and claim.matched

    reviewer = client_for(center)
    assert enterprise.name in reviewer.get(reverse("accounts:claim_review")).content.decode()
    reviewer.post(reverse("accounts:claim_decide", args=[claim.pk]), {"decision": "approve", "note": ""})
    user.refresh_from_db()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.reviewed_by == center
    assert user.subject == enterprise
    assert enterprise.name in client.get(reverse("accounts:home")).content.decode()
    # The link of account to subject is a change to a user: it is audit-logged with its actor.
    assert LogEntry.objects.get_for_object(user).filter(changes__icontains="subject").exists()


def test_rejection_needs_a_reason(enterprise, subject_user, center, client_for):
    claim = SubjectClaim.objects.create(
        user=subject_user, code=enterprise.uscc, subject=enterprise, subject_name=enterprise.name, evidence="x"
    )
    reviewer = client_for(center)
    reviewer.post(reverse("accounts:claim_decide", args=[claim.pk]), {"decision": "reject", "note": ""})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    reviewer.post(reverse("accounts:claim_decide", args=[claim.pk]), {"decision": "reject", "note": "材料不全"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED


def test_clerk_cannot_decide_claims(enterprise, subject_user, clerk_a, client_for):
    claim = SubjectClaim.objects.create(
        user=subject_user, code=enterprise.uscc, subject=enterprise, subject_name=enterprise.name, evidence="x"
    )
    response = client_for(clerk_a).post(reverse("accounts:claim_decide", args=[claim.pk]), {"decision": "approve"})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
