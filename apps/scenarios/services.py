"""信易+ eligibility (facts about a subject, the rule, the reasons) and 信易贷 workflows."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from apps.catalog.models import Policy
from apps.commitments.models import Commitment
from apps.evaluation.models import SubjectGrade
from apps.lists.models import ListEntry
from apps.records.models import Record
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.codes import check_id_number, mask_id_number
from apps.subjects.models import Subject
from apps.subjects.selectors import subject_find_by_code

from .choices import NeedStatus, OfferStatus, UseChannel
from .models import Bank, FinancingNeed, LoanAuthorisation, LoanOffer, Scenario, ScenarioUse
from .rules import evaluate

LOAN_SCENARIO = "xyd_credit_loan"


def subject_facts(subject: Subject, *, on: datetime.date | None = None) -> dict:
    """The facts an eligibility rule may use (rules.FACTS), read the same way as everywhere else."""
    on = on or timezone.localdate()
    grade = SubjectGrade.objects.filter(subject=subject).values_list("grade", flat=True).first()
    lists = dict(
        ListEntry.objects.active(on=on)
        .filter(subject=subject)
        .values_list("list_type__color")
        .annotate(n=Count("pk"))
        .order_by()
    )
    records = (
        Record.objects.in_publicity(on=on)
        .filter(subject=subject, repaired=False)
        .aggregate(serious=Count("pk", filter=Q(severity="serious")), general=Count("pk", filter=Q(severity="general")))
    )
    return {
        "grade": grade or "",
        "black_lists": lists.get("black", 0),
        "watch_lists": lists.get("watch", 0),
        "red_lists": lists.get("red", 0),
        "serious_records": records["serious"],
        "general_records": records["general"],
        "breached_commitments": Commitment.objects.filter(subject=subject, status__in=["breached", "partial"]).count(),
        "subject_kind": subject.kind,
        "operating": subject.status == OperatingStatus.OPERATING,
    }


def scenarios_for_subject(*, subject: Subject, user=None, log: bool = True) -> list[dict]:
    """Every active scenario with eligible / the exact reasons; each look is logged as a use."""
    facts = subject_facts(subject)
    result, uses = [], []
    for scenario in Scenario.objects.filter(is_active=True):
        eligible, reasons = evaluate(scenario.rule, facts)
        result.append({"scenario": scenario, "eligible": eligible, "reasons": reasons})
        uses.append(
            ScenarioUse(
                scenario=scenario,
                subject=subject,
                channel=UseChannel.SELF,
                user=user if user and user.pk else None,
                query=subject.public_code,
                eligible=eligible,
                reasons=reasons,
            )
        )
    if log:
        ScenarioUse.objects.bulk_create(uses)
    return result


# The facts of a natural person with nothing on file (see scenario_check).
UNKNOWN_PERSON_FACTS = {
    "grade": "",
    "black_lists": 0,
    "watch_lists": 0,
    "red_lists": 0,
    "serious_records": 0,
    "general_records": 0,
    "breached_commitments": 0,
    "subject_kind": "person",
    "operating": True,
}


def scenario_check(*, scenario: Scenario, query: str, api_key) -> dict:
    """A partner's check through the API: eligible or not with the reasons; logged and counted."""
    if scenario.partners.exists() and not scenario.partners.filter(pk=api_key.pk).exists():
        raise PermissionDenied(f"该 API Key 不是场景“{scenario.name}”的合作方。")
    subject = subject_find_by_code(query)
    person = check_id_number(query).valid
    if person:
        # A person is answered from credit facts alone: someone the platform has never heard of gets
        # the answer of a person with nothing on file, and no name comes back, so a partner cannot
        # use the check to confirm which full ID numbers belong to a registered person.
        eligible, reasons = evaluate(scenario.rule, subject_facts(subject) if subject else UNKNOWN_PERSON_FACTS)
    elif subject is None:
        eligible, reasons = False, [f"未找到代码为“{query}”的信用主体。"]
    else:
        eligible, reasons = evaluate(scenario.rule, subject_facts(subject))
    ScenarioUse.objects.create(
        scenario=scenario,
        subject=subject,
        channel=UseChannel.API,
        api_key=api_key,
        query=mask_id_number(query) if person else query[:64],
        eligible=eligible,
        reasons=reasons,
    )
    return {
        "scenario": scenario.code,
        "name": scenario.name,
        "subject": {"name": subject.name, "code": subject.public_code} if subject and not person else None,
        "eligible": eligible,
        "reasons": reasons,
        "benefits": scenario.benefits if eligible else "",
    }


# --- 信易贷 -------------------------------------------------------------------------------------


def financing_need_create(*, user, amount, term_months, purpose) -> FinancingNeed:
    subject = getattr(user, "subject", None)
    problems = []
    if subject is None:
        problems.append("账号尚未认领信用主体，不能发布融资需求。")
    elif subject.kind == "person":
        problems.append("信易贷融资需求仅面向企业和个体工商户。")
    if amount is None or Decimal(amount) <= 0:
        problems.append("融资金额应大于 0。")
    if not term_months or term_months <= 0:
        problems.append("融资期限应大于 0 个月。")
    if not (purpose or "").strip():
        problems.append("请填写融资用途。")
    if problems:
        raise ValidationError(problems)
    return FinancingNeed.objects.create(
        subject=subject, amount=amount, term_months=term_months, purpose=purpose, created_by=user
    )


def loan_authorisation_grant(*, user, bank: Bank) -> LoanAuthorisation:
    if getattr(user, "subject", None) is None:
        raise ValidationError("账号尚未认领信用主体。")
    existing = LoanAuthorisation.objects.filter(subject=user.subject, bank=bank, revoked_at__isnull=True).first()
    return existing or LoanAuthorisation.objects.create(subject=user.subject, bank=bank, granted_by=user)


def loan_authorisation_revoke(*, user, bank: Bank) -> int:
    return LoanAuthorisation.objects.filter(subject=user.subject, bank=bank, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def is_authorised(*, bank: Bank, subject_id: int) -> bool:
    return LoanAuthorisation.objects.filter(bank=bank, subject_id=subject_id, revoked_at__isnull=True).exists()


def bank_demand(*, bank: Bank):
    """Open needs the bank may see: the enterprise authorised this bank."""
    authorised = LoanAuthorisation.objects.filter(bank=bank, revoked_at__isnull=True).values("subject_id")
    return FinancingNeed.objects.filter(status=NeedStatus.OPEN, subject_id__in=authorised).select_related("subject")


SUMMARY_REFUSED = "该企业未授权贵行查询其信用信息。"


def credit_summary_by_code(*, bank: Bank, code: str) -> dict:
    """The summary of the enterprise a bank names by code.

    An unknown code, a natural person's ID number (信易贷 serves enterprises only) and an enterprise
    that has not authorised the bank all get the same refusal: a different answer for "not on file"
    would let a bank test which codes — or, from a masked one, which full ID numbers — are registered.
    """
    subject = subject_find_by_code(code)
    if subject is None or subject.kind == SubjectKind.PERSON:
        raise PermissionDenied(SUMMARY_REFUSED)
    return credit_summary(bank=bank, subject=subject)


def credit_summary(*, bank: Bank, subject: Subject) -> dict:
    """The enterprise's credit summary for a bank — refused without its authorisation."""
    if not is_authorised(bank=bank, subject_id=subject.pk):
        raise PermissionDenied(SUMMARY_REFUSED)
    facts = subject_facts(subject)
    loan = Scenario.objects.filter(code=LOAN_SCENARIO).first()
    eligible, reasons = evaluate(loan.rule, facts) if loan else (None, [])
    return {
        "name": subject.name,
        "code": subject.public_code,
        "grade": facts["grade"] or None,
        "black_lists": facts["black_lists"],
        "watch_lists": facts["watch_lists"],
        "red_lists": facts["red_lists"],
        "serious_records": facts["serious_records"],
        "general_records": facts["general_records"],
        "breached_commitments": facts["breached_commitments"],
        "credit_loan_eligible": eligible,
        "credit_loan_reasons": reasons,
    }


def loan_offer_record(*, bank: Bank, need: FinancingNeed, status: str, **values) -> LoanOffer:
    """A bank records its offer, the credit granted, the loan made (in that order)."""
    if not is_authorised(bank=bank, subject_id=need.subject_id):
        raise PermissionDenied("该企业未授权贵行，不能对接其融资需求。")
    problems = []
    if status not in OfferStatus.values:
        problems.append("状态无效。")
    if status in (OfferStatus.GRANTED, OfferStatus.LENT) and not values.get("granted_amount"):
        problems.append("已授信、已放款时必须填写授信金额。")
    if status == OfferStatus.LENT and not values.get("lent_amount"):
        problems.append("已放款时必须填写放款金额。")
    if values.get("lent_amount") and values.get("granted_amount") and values["lent_amount"] > values["granted_amount"]:
        problems.append("放款金额不能超过授信金额。")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        offer, _ = LoanOffer.objects.update_or_create(need=need, bank=bank, defaults={"status": status, **values})
        if status in (OfferStatus.GRANTED, OfferStatus.LENT):
            FinancingNeed.objects.filter(pk=need.pk).update(status=NeedStatus.MATCHED)
    return offer


def loan_figures() -> dict:

    target = Policy.objects.in_force("xyd_registration_target", on=timezone.localdate())
    operating = Subject.objects.market_subjects().filter(status=OperatingStatus.OPERATING).count()
    registered = FinancingNeed.objects.values("subject_id").distinct().count()
    sums = LoanOffer.objects.aggregate(
        granted=Sum("granted_amount", filter=Q(status__in=[OfferStatus.GRANTED, OfferStatus.LENT])),
        lent=Sum("lent_amount", filter=Q(status=OfferStatus.LENT)),
    )
    return {
        "registered": registered,
        "operating": operating,
        "share": (registered / operating) if operating else None,
        "target": float(target.value) if target is not None and target.value is not None else None,
        "target_percent": f"{float(target.value) * 100:g}" if target is not None and target.value is not None else "",
        "needs": FinancingNeed.objects.count(),
        "amount_sought": FinancingNeed.objects.aggregate(s=Sum("amount"))["s"] or Decimal(0),
        "granted": sums["granted"] or Decimal(0),
        "lent": sums["lent"] or Decimal(0),
        "granted_count": LoanOffer.objects.filter(status__in=[OfferStatus.GRANTED, OfferStatus.LENT]).count(),
    }


def scenario_use_counts():
    return Scenario.objects.annotate(
        use_count=Count("uses"),
        api_uses=Count("uses", filter=Q(uses__channel=UseChannel.API)),
        eligible_uses=Count("uses", filter=Q(uses__eligible=True)),
    ).order_by("sort_order")
