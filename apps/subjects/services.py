"""Writes to the subject registry. Every path that creates or changes a subject
comes through here so codes are always normalised and checked the same way."""

from django.core.exceptions import ValidationError

from .choices import SubjectKind
from .codes import check_id_number, check_uscc, mask_id_number
from .models import Subject
from .pii import encrypt, id_number_hash


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
