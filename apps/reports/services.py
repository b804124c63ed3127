"""Issuing and verifying credit reports.

A report's content is taken from the same public selectors as the subject's
profile page (``apps.portal.selectors.subject_profile`` and
``apps.records.selectors.public_records``), turned into plain JSON and stored
with its SHA-256 at issuance. Verification looks the report up by number,
checks the code in constant time and recomputes the hash, so the verify page
shows what the report said when it was issued, not what the data says today.
"""

import copy
import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Department
from apps.portal.selectors import PENALTY_TYPE, SubjectProfile, public_repairs, record_rows, subject_profile
from apps.records.selectors import public_records
from apps.subjects.masking import mask_personal_numbers

from .choices import Purpose, ReportKind
from .models import CreditReport

# 2: commitments as rows (code, type, matter, dates, fulfilment) and the repair history.
SNAPSHOT_VERSION = 2
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
    if special:
        special["statement"] = mask(special.get("statement"))
    return snap


def normalise_number(raw: str) -> str:
    return "".join((raw or "").split()).upper()


def verify_url(*, number: str, code: str, base_url: str = "") -> str:
    path = reverse("reports:verify") + f"?number={number}&code={code}"
    base = (settings.PORTAL_BASE_URL or base_url or "").rstrip("/")
    return f"{base}{path}"


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


def special_penalties(*, subject_pk: int, on, department_ids, period_from, period_to) -> list:
    """Penalties in publicity decided in the period by the chosen fields' departments."""
    records = (
        public_records(on=on)
        .filter(
            subject_id=subject_pk,
            record_type__code=PENALTY_TYPE,
            department_id__in=department_ids,
            decision_date__gte=period_from,
            decision_date__lte=period_to,
        )
    )  # fmt: skip
    return record_rows(list(records))


def _special_statement(*, name, fields, period_from, period_to, count) -> str:
    period = f"{period_from:%Y年%m月%d日}至{period_to:%Y年%m月%d日}"
    scope = "、".join(fields)
    if not count:
        return f"经查询{settings.SITE_NAME}公共信用信息平台，{name}在{period}期间，在{scope}领域无行政处罚信息。"
    return f"经查询{settings.SITE_NAME}公共信用信息平台，{name}在{period}期间，在{scope}领域有行政处罚信息{count}条，详见下表。"


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
                count=len(penalties),
            ),
            "penalties": _rows_json(penalties),
        }
    else:
        content["records"] = _rows_json(profile.records)

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
