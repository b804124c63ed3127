"""Issuing and verifying credit reports.

A report's content is taken from the same public selectors as the subject's
profile page (``apps.portal.selectors.subject_profile`` and
``apps.records.selectors.public_records``) — except the 专用版's penalties, which
are every penalty decided in the period whatever its publicity
(``special_penalties``) — turned into plain JSON and stored
with its SHA-256 at issuance. Verification looks the report up by number,
checks the code in constant time and recomputes the hash, so the verify page
shows what the report said when it was issued, not what the data says today.
"""

import copy
import datetime
import hashlib
import json
import secrets
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import Department
from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.catalog.choices import Role as FieldRole
from apps.declarations.selectors import public_declarations
from apps.evaluation.selectors import subject_interviews
from apps.portal.selectors import (
    PENALTY_TYPE,
    PublicRecordRow,
    SubjectProfile,
    public_repairs,
    record_rows,
    subject_profile,
)
from apps.records.choices import Status
from apps.records.models import Record
from apps.records.selectors import cached_public_field_specs, public_value
from apps.subjects.masking import mask_personal_numbers
from credit_portal.site_url import public_url

from .choices import Purpose, ReportKind
from .models import CreditReport

# 2: commitments as rows (code, type, matter, dates, fulfilment) and the repair history.
# 3: the 专用版 reads every penalty decided in the period, each with its kind and status.
# 4: 约谈 records ("interviews") in the reports the subject or the credit center issues; verified
#    self-declared information ("declarations").
SNAPSHOT_VERSION = 4
# Unambiguous characters only (no 0/O, 1/I/L): numbers and codes are read off paper and typed in.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_RANDOM_CHARS = 10
CODE_CHARS = 8


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def snapshot_hash(snapshot: dict) -> str:
    """SHA-256 over canonical JSON: sorted keys, no whitespace, UTF-8."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def public_snapshot(snapshot: dict) -> dict:
    """A copy of the snapshot with ID and mobile numbers masked in every name and free-text value.

    Reports issued now are built from the masked public read models already; reports issued
    before free text was masked hold the numbers as typed, and the PDF, the verify page and
    the verify API show every report through here. The stored snapshot (and its hash) stays
    as issued.
    """
    snap = copy.deepcopy(snapshot)
    mask = mask_personal_numbers
    snap["purpose_note"] = mask(snap.get("purpose_note") or "")
    subject = snap.get("subject") or {}
    for key in ("name", "legal_representative"):
        if key in subject:
            subject[key] = mask(subject[key])
    subject["legacy_codes"] = [[label, mask(value)] for label, value in subject.get("legacy_codes") or []]
    for entry in snap.get("entries") or []:
        entry["decision_number"] = mask(entry.get("decision_number"))
    snap["commitments"] = [
        mask(c) if isinstance(c, str) else {**c, "matter": mask(c.get("matter"))} for c in snap.get("commitments") or []
    ]
    special = snap.get("special")
    rows = [*(snap.get("records") or []), *((special or {}).get("penalties") or [])]
    for row in rows:
        row["decision_number"] = mask(row.get("decision_number"))
        row["summary"] = mask(row.get("summary"))
        if "kind" in row:  # 专用版 rows from version 3: the 处罚类别 field, free text from the department
            row["kind"] = mask(row["kind"])
    if special:
        special["statement"] = mask(special.get("statement"))
    for row in snap.get("declarations") or []:
        for key in ("title", "issuer"):
            row[key] = mask(row.get(key))
    for row in snap.get("interviews") or []:
        for key in ("participants", "content", "reason"):
            row[key] = mask(row.get(key))
    return snap


def normalise_number(raw: str) -> str:
    return "".join((raw or "").split()).upper()


def verify_url(*, number: str, code: str, base_url: str = "") -> str:
    # PUBLIC_SITE_URL when set; otherwise (development, tests) the host the visitor issued it on.
    return public_url(reverse("reports:verify") + f"?number={number}&code={code}", request_base=base_url)


def _iso(value):
    return value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value


def _rows_json(rows) -> list[dict]:
    return [
        {
            "record_type": r.record_type,
            "record_type_code": r.record_type_code,
            "decision_number": r.decision_number,
            "decision_date": _iso(r.decision_date),
            "department": r.department,
            "summary": r.summary,
            "severity": r.severity,
            "publicity_end": _iso(r.publicity_end),
            "under_repair": r.under_repair,
            "under_objection": r.under_objection,
        }
        for r in rows
    ]


def _profile_json(profile: SubjectProfile) -> dict:
    identity = profile.identity
    return {
        "subject": {
            "name": identity.name,
            "kind": identity.kind_label,
            "code_label": identity.code_label,
            "code": identity.code,
            "legacy_codes": [list(pair) for pair in identity.legacy_codes],
            "legal_representative": identity.legal_representative,
            "region": identity.region,
            "status": identity.status,
        },
        "grade": str(profile.grade) if profile.grade else "",
        "entries": [
            {
                "list_type": e.list_type,
                "color_label": e.color_label,
                "department": e.department,
                "decision_number": e.decision_number,
                "recognised_on": _iso(e.recognised_on),
                "valid_until": _iso(e.valid_until),
                "under_repair": e.under_repair,
                "under_objection": e.under_objection,
            }
            for e in profile.entries
        ],
        "commitments": [
            {
                "code": c.code,
                "type": c.type_label,
                "matter": c.matter,
                "signed_on": _iso(c.signed_on),
                "due_on": _iso(c.due_on),
                "status": c.status_label,
            }
            for c in profile.commitments
        ],
        "repairs": [
            {
                "number": r.number,
                "record_type": r.record_type,
                "department": r.department,
                "approved_on": _iso(r.approved_on),
            }
            for r in public_repairs(profile.identity.pk)
        ],
        "records_truncated": profile.records_truncated,
    }


def _declarations_json(subject) -> list[dict]:
    return [
        {
            "kind": d.kind,
            "title": d.title,
            "issuer": d.issuer,
            "occurred_on": _iso(d.occurred_on),
            "valid_until": _iso(d.valid_until),
            "mark": d.mark,
            "department": d.department,
            "reviewed_on": _iso(d.reviewed_on),
        }
        for d in public_declarations(subject_id=subject.pk)
        if d.verified
    ]


def _interviews_json(subject) -> list[dict]:
    return [
        {
            "date": _iso(r.date),
            "kind": r.kind,
            "reason": r.reason,
            "department": r.department,
            "status": r.status,
            "participants": r.participants,
            "content": r.content,
        }
        for r in subject_interviews(subject=subject)
    ]


# What a 专用版 reads: every penalty the department actually decided and reported, whatever its
# publicity now. Drafts and records awaiting the department's review were never reported (the
# department may still change or drop them); a revoked record (撤销) is a decision withdrawn, by the
# department or after an objection, so it is no longer a penalty the subject has.
SPECIAL_STATUSES = (Status.PUBLISHED, Status.EXPIRED)


@dataclass(frozen=True)
class SpecialPenalty:
    row: PublicRecordRow
    kind: str  # 处罚类别, as the public sees the field
    status: str  # 公示中 / 未公示（轻微） / 公示期满 / 已信用修复

    @property
    def status_text(self) -> str:
        """The status with the marks a reader must see: 信用修复中, 异议处理中."""
        marks = [m for m, on in (("信用修复中", self.row.under_repair), ("异议处理中", self.row.under_objection)) if on]
        return self.status + (f"（{'，'.join(marks)}）" if marks else "")


def penalty_status(record: Record, *, on: datetime.date) -> str:
    """Why a penalty is or is not on the public pages on a day, in the reader's words.

    The 专用版 lists penalties the public pages do not show; this label tells the
    reader why each one is there. The same flags as ``RecordQuerySet.in_publicity``.
    """
    if record.repaired:
        return "已信用修复"
    if not record.is_publicised:
        return "未公示（轻微）"
    if record.status == Status.EXPIRED or (record.publicity_end and record.publicity_end < on):
        return "公示期满"
    return "公示中"


def special_penalties(*, subject_pk: int, on, department_ids, period_from, period_to) -> list[SpecialPenalty]:
    """Every penalty decided in the period by the chosen fields' departments, whatever its publicity.

    The 专用版 replaces the 无违法违规证明, so it must not say 无 because a penalty was
    never publicised (警告 only), has left publicity (expired) or was repaired: those
    are still penalties decided in the period. Revoked decisions, drafts and records
    pending review are not (``SPECIAL_STATUSES``).
    """
    records = list(
        Record.objects.filter(
            subject_id=subject_pk,
            record_type__code=PENALTY_TYPE,
            status__in=SPECIAL_STATUSES,
            department_id__in=department_ids,
            decision_date__gte=period_from,
            decision_date__lte=period_to,
        )
        .select_related("record_type", "department")
        .defer("private_data")
        .order_by("-decision_date", "-pk")
    )
    specs = cached_public_field_specs()
    kinds = {}
    for record in records:
        # The catalog field that plays 处罚类别 (its code is catalog data, not a constant here).
        spec = next((s for s in specs.get(record.record_type_id, ()) if s.role == FieldRole.PENALTY_KINDS), None)
        kinds[record.pk] = public_value(spec, (record.data or {}).get(spec.code)) if spec else ""
    return [
        SpecialPenalty(row=row, kind=kinds[record.pk], status=penalty_status(record, on=on))
        for record, row in zip(records, record_rows(records), strict=True)
    ]


def _special_json(penalties: list[SpecialPenalty]) -> list[dict]:
    rows = _rows_json([p.row for p in penalties])
    for row, penalty in zip(rows, penalties, strict=True):
        row.update(kind=penalty.kind, status=penalty.status, status_text=penalty.status_text)
    return rows


# Said with every 专用版 outcome: a reader comparing it with the public pages must know why it lists more.
SPECIAL_REFUSED_MESSAGE = (
    "专用信用报告含未公示的行政处罚信息，仅限主体本人登录已认领该主体的账号后申请，或到信用中心窗口办理。"
)
SPECIAL_SCOPE_NOTE = (
    "查询范围为期间内作出的全部行政处罚决定，含未予公示、公示期满和已信用修复的；已撤销的处罚决定不列入"
)


def _special_statement(*, name, fields, period_from, period_to, penalties) -> str:
    period = f"{period_from:%Y年%m月%d日}至{period_to:%Y年%m月%d日}"
    scope = "、".join(fields)
    head = f"经查询{settings.SITE_NAME}公共信用信息平台，{name}在{period}期间，在{scope}领域"
    if not penalties:
        return f"{head}无行政处罚信息（{SPECIAL_SCOPE_NOTE}）。"
    # One item per penalty, so the statement read alone (verify page, API) says what the table says.
    items = "；".join(
        f"{i}. {p.row.decision_date:%Y年%m月%d日} {p.row.department} {p.row.decision_number}"
        f"（{p.kind or p.row.record_type}，{p.status_text}）"
        for i, p in enumerate(penalties, start=1)
    )
    breakdown = "、".join(f"{label}{n}条" for label, n in Counter(p.status for p in penalties).items())
    return f"{head}有行政处罚信息{len(penalties)}条（{breakdown}）：{items}。{SPECIAL_SCOPE_NOTE}。"


class SpecialReportRefused(PermissionDenied):
    """The 专用版 asked for by someone other than the subject or the credit center."""


def may_issue_special(*, requester, subject) -> bool:
    """The subject's own (verified) account, or credit-center staff issuing at the window.

    The 专用版 lists penalties the public may not see — never publicised, past their
    publicity, repaired (a repaired record must leave every public view, DOMAIN.md §6) —
    so it cannot be had by any visitor of the profile page as the standard report can.
    The subject hands it, with its verification code, to whoever asked for the proof.
    """
    if requester is None or not requester.is_authenticated:
        return False
    if has_role(requester, CENTER_ROLES):
        return True
    return requester.role == Role.SUBJECT and requester.subject_id is not None and requester.subject_id == subject.pk


def report_issue(
    *,
    subject,
    purpose: str,
    requester=None,
    client_ip: str | None = None,
    kind: str = ReportKind.STANDARD,
    purpose_note: str = "",
    department_ids=None,
    period_from: datetime.date | None = None,
    period_to: datetime.date | None = None,
    base_url: str = "",
) -> CreditReport:
    """Issue a report: snapshot the subject's public credit information, seal it, log who asked and why."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    now = timezone.now()
    on = timezone.localdate(now)
    profile = subject_profile(pk=subject.pk, on=on)
    content = _profile_json(profile)
    params = {}
    if kind == ReportKind.SPECIAL and not may_issue_special(requester=requester, subject=subject):
        raise SpecialReportRefused(SPECIAL_REFUSED_MESSAGE)
    if kind == ReportKind.SPECIAL:
        departments = dict(Department.objects.filter(pk__in=department_ids or []).values_list("pk", "name"))
        fields = [departments[pk] for pk in sorted(departments)]
        penalties = special_penalties(
            subject_pk=subject.pk, on=on, department_ids=list(departments), period_from=period_from, period_to=period_to
        )
        params = {"departments": sorted(departments), "period_from": _iso(period_from), "period_to": _iso(period_to)}
        content["special"] = {
            "fields": fields,
            "period_from": _iso(period_from),
            "period_to": _iso(period_to),
            "has_penalties": bool(penalties),
            "statement": _special_statement(
                name=profile.identity.name,
                fields=fields,
                period_from=period_from,
                period_to=period_to,
                penalties=penalties,
            ),
            "penalties": _special_json(penalties),
        }
    else:
        content["records"] = _rows_json(profile.records)
    # 文登 #9: verified self-declared information may be a basis of the credit report; unverified
    # declarations stay on the profile, marked, and out of a document others rely on.
    content["declarations"] = _declarations_json(subject)
    if may_issue_special(requester=requester, subject=subject):
        # 约谈 records are part of the credit record (文登 #16) but not published: they go into the reports
        # the subject or the credit center issues, not into one any visitor of the profile page can have.
        content["interviews"] = _interviews_json(subject)

    for _attempt in range(5):
        number = f"XY{settings.PLATFORM_REGION_CODE}{timezone.localtime(now):%Y%m%d}{_random(NUMBER_RANDOM_CHARS)}"
        code = _random(CODE_CHARS)
        snapshot = {
            "version": SNAPSHOT_VERSION,
            "number": number,
            "kind": kind,
            "kind_label": ReportKind(kind).label,
            "issued_at": timezone.localtime(now).isoformat(timespec="seconds"),
            "issuer": f"{settings.SITE_NAME}公共信用信息平台（{settings.PLATFORM_REGION_NAME}）",
            "purpose": Purpose(purpose).label,
            "purpose_note": purpose_note,
            "as_of": on.isoformat(),
            "verify_url": verify_url(number=number, code=code, base_url=base_url),
            **content,
        }
        try:
            with transaction.atomic():
                return CreditReport.objects.create(
                    number=number,
                    verification_code=code,
                    kind=kind,
                    subject=subject,
                    subject_name=profile.identity.name,  # masked: the public read model
                    subject_code=profile.identity.code,
                    purpose=purpose,
                    purpose_note=purpose_note,
                    params=params,
                    snapshot=snapshot,
                    snapshot_hash=snapshot_hash(snapshot),
                    issued_at=now,
                    requester=requester if requester is not None and requester.is_authenticated else None,
                    client_ip=client_ip,
                )
        except IntegrityError:  # a number drawn twice (10 random characters a day: practically never)
            continue
    raise RuntimeError("could not draw a unique report number")


@dataclass(frozen=True)
class Verification:
    status: str  # "verified", "refused" (no such number or wrong code), "altered" (stored content fails its hash)
    report: CreditReport | None = None

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    @property
    def message(self) -> str:
        return {
            "verified": "验证通过：该报告由本平台出具，内容与出具时一致。",
            "refused": "验证未通过：报告编号或验证码不正确，该报告不是本平台出具的或已被篡改。",
            "altered": "验证未通过：该报告的存档内容与出具时的摘要不符，请联系信用中心。",
        }[self.status]


def report_verify(*, number: str, code: str) -> Verification:
    """Genuine and unaltered? The same answer for an unknown number and a wrong code."""
    number = normalise_number(number)
    code = normalise_number(code)
    report = CreditReport.objects.filter(number=number).first() if number else None
    if report is None or not code or not secrets.compare_digest(report.verification_code, code):
        return Verification("refused")
    if snapshot_hash(report.snapshot) != report.snapshot_hash:
        return Verification("altered", report)
    return Verification("verified", report)
