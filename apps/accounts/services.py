"""Workflow actions on accounts: registration and subject claims."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.subjects.choices import SubjectKind
from apps.subjects.codes import check_id_number, check_uscc, mask_id_number
from apps.subjects.models import Subject
from apps.subjects.pii import id_number_hash

from .choices import ClaimAttemptOutcome, ClaimStatus, Role, SubjectAccountKind
from .models import ClaimAttempt, ClaimLock, SubjectClaim, User


def subject_account_register(*, username, password, full_name, phone, email, account_kind) -> User:
    user = User(
        username=username,
        full_name=full_name,
        phone=phone,
        email=email,
        account_kind=account_kind,
        role=Role.SUBJECT,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


CLAIM_FILED_MESSAGE = "认领申请已提交，信用中心将核实您填写的代码和名称，审核后通知您。"
CLAIM_DUPLICATE_MESSAGE = "您已就该代码和名称提交过认领申请，正在审核中，请勿重复提交。"
CLAIM_LOCKED_MESSAGE = "您的账号提交认领申请的次数过多，已暂停认领。如需继续，请联系信用中心核实身份后解除。"
CLAIM_RATE_MESSAGE = "认领申请提交过于频繁，请稍后再试。"


class ClaimsLocked(Exception):
    """The account may not file claims until the credit center unlocks it."""


def _claim_code_check(user: User, code: str):
    checker = check_id_number if user.account_kind == SubjectAccountKind.PERSON else check_uscc
    return checker(code)


def _claim_subject_lookup(user: User, code: str) -> Subject | None:
    """The subject a well-formed code names, in one indexed query either way: a person by the keyed
    hash of the ID number, an organisation by its USCC."""
    if user.account_kind == SubjectAccountKind.PERSON:
        found = Subject.objects.filter(kind=SubjectKind.PERSON, id_number_hash=id_number_hash(code))
    else:
        found = Subject.objects.filter(uscc=code).exclude(kind=SubjectKind.PERSON)
    return found.order_by("pk").first()


def _claim_code_shown(user: User, code: str) -> str:
    return mask_id_number(code) if user.account_kind == SubjectAccountKind.PERSON else code


def subject_claim_submit(*, user: User, code: str, subject_name: str, evidence: str) -> SubjectClaim:
    """File a claim. Every well-formed claim is stored as 待审核 and answered alike.

    Whether the code and name match a subject is stored for the credit center
    (``matched``, and ``subject`` only on a match) and never shown to the
    claimant: with a different answer for a match, the masked ID number on a
    public page plus the name gave the full number in about 2,300 guesses. Only
    the code's own form (length, check digit) is reported, which needs no
    database. The claimant's copy holds the name as typed and the code as typed
    (a person's masked), never the registered subject's.
    """
    if not user.is_subject_account:
        raise ValidationError("只有信用主体账号可以认领主体。")
    result = _claim_code_check(user, code)
    if not result.valid:
        raise ValidationError({"code": result.errors})
    name = subject_name.strip()
    if not name:
        raise ValidationError({"subject_name": "请填写主体名称。"})
    code_hash = id_number_hash(result.code)
    # The same two queries and one insert whatever the match, so the time taken tells nothing either.
    subject = _claim_subject_lookup(user, result.code)
    matched = subject is not None and subject.name.strip() == name
    if SubjectClaim.objects.filter(
        user=user, code_hash=code_hash, subject_name=name, status=ClaimStatus.PENDING
    ).exists():
        raise ValidationError(CLAIM_DUPLICATE_MESSAGE, code="duplicate")
    try:
        with transaction.atomic():
            return SubjectClaim.objects.create(
                user=user,
                code=_claim_code_shown(user, result.code),
                code_hash=code_hash,
                subject_name=name,
                evidence=evidence,
                matched=matched,
                subject=subject if matched else None,
            )
    except IntegrityError:
        # The same claim posted twice at once: the partial unique constraint lets one through.
        raise ValidationError(CLAIM_DUPLICATE_MESSAGE, code="duplicate") from None


# --- attempts, rate limits and the lock ----------------------------------------------------


def claims_locked(user: User) -> bool:
    return ClaimLock.objects.filter(user=user, unlocked_at__isnull=True).exists()


def _attempts_counted(user: User):
    """The attempts the lock counts: those of the configured window, and only those after the last
    unlock (an account the center has just unlocked starts afresh)."""
    attempts = ClaimAttempt.objects.filter(
        user=user, created_at__gte=timezone.now() - datetime.timedelta(hours=settings.CLAIM_LOCK_WINDOW_HOURS)
    ).exclude(outcome=ClaimAttemptOutcome.LOCKED)
    last_unlock = (
        ClaimLock.objects.filter(user=user, unlocked_at__isnull=False)
        .order_by("-unlocked_at")
        .values_list("unlocked_at", flat=True)
        .first()
    )
    return attempts.filter(created_at__gt=last_unlock) if last_unlock else attempts


def _claim_lock_if_over(user: User) -> ClaimLock | None:
    if not user.is_subject_account:
        return None  # staff posting the form (refused anyway) are not locked out of their work
    attempts = _attempts_counted(user).count()
    if attempts < settings.CLAIM_LOCK_ATTEMPTS:
        return None
    reason = f"{settings.CLAIM_LOCK_WINDOW_HOURS}小时内提交认领{attempts}次"
    return claim_lock(user=user, by=None, reason=reason, attempts=attempts)


def claim_attempt_record(
    *, user: User, client_address: str, outcome: str, code: str = "", claim: SubjectClaim | None = None
) -> ClaimAttempt:
    """Log one submission of the claim form and lock the account once it has tried too often.

    ``code`` is logged in the form the claimant may see (a person's number masked, anything that
    is not a well-formed code not at all).
    """
    shown = ""
    if code:
        result = _claim_code_check(user, code)
        shown = _claim_code_shown(user, result.code) if result.valid else ""
    attempt = ClaimAttempt.objects.create(
        user=user, client_address=client_address[:64], outcome=outcome, code_shown=shown, claim=claim
    )
    if outcome != ClaimAttemptOutcome.LOCKED:
        _claim_lock_if_over(user)
    return attempt


def subject_claim_attempt(
    *, user: User, client_address: str, code: str, subject_name: str, evidence: str
) -> SubjectClaim:
    """The claim form's submission: refused while the account is locked, else filed; logged either way.

    Raises ``ClaimsLocked`` for a locked account and ``ValidationError`` for a malformed code or a
    repeated claim; the answer never depends on whether the code and name match a subject.
    """
    if claims_locked(user):
        claim_attempt_record(user=user, client_address=client_address, outcome=ClaimAttemptOutcome.LOCKED, code=code)
        raise ClaimsLocked(CLAIM_LOCKED_MESSAGE)
    try:
        claim = subject_claim_submit(user=user, code=code, subject_name=subject_name, evidence=evidence)
    except ValidationError as exc:
        duplicate = getattr(exc, "code", None) == "duplicate"
        outcome = ClaimAttemptOutcome.DUPLICATE if duplicate else ClaimAttemptOutcome.INVALID
        claim_attempt_record(user=user, client_address=client_address, outcome=outcome, code=code)
        raise
    claim_attempt_record(
        user=user, client_address=client_address, outcome=ClaimAttemptOutcome.FILED, code=code, claim=claim
    )
    return claim


@transaction.atomic
def claim_lock(*, user: User, by: User | None, reason: str, attempts: int = 0) -> ClaimLock:
    """Bar an account from filing claims (and, per CLAIM_LOCK_DEACTIVATES_LOGIN, from signing in).

    Locking an account already locked returns its open lock unchanged.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_subject_account:
        raise ValidationError("只有信用主体账号可以被暂停认领。")
    existing = ClaimLock.objects.filter(user=user, unlocked_at__isnull=True).first()
    if existing is not None:
        return existing
    deactivate = settings.CLAIM_LOCK_DEACTIVATES_LOGIN and user.is_active
    lock = ClaimLock.objects.create(
        user=user,
        reason=reason.strip()[:200] or "信用中心暂停认领",
        attempts=attempts,
        locked_by=by,
        deactivated_login=deactivate,
    )
    if deactivate:
        # An inactive account's session stops working at its next request (ModelBackend.get_user).
        user.is_active = False
        user.save(update_fields=["is_active"])
    return lock


@transaction.atomic
def claim_unlock(*, user: User, by: User, note: str = "") -> ClaimLock:
    """The credit center lifts an account's lock; a login the lock switched off is switched back on."""
    user = User.objects.select_for_update().get(pk=user.pk)
    lock = ClaimLock.objects.select_for_update().filter(user=user, unlocked_at__isnull=True).first()
    if lock is None:
        raise ValidationError("该账号未被暂停认领。")
    lock.unlocked_at = timezone.now()
    lock.unlocked_by = by
    lock.unlock_note = note.strip()[:200]
    lock.save(update_fields=["unlocked_at", "unlocked_by", "unlock_note"])
    if lock.deactivated_login and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return lock


@transaction.atomic
def subject_claim_decide(*, claim: SubjectClaim, reviewer: User, approve: bool, note: str = "") -> SubjectClaim:
    claim = SubjectClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError("该申请已处理，不能重复审核。")
    if not approve and not note.strip():
        raise ValidationError({"note": "驳回时必须填写理由。"})
    if approve and (claim.subject_id is None or claim.matched is False):
        raise ValidationError("该申请填写的代码和名称与平台登记的主体不一致，不能通过，请驳回并说明理由。")
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.reviewed_by = reviewer
    claim.reviewed_at = timezone.now()
    claim.review_note = note
    claim.save()
    if approve:
        user = claim.user
        user.subject = claim.subject
        user.save(update_fields=["subject"])
    return claim
