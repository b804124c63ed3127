"""The subject-claim form is no oracle for full ID numbers.

From the masked number a public page shows (``371083********4514``) and the
person's name, the birth date × check digit space is about 2,300 numbers; a
form that answered a matching claim differently from a non-matching one gave
the full number in about 1,300 requests. Now every well-formed claim gets the
same answer and is stored 待审核 (the match is for the credit center only),
submissions are logged and rate-limited per account and per client address,
and an account that keeps trying is locked until the center unlocks it.
"""

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from stdnum.cn import ric

from apps.accounts.choices import ClaimAttemptOutcome, ClaimStatus, Role, SubjectAccountKind
from apps.accounts.models import ClaimAttempt, ClaimLock, SubjectClaim, User
from apps.subjects.codes import mask_id_number
from apps.subjects.services import subject_create
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC)
NAME = "王小明"


def id_number(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def same_mask_guess(real: str) -> str:
    """Another valid number behind the same mask (another birth date whose check digit fits): one of
    the ~2,300 candidates an attacker tries."""
    day = datetime.date(int(real[6:10]), int(real[10:12]), int(real[12:14]))
    while True:
        day += datetime.timedelta(days=1)
        guess = id_number(f"{real[:6]}{day:%Y%m%d}{real[14:17]}")
        if guess[17] == real[17]:
            return guess


REAL_ID = id_number("37108319900101451")
GUESS_ID = same_mask_guess(REAL_ID)


@pytest.fixture(autouse=True)
def _claims_setup(settings):
    """Generous limits unless a test sets its own, and frozen time (rate counters are cleared by conftest)."""
    settings.CLAIM_RATE_ACCOUNT = "100/h"
    settings.CLAIM_RATE_ADDRESS = "100/h"
    settings.CLAIM_LOCK_ATTEMPTS = 100
    settings.CLAIM_LOCK_DEACTIVATES_LOGIN = True
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def person(db):
    subject = subject_create(kind="person", name=NAME, id_number=REAL_ID)
    assert subject.id_number_masked == mask_id_number(GUESS_ID), "the guess must share the public masked number"
    return subject


def person_account(username: str) -> User:
    user = User(username=username, role=Role.SUBJECT, account_kind=SubjectAccountKind.PERSON, full_name="申请人")
    user.set_password(PASSWORD)
    user.save()
    return user


def logged_in(user: User, address: str = "198.51.100.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def claim(client: Client, code: str, name: str = NAME):
    return client.post(reverse("accounts:claim_list"), {"code": code, "subject_name": name, "evidence": "本人申请"})


def page_text(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def answer(client: Client, response, *, typed_name: str = NAME, typed_code: str = "") -> tuple:
    """Everything the claimant can observe: status, redirect, the page it leads to, the messages.

    A re-shown form echoes what was typed; that (the claimant's own input) is the only part allowed to differ.
    """
    followed = client.get(response["Location"]) if response.status_code == 302 else response
    messages = [str(m) for m in get_messages(followed.wsgi_request)]
    text = page_text(followed).replace(typed_name, "<name>")
    return (
        response.status_code,
        response.get("Location"),
        followed.status_code,
        text.replace(typed_code, "<code>") if typed_code else text,
        messages,
    )


def test_matching_and_non_matching_claims_get_the_same_answer(person):
    clients = {kind: logged_in(person_account(f"person_{kind}")) for kind in ("match", "wrong_id", "wrong_name")}
    match = answer(clients["match"], claim(clients["match"], REAL_ID))
    wrong_id = answer(clients["wrong_id"], claim(clients["wrong_id"], GUESS_ID))
    wrong_name = answer(clients["wrong_name"], claim(clients["wrong_name"], REAL_ID, "王小名"), typed_name="王小名")
    assert match == wrong_id == wrong_name
    status, location, _, text, messages = match
    assert status == 302 and location == reverse("accounts:claim_list")
    assert messages and "认领申请已提交" in messages[0]
    assert REAL_ID not in text and mask_id_number(REAL_ID) in text and "待审核" in text
    # Every claim is stored 待审核; only the match is linked to the subject, and only the center sees it.
    claims = {c.user.username: c for c in SubjectClaim.objects.select_related("user")}
    assert {c.status for c in claims.values()} == {ClaimStatus.PENDING}
    assert (claims["person_match"].matched, claims["person_match"].subject) == (True, person)
    for name in ("person_wrong_id", "person_wrong_name"):
        assert (claims[name].matched, claims[name].subject) == (False, None)
    assert {c.code for c in claims.values()} == {person.id_number_masked}


def test_the_repeat_refusal_is_keyed_on_what_was_typed_not_on_the_subject(person):
    matching, guessing = logged_in(person_account("person_a")), logged_in(person_account("person_b"))
    assert claim(matching, REAL_ID).status_code == claim(guessing, GUESS_ID).status_code == 302
    again_match, again_guess = claim(matching, REAL_ID), claim(guessing, GUESS_ID)
    assert answer(matching, again_match, typed_code=REAL_ID) == answer(guessing, again_guess, typed_code=GUESS_ID)
    assert again_match.status_code == 200 and "正在审核中" in again_match.content.decode()
    # The same number under another name is another claim, answered like the first.
    assert claim(guessing, GUESS_ID, "王小名").status_code == 302
    assert SubjectClaim.objects.filter(user__username="person_b").count() == 2
    outcomes = list(ClaimAttempt.objects.filter(user__username="person_a").values_list("outcome", flat=True))
    assert sorted(outcomes) == sorted([ClaimAttemptOutcome.FILED, ClaimAttemptOutcome.DUPLICATE])


def test_a_malformed_number_is_still_reported(person):
    client = logged_in(person_account("person_typo"))
    bad_check = REAL_ID[:17] + ("0" if REAL_ID[17] != "0" else "1")
    response = claim(client, bad_check)
    assert response.status_code == 200 and "校验码" in response.content.decode()
    assert not SubjectClaim.objects.exists()
    attempt = ClaimAttempt.objects.get()
    assert attempt.outcome == ClaimAttemptOutcome.INVALID and attempt.code_shown == ""


def test_center_sees_the_match_and_cannot_approve_a_mismatch(person, center, client_for):
    matching, guessing = logged_in(person_account("person_a")), logged_in(person_account("person_b"))
    claim(matching, REAL_ID)
    claim(guessing, GUESS_ID)
    reviewer = client_for(center)
    html = reviewer.get(reverse("accounts:claim_review")).content.decode()
    assert "一致" in html and "不一致" in html
    assert reverse("subjects:detail", args=[person.pk]) in html
    mismatch = SubjectClaim.objects.get(user__username="person_b")
    response = reviewer.post(reverse("accounts:claim_decide", args=[mismatch.pk]), {"decision": "approve"}, follow=True)
    assert "不一致，不能通过" in response.content.decode()
    mismatch.refresh_from_db()
    assert mismatch.status == ClaimStatus.PENDING and mismatch.user.subject is None
    good = SubjectClaim.objects.get(user__username="person_a")
    reviewer.post(reverse("accounts:claim_decide", args=[good.pk]), {"decision": "approve"})
    good.refresh_from_db()
    assert good.status == ClaimStatus.APPROVED and User.objects.get(username="person_a").subject == person


def test_an_account_past_its_rate_gets_429(person, settings):
    settings.CLAIM_RATE_ACCOUNT = "2/h"
    user = person_account("person_fast")
    client = logged_in(user)
    assert [claim(client, id_number(f"3710831990010{d}451")).status_code for d in (3, 4)] == [302, 302]
    # From another address too: the limit is the account's.
    refused = claim(logged_in(user, "203.0.113.50"), id_number("37108319900105451"))
    assert refused.status_code == 429 and "认领申请提交过于频繁" in refused.content.decode()
    assert SubjectClaim.objects.filter(user=user).count() == 2
    assert ClaimAttempt.objects.filter(user=user, outcome=ClaimAttemptOutcome.RATE_LIMITED).count() == 1


def test_an_address_past_its_rate_gets_429_whatever_the_account(person, settings):
    settings.CLAIM_RATE_ADDRESS = "2/h"
    first, second = person_account("person_1"), person_account("person_2")
    one = logged_in(first, "203.0.113.7")
    assert [claim(one, id_number(f"3710831990010{d}451")).status_code for d in (3, 4)] == [302, 302]
    refused = claim(logged_in(second, "203.0.113.7"), GUESS_ID)
    assert refused.status_code == 429 and "认领申请提交过于频繁" in refused.content.decode()
    assert claim(logged_in(second, "203.0.113.8"), GUESS_ID).status_code == 302
    assert ClaimAttempt.objects.get(outcome=ClaimAttemptOutcome.RATE_LIMITED).client_address == "203.0.113.7"


def test_an_account_that_keeps_trying_is_locked_until_the_center_unlocks_it(person, center, client_for, settings):
    settings.CLAIM_LOCK_ATTEMPTS = 3
    user = person_account("person_prober")
    client = logged_in(user)
    answers = [claim(client, id_number(f"3710831990010{d}451")).status_code for d in (3, 4, 5)]
    assert answers == [302, 302, 302]  # the lock depends on the count, never on a match
    lock = ClaimLock.objects.get(user=user, unlocked_at__isnull=True)
    assert lock.attempts == 3 and lock.deactivated_login and lock.locked_by is None
    user.refresh_from_db()
    assert not user.is_active
    # Signed out at the next request, and cannot sign in again.
    assert client.get(reverse("accounts:claim_list"))["Location"].startswith(reverse("accounts:login"))
    signing_in = Client().post(reverse("accounts:login"), {"username": "person_prober", "password": PASSWORD})
    assert signing_in.status_code == 200 and "_auth_user_id" not in signing_in.client.session

    response = client_for(center).post(
        reverse("accounts:claim_lock", args=[user.pk]), {"action": "unlock", "note": "电话核实为本人"}
    )
    assert response.status_code == 302
    lock.refresh_from_db()
    user.refresh_from_db()
    assert lock.unlocked_by == center and lock.unlock_note == "电话核实为本人" and user.is_active
    # Counting starts afresh at the unlock: the three earlier attempts no longer lock the account.
    again = logged_in(user)
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        assert claim(again, REAL_ID).status_code == 302
    assert not ClaimLock.objects.filter(user=user, unlocked_at__isnull=True).exists()


def test_a_locked_account_keeping_its_login_is_refused_claims(person, settings):
    settings.CLAIM_LOCK_ATTEMPTS = 2
    settings.CLAIM_LOCK_DEACTIVATES_LOGIN = False
    user = person_account("person_locked")
    client = logged_in(user)
    assert [claim(client, code).status_code for code in (GUESS_ID, id_number("37108319900103451"))] == [302, 302]
    refused = claim(client, REAL_ID)
    assert refused.status_code == 403 and "已暂停认领" in refused.content.decode()
    assert not SubjectClaim.objects.filter(user=user, matched=True).exists()
    assert ClaimAttempt.objects.filter(user=user, outcome=ClaimAttemptOutcome.LOCKED).count() == 1
    page = client.get(reverse("accounts:claim_list")).content.decode()
    assert "已暂停认领" in page and "提交认领申请</button>" not in page
    user.refresh_from_db()
    assert user.is_active


def test_center_attempts_page_lists_accounts_and_addresses(person, center, clerk_a, subject_user, client_for):
    prober, other = person_account("person_prober"), person_account("person_other")
    for d in (3, 4, 5):
        claim(logged_in(prober, "203.0.113.7"), id_number(f"3710831990010{d}451"))
    claim(logged_in(other, "203.0.113.7"), REAL_ID)
    claim(logged_in(other, "198.51.100.9"), "123")
    page = client_for(center).get(reverse("accounts:claim_attempts"))
    assert page.status_code == 200
    rows = {u.username: u for u in page.context["accounts"]}
    assert (rows["person_prober"].attempts, rows["person_prober"].filed, rows["person_prober"].matched) == (3, 3, 0)
    assert (rows["person_other"].attempts, rows["person_other"].matched, rows["person_other"].addresses) == (2, 1, 2)
    addresses = {a["client_address"]: a for a in page.context["addresses"]}
    assert (addresses["203.0.113.7"]["attempts"], addresses["203.0.113.7"]["accounts"]) == (4, 2)
    html = page.content.decode()
    assert "person_prober" in html and "198.51.100.9" in html and REAL_ID not in html
    only = client_for(center).get(reverse("accounts:claim_attempts"), {"account": "person_other"})
    assert {a.user.username for a in only.context["attempts"]} == {"person_other"}
    for outsider in (clerk_a, subject_user):
        assert client_for(outsider).get(reverse("accounts:claim_attempts")).status_code == 403

    # The center locks an account by hand: it can file nothing more.
    client_for(center).post(
        reverse("accounts:claim_lock", args=[prober.pk]), {"action": "lock", "note": "疑似批量试探"}
    )
    lock = ClaimLock.objects.get(user=prober, unlocked_at__isnull=True)
    assert lock.locked_by == center and lock.reason == "疑似批量试探"
    assert "已暂停认领" in client_for(center).get(reverse("accounts:claim_attempts")).content.decode()
