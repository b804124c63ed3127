"""``seed_demo`` builds a believable 乳山市 and can be run again without harm."""

import re
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from django.utils import timezone
from stdnum.iso7064 import mod_11_10

from apps.accounts.choices import ClaimStatus, Role, SubjectAccountKind
from apps.accounts.models import Department, Power, SubjectClaim, User
from apps.portal.management.commands.seed_demo import DEMO_PASSWORD
from apps.subjects.choices import OperatingStatus, PublicBody, SubjectKind
from apps.subjects.codes import check_id_number, check_uscc, mask_id_number, org_code_check_char
from apps.subjects.models import PUBLIC_BODY_PREFIXES, Subject
from apps.subjects.pii import decrypt, id_number_hash
from apps.subjects.selectors import code_quality_summary, duplicate_code_groups

pytestmark = pytest.mark.django_db

SUBJECTS = 300


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--subjects", str(SUBJECTS), *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # PBKDF2 costs ~0.3 s a hash; the seed's logic does not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded():
    return seed()


def snapshot():
    """Everything the seed writes, in a comparable form."""
    return {
        "powers": list(Power.objects.order_by("code").values_list("code", "name", "sort_order")),
        "departments": list(
            Department.objects.order_by("code").values_list("code", "name", "uscc", "region_code", "updated_at")
        ),
        "department_powers": sorted(Department.powers.through.objects.values_list("department__code", "power__code")),
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "role", "department__code", "full_name", "subject__name", "password"
            )
        ),
        "claims": list(SubjectClaim.objects.order_by("pk").values_list("user__username", "subject__name", "status")),
        "subjects": sorted(
            Subject.objects.values_list(
                "kind",
                "name",
                "uscc",
                "code_valid",
                "id_number_hash",
                "legal_representative",
                "status",
                "registration_number",
                "organization_code",
                "social_org_number",
                "institution_number",
                "updated_at",
            )
        ),
        "log_entries": LogEntry.objects.count(),
    }


def test_seed_loads_every_power_from_the_fixture(seeded):
    codes = set(Power.objects.values_list("code", flat=True))
    assert codes == {
        "license",
        "penalty",
        "enforcement",
        "confirmation",
        "levy",
        "payment",
        "adjudication",
        "compensation",
        "reward",
        "inspection",
        "list",
        "commitment",
    }
    assert Power.objects.get(code="license").name == "行政许可"


def test_seed_creates_the_countys_departments_with_valid_codes_and_powers(seeded):
    departments = list(Department.objects.prefetch_related("powers"))
    assert len(departments) >= 20
    for dept in departments:
        result = check_uscc(dept.uscc)
        assert result.valid and not result.warnings, (dept.name, result.errors, result.warnings)
        assert dept.uscc.startswith("11371083")
        assert dept.region_code == "371083"
        assert dept.powers.exists(), dept.name
    powers = {d.code: {p.code for p in d.powers.all()} for d in departments}
    assert {"license", "penalty", "inspection"} <= powers["scjgj"]
    assert {"list", "commitment"} <= powers["fgj"]
    assert "list" in powers["swj"] and powers["fy"] == {"list"}
    assert Department.objects.get(code="swj").name == "国家税务总局乳山市税务局"


def test_seed_creates_a_demo_account_for_every_role(seeded):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_superuser
    assert User.objects.get(username="center1").role == Role.CENTER
    for code in ("scjgj", "swj"):
        assert User.objects.get(username=f"{code}_clerk", role=Role.CLERK).department.code == code
        assert User.objects.get(username=f"{code}_reviewer", role=Role.REVIEWER).department.code == code
    for user in User.objects.all():
        user.full_clean(exclude=["password"])  # department rules of the User model hold
        assert re.search(r"[\u4e00-\u9fff]", user.full_name), user.username
        assert not user.is_staff or user.role == Role.ADMIN


def test_demo_subject_accounts_are_linked_to_their_subjects(seeded):
    company = User.objects.get(username="qiye_demo")
    assert company.role == Role.SUBJECT and company.account_kind == SubjectAccountKind.ENTERPRISE
    assert company.subject.kind == SubjectKind.LEGAL and company.subject.uscc.startswith("91371083")
    person = User.objects.get(username="geren_demo")
    assert person.account_kind == SubjectAccountKind.PERSON
    assert person.subject.kind == SubjectKind.PERSON
    for user in (company, person):
        claim = SubjectClaim.objects.get(user=user)
        assert claim.status == ClaimStatus.APPROVED and claim.subject == user.subject
    # A person's claim keeps only the masked number, like the real claim form.
    assert "*" in SubjectClaim.objects.get(user=person).code


def test_demo_password_logs_in(seeded):
    client = Client()
    # django-axes needs the request to authenticate.
    request = RequestFactory().post("/accounts/login/")
    assert client.login(request=request, username="scjgj_clerk", password=DEMO_PASSWORD)
    assert not Client().login(request=request, username="scjgj_clerk", password="wrong-password-1")
    # And through the real login page.
    client = Client()
    response = client.post("/accounts/login/", {"username": "center1", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="center1").pk


def test_login_table_is_printed(seeded):
    for username in ("admin", "center1", "scjgj_clerk", "scjgj_reviewer", "swj_clerk", "qiye_demo", "geren_demo"):
        line = next(line for line in seeded.splitlines() if f" {username} " in f" {line} ")
        assert DEMO_PASSWORD in line
    assert "部门填报员" in seeded and "国家税务总局乳山市税务局" in seeded
    assert f"信用主体 {Subject.objects.count()} 个" in seeded


def test_seed_creates_subjects_of_every_kind_and_registration_authority(seeded):
    assert Subject.objects.count() == SUBJECTS
    assert set(Subject.objects.values_list("kind", flat=True)) == set(SubjectKind.values)
    codes = list(Subject.objects.exclude(uscc="").values_list("uscc", flat=True))
    assert {code[0] for code in codes} >= {"1", "3", "5", "9", "A", "N", "Y"}
    assert {code[:2] for code in codes} >= {
        "11",
        "12",
        "31",
        "51",
        "52",
        "53",
        "54",
        "91",
        "92",
        "93",
        "N1",
        "N2",
        "N3",
        "Y1",
        "A1",
    }
    assert all(code[2:8] == "371083" for code in codes)
    # New-era codes carry letters in the organisation body.
    assert any(re.search(r"[A-Z]", code[8:16]) for code in codes)
    assert Subject.objects.filter(kind=SubjectKind.INDIVIDUAL_BUSINESS).exclude(uscc__startswith="92").count() == 0
    statuses = set(Subject.objects.values_list("status", flat=True))
    assert {OperatingStatus.OPERATING, OperatingStatus.CANCELLED, OperatingStatus.REVOKED} <= statuses
    operating = Subject.objects.filter(status=OperatingStatus.OPERATING).count()
    assert operating > 0.8 * Subject.objects.count()


def test_government_bodies_and_institutions_are_flagged(seeded):
    # 机构失信被执行情况 (seed 001) reads the flag: the departments are 机关, the 12… bodies 事业单位.
    flagged = dict(Subject.objects.exclude(public_body="").values_list("uscc", "public_body"))
    assert flagged and all(PUBLIC_BODY_PREFIXES[code[:2]] == kind for code, kind in flagged.items())
    assert set(flagged.values()) == {PublicBody.ORGAN, PublicBody.INSTITUTION}
    assert not Subject.objects.filter(public_body="", uscc__regex=r"^1[12]").exists()
    assert Subject.objects.public_bodies().count() == len(flagged)


def test_legacy_codes_are_consistent_with_the_uscc(seeded):
    legacy = Subject.objects.exclude(organization_code="").exclude(uscc="")
    assert legacy.filter(uscc__startswith="91").exists() and legacy.filter(uscc__startswith="12").exists()
    for subject in legacy:
        body = subject.uscc[8:16]
        assert subject.organization_code == body + org_code_check_char(body)
    numbers = list(Subject.objects.exclude(registration_number="").values_list("registration_number", flat=True))
    assert numbers and all(len(n) == 15 and mod_11_10.is_valid(n) for n in numbers)


def test_persons_have_valid_ids_stored_hashed_encrypted_and_masked(seeded):
    persons = list(Subject.objects.filter(kind=SubjectKind.PERSON))
    assert len(persons) > 30
    areas = set()
    for person in persons:
        assert person.uscc == "" and person.legal_representative == ""
        assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", person.id_number_masked)
        number = decrypt(person.id_number_encrypted)
        assert check_id_number(number).valid, number
        assert number not in person.id_number_encrypted
        assert person.id_number_hash == id_number_hash(number)
        assert person.id_number_masked == mask_id_number(number)
        areas.add(number[:6])
    assert "371083" in areas and "371081" in areas  # today's code and a retired one
    assert any(p.id_number_masked.endswith("X") for p in persons)


def test_planted_duplicate_and_erroneous_codes(seeded):
    summary = code_quality_summary()
    assert summary.duplicate_codes == 3
    assert summary.erroneous_codes == 3
    assert summary.suspect_codes == 2
    assert summary.affected_subjects == 9
    for group in duplicate_code_groups():
        names = {member.name for member in group["members"]}
        assert len(names) == 2 and check_uscc(group["uscc"]).valid
    for subject in Subject.objects.filter(code_valid=False):
        assert any("第18位" in error for error in subject.code_warnings)
    for subject in Subject.objects.filter(code_valid=True).exclude(code_warnings=[]).exclude(uscc=""):
        assert any("第17位" in warning for warning in subject.code_warnings)


def test_running_twice_changes_nothing(seeded):
    before = snapshot()
    output = seed()
    assert snapshot() == before
    assert "本次新增 0 个" in output


def test_data_does_not_depend_on_the_count_asked_for(seeded):
    """A larger run only adds the tail: a run of 300 equals a run of 150 then 300."""
    full = snapshot()["subjects"]
    Subject.objects.all().delete()
    call_command("seed_demo", "--subjects", "150", stdout=StringIO())
    assert Subject.objects.count() == 150
    seed()
    strip = lambda rows: sorted(row[:-1] for row in rows)  # noqa: E731 — updated_at differs
    assert strip(snapshot()["subjects"]) == strip(full)


def test_existing_passwords_survive_unless_reset_is_asked(seeded):
    clerk = User.objects.get(username="swj_clerk")
    clerk.set_password("Changed#2025pass")
    clerk.save()
    seed()
    clerk.refresh_from_db()
    assert clerk.check_password("Changed#2025pass")
    seed("--reset-passwords")
    clerk.refresh_from_db()
    assert clerk.check_password(DEMO_PASSWORD)


def test_subjects_count_is_checked(db):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--subjects", "-1", stdout=StringIO())


def test_demo_credit_data_goes_through_the_pipeline_and_is_public(seeded, client):
    from apps.accounts.models import User
    from apps.lists.models import ListEntry
    from apps.records.models import Record

    assert "演示信用信息" in seeded
    published = Record.objects.in_publicity(on=timezone.localdate())
    assert published.filter(record_type__code="penalty").count() >= 30
    assert published.filter(record_type__code="license").count() >= 20
    assert ListEntry.objects.count() == 12
    assert ListEntry.objects.filter(list_type__color="red").count() == 6  # red lists too, not only black
    enterprise = User.objects.get(username="qiye_demo").subject
    own = published.get(subject=enterprise, record_type__code="penalty", department__code="scjgj")
    assert own.publicity_min_end <= timezone.localdate()  # something to repair today
    timely = Record.objects.filter(timely=True).count()
    assert 0.4 < timely / Record.objects.exclude(timely=None).count() < 0.9  # 及时率 neither 0 nor a fake 100
    assert client.get("/publicity/").status_code == 200
    before = Record.objects.count()
    seed()
    assert Record.objects.count() == before  # the credit step runs once


def test_demo_reviewer_has_a_queue(seeded, client):
    from apps.accounts.models import User
    from apps.notifications.models import Notification
    from apps.records.choices import Status
    from apps.records.models import Record

    reviewer = User.objects.get(username="scjgj_reviewer")
    assert reviewer.department.requires_review
    assert Record.objects.filter(department=reviewer.department, status=Status.PENDING_REVIEW).count() == 3
    assert Notification.objects.filter(user=reviewer, title="3 条信用信息待审核").exists()
    client.force_login(reviewer)
    assert "<strong>3</strong> 条信用信息待审核" in client.get("/accounts/").content.decode()
