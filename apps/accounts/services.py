"""Workflow actions on accounts: registration and subject claims."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.subjects.selectors import subject_find_by_code

from .choices import ClaimStatus, Role, SubjectAccountKind
from .models import SubjectClaim, User


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


def subject_claim_submit(*, user: User, code: str, subject_name: str, evidence: str) -> SubjectClaim:
    """File a claim. The answer is the same whether the code is unknown or the
    name does not match, so the form cannot be used to probe who is registered."""
    from apps.subjects.codes import check_id_number, check_uscc

    if not user.is_subject_account:
        raise ValidationError("只有信用主体账号可以认领主体。")
    checker = check_id_number if user.account_kind == SubjectAccountKind.PERSON else check_uscc
    result = checker(code)
    if not result.valid:
        raise ValidationError({"code": result.errors})
    subject = subject_find_by_code(result.code)
    if subject is None or subject.name.strip() != subject_name.strip():
        raise ValidationError({"code": "未找到与该代码和名称一致的主体，请核对后重新填写。"})
    if SubjectClaim.objects.filter(user=user, subject=subject, status=ClaimStatus.PENDING).exists():
        raise ValidationError("该主体的认领申请已在审核中。")
    stored_code = result.code if user.account_kind != SubjectAccountKind.PERSON else subject.id_number_masked
    return SubjectClaim.objects.create(
        user=user, code=stored_code, subject=subject, subject_name=subject.name, evidence=evidence
    )


@transaction.atomic
def subject_claim_decide(*, claim: SubjectClaim, reviewer: User, approve: bool, note: str = "") -> SubjectClaim:
    claim = SubjectClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError("该申请已处理，不能重复审核。")
    if not approve and not note.strip():
        raise ValidationError({"note": "驳回时必须填写理由。"})
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
