"""Writes to the subject registry. Every path that creates or changes a subject
comes through here so codes are always normalised and checked the same way."""

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.audit.services import personal_data_access_record

from .choices import SubjectKind
from .codes import check_id_number, check_uscc, mask_id_number
from .models import Subject
from .pii import decrypt, encrypt, id_number_hash
from .selectors import code_quality_summary

USCC_MAX_LENGTH = Subject._meta.get_field("uscc").max_length


def subject_prepare(*, subject: Subject, id_number: str | None = None, strict: bool = True) -> Subject:
    """Normalise and check the subject's codes in place (no save).

    With ``strict`` a bad USCC is refused; without it (bulk intake of other
    departments' data) the subject is kept and flagged as 错码 so staff can
    chase it, because dropping it would lose the record behind it.
    """
    if subject.kind == SubjectKind.PERSON:
        if subject.uscc:
            raise ValidationError({"uscc": "自然人不使用统一社会信用代码。"})
        if subject.legal_representative:
            raise ValidationError({"legal_representative": "自然人不登记法定代表人。"})
        if id_number is not None:
            result = check_id_number(id_number)
            if not result.valid:
                raise ValidationError({"id_number": result.errors})
            subject.id_number_hash = id_number_hash(result.code)
            subject.id_number_masked = mask_id_number(result.code)
            subject.id_number_encrypted = encrypt(result.code)
            subject.region_code = subject.region_code or result.code[:6]
        subject.code_valid, subject.code_warnings = True, []
        return subject

    if not subject.uscc:
        if subject.kind == SubjectKind.LEGAL:
            raise ValidationError({"uscc": "法人及非法人组织必须填写统一社会信用代码。"})
        subject.code_valid, subject.code_warnings = True, []
        return subject
    result = check_uscc(subject.uscc)
    if not result.valid and strict:
        raise ValidationError({"uscc": result.errors})
    subject.uscc = result.code
    subject.code_valid = result.valid
    subject.code_warnings = result.warnings if result.valid else result.errors
    if result.valid:
        subject.region_code = subject.region_code or result.code[2:8]
    return subject


def subject_create(*, id_number: str | None = None, strict: bool = True, **fields) -> Subject:
    subject = Subject(**fields)
    subject_prepare(subject=subject, id_number=id_number, strict=strict)
    subject.full_clean(exclude=["id_number_hash", "id_number_masked", "id_number_encrypted"])
    subject.save()
    return subject


def subject_codes_recheck(*, batch_size: int = 2000) -> int:
    """Re-run the USCC check on every subject that carries one; return how many changed.

    Needed after the rules or the division list change, and for rows that
    reached the table without going through ``subject_prepare``. Rows are read
    with a server-side cursor in chunks of ``batch_size`` and each chunk's
    changes are written in one transaction, so memory stays flat at any size.

    Within a chunk the changed rows are grouped by outcome and written with one
    ``UPDATE … WHERE id IN (…)`` per distinct outcome (usually a handful):
    ``bulk_update`` builds a ``CASE WHEN id = …`` per row and field, which made
    a million-row recheck CPU-bound in Python (~1,300 rows/s). ``bulk_update``
    is kept for the rare rows whose stored code itself changes form (lower case
    or full width folded), so 重码 grouping sees one spelling. Neither sends
    signals, on purpose: a nightly scan is not a staff edit and must not flood
    the audit log.
    """
    changed = 0
    seen = 0
    by_outcome: dict[tuple, list[int]] = defaultdict(list)
    reformatted: list[Subject] = []

    def flush():
        nonlocal changed, seen
        with transaction.atomic():
            for (valid, notes), pks in by_outcome.items():
                changed += Subject.objects.filter(pk__in=pks).update(code_valid=valid, code_warnings=list(notes))
            if reformatted:
                Subject.objects.bulk_update(reformatted, ["uscc", "code_valid", "code_warnings"], batch_size=batch_size)
                changed += len(reformatted)
        by_outcome.clear()
        reformatted.clear()
        seen = 0

    rows = Subject.objects.exclude(uscc="").only("pk", "uscc", "code_valid", "code_warnings").order_by("pk")
    for subject in rows.iterator(chunk_size=batch_size):
        result = check_uscc(subject.uscc)
        # Never store a "normalised" form that no longer fits the column.
        uscc = result.code if result.code and len(result.code) <= USCC_MAX_LENGTH else subject.uscc
        notes = result.warnings if result.valid else result.errors
        if uscc != subject.uscc:
            subject.uscc, subject.code_valid, subject.code_warnings = uscc, result.valid, notes
            reformatted.append(subject)
        elif (result.valid, notes) != (subject.code_valid, subject.code_warnings):
            by_outcome[(result.valid, tuple(notes))].append(subject.pk)
        seen += 1
        if seen >= batch_size:
            flush()
    flush()
    return changed


def code_quality_scan(*, recheck: bool = True, batch_size: int = 2000) -> dict:
    """The nightly 重错码 scan: optionally re-validate every code, then measure.

    Returns the summary figures plus ``rechecked`` (rows changed, or None).
    """
    rechecked = subject_codes_recheck(batch_size=batch_size) if recheck else None
    summary = code_quality_summary()
    return {**summary.as_dict(), "suspect_codes": summary.suspect_codes, "rechecked": rechecked}


def subject_id_number_reveal(*, subject: Subject, user, reason: str, remote_addr: str | None) -> str:
    """Decrypt a person's ID number for an entitled staff member, logging the view first.

    The log row is written in the same transaction as the decryption is
    returned, so there is no reveal without its PersonalDataAccess record.
    """
    if not has_role(user, CENTER_ROLES):
        raise PermissionDenied("仅信用中心工作人员可以查看完整身份证号码。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写查看事由。"})
    if not subject.id_number_encrypted:
        raise ValidationError("该主体没有登记身份证号码。")
    with transaction.atomic():
        personal_data_access_record(
            user=user, subject=subject, field="id_number", reason=reason, remote_addr=remote_addr
        )
        return decrypt(subject.id_number_encrypted)
