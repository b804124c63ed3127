"""Reads of commitments for the public: the 信用承诺公示 rows (public fields only, persons masked)."""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from apps.subjects.codes import normalise_code
from apps.subjects.masking import mask_personal_numbers, public_contains
from credit_portal.prepared import PreparedQuery

from .choices import NOTICE_COMMITMENT_TYPES, CommitmentType
from .models import Commitment, CommitmentTemplate, Fulfilment

# What a USCC, a legacy code or a commitment number looks like once normalised: letters and digits only.
_CODE_LIKE = re.compile(r"[0-9A-Z]{8,20}")


def public_commitments_search(qs: QuerySet, query: str) -> QuerySet:
    """The 信用承诺公示 search box: a commitment number or subject code exactly, else an organisation's name.

    A code is looked up by its indexes only: ``code = … OR subject.uscc = …`` written as one condition
    across the join is answered by reading every commitment (1.5 s at 300,000), the two indexed look-ups
    by id take a millisecond. A person's name is masked here, so it is not searchable either (no
    confirming who is behind a row).
    """
    code = normalise_code(query)
    if _CODE_LIKE.fullmatch(code):
        by_code = Commitment.objects.filter(code=code).values("pk")
        by_subject = Commitment.objects.filter(subject__uscc=code).values("pk")
        return qs.filter(pk__in=by_code.union(by_subject))
    # An organisation's name is shown with ID and mobile numbers masked: matched as shown (public_contains).
    return qs.filter(public_contains("subject__name", query) & ~Q(subject__kind="person"))


def public_subject_name(subject) -> str:
    """A natural person's name shows its first character only; an organisation's in full, numbers in it masked."""
    if subject.kind == "person" and subject.name:
        return subject.name[0] + "*" * (len(subject.name) - 1)
    return mask_personal_numbers(subject.name)


@dataclass(frozen=True)
class PublicCommitment:
    code: str
    subject_name: str
    subject_code: str
    type_label: str
    matter: str
    signed_on: datetime.date
    due_on: datetime.date
    status_label: str

    def __str__(self):
        return f"{self.code} {self.type_label}：{self.matter}（{self.signed_on:%Y-%m-%d}，{self.status_label}）"


def public_commitments_qs(*, on: datetime.date | None = None) -> QuerySet:
    """Commitments on the 信用承诺公示 page, newest first; ``text`` (the rendered template) is not public."""
    qs = Commitment.objects.select_related("subject").defer("text").order_by("-signed_on", "-pk")
    if on is not None:
        qs = qs.filter(signed_on__lte=on)
    return qs


def public_commitment(c: Commitment) -> PublicCommitment:
    return PublicCommitment(
        code=c.code,
        subject_name=public_subject_name(c.subject),
        subject_code=c.subject.public_code,
        type_label=c.get_type_display(),
        matter=mask_personal_numbers(c.matter),
        signed_on=c.signed_on,
        due_on=c.due_on,
        status_label=c.get_status_display(),
    )


_SUBJECT_COMMITMENTS = PreparedQuery(
    lambda *, pk, on, key: (
        public_commitments_qs(on=on)
        .filter(subject_id=pk)
        .values_list("code", "type", "matter", "signed_on", "due_on", "status")
    ),
    pk=int,
    on=datetime.date,
)


def public_commitments(*, subject, on: datetime.date | None = None) -> list[PublicCommitment]:
    """A subject's commitments as the public sees them (its profile and credit report).

    With a day (the profile page, for every visitor) the query is compiled once per process
    (credit_portal/prepared.py) and reads only the public columns.
    """
    if on is None:
        return [public_commitment(c) for c in public_commitments_qs(on=on).filter(subject=subject)]
    name, code = public_subject_name(subject), subject.public_code
    types = dict(Commitment._meta.get_field("type").flatchoices)
    statuses = dict(Commitment._meta.get_field("status").flatchoices)
    return [
        PublicCommitment(
            code=number,
            subject_name=name,
            subject_code=code,
            type_label=types.get(kind, kind),
            matter=mask_personal_numbers(matter),
            signed_on=signed_on,
            due_on=due_on,
            status_label=statuses.get(status, status),
        )
        for number, kind, matter, signed_on, due_on, status in _SUBJECT_COMMITMENTS.rows(pk=subject.pk, on=on)
    ]


@dataclass(frozen=True)
class CommitmentTimeliness:
    """A department's commitment information reported in a period, and how much of it on time.

    Paper and imported commitments count from their entry (deadline from the signing date); fulfilment and
    breach information from its recording (deadline from the fulfilment date). Online signings are on the
    platform as they are made and are not counted.
    """

    entered: int
    entered_timely: int
    fulfilments: int
    fulfilments_timely: int

    @property
    def entered_late(self) -> int:
        return self.entered - self.entered_timely

    @property
    def fulfilments_late(self) -> int:
        return self.fulfilments - self.fulfilments_timely

    @property
    def entered_rate(self) -> float | None:
        return _percent(self.entered_timely, self.entered)

    @property
    def fulfilments_rate(self) -> float | None:
        return _percent(self.fulfilments_timely, self.fulfilments)

    @property
    def reported(self) -> int:
        return self.entered + self.fulfilments

    @property
    def timely(self) -> int:
        return self.entered_timely + self.fulfilments_timely

    @property
    def late(self) -> int:
        return self.reported - self.timely

    @property
    def timely_rate(self) -> float | None:
        return _percent(self.timely, self.reported)


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def commitment_timeliness(*, department, since: datetime.date, until: datetime.date) -> CommitmentTimeliness:
    """Figures for ``since`` ≤ day < ``until`` (local days)."""
    entries = Commitment.objects.filter(
        supervising_department=department,
        entry_timely__isnull=False,
        created_at__date__gte=since,
        created_at__date__lt=until,
    ).aggregate(n=Count("pk"), ok=Count("pk", filter=Q(entry_timely=True)))
    fulfilments = Fulfilment.objects.filter(
        department=department, recorded_on__gte=since, recorded_on__lt=until
    ).aggregate(n=Count("pk"), ok=Count("pk", filter=Q(timely=True)))
    return CommitmentTimeliness(entries["n"], entries["ok"], fulfilments["n"], fulfilments["ok"])


# --- the templates and the 告知承诺 matters, published (文登 #1: 格式规范的信用承诺书…向社会公开) ---------------


def public_templates(*, type: str = "", q: str = "") -> QuerySet:
    """Templates a subject can sign today, with the public fields only (no staff notes, no history)."""
    qs = CommitmentTemplate.objects.filter(is_active=True).select_related("supervising_department")
    if type in CommitmentType.values:
        qs = qs.filter(type=type)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(matter__icontains=text) | Q(title__icontains=text))
    return qs.only("pk", "type", "matter", "title", "term_days", "updated_at", "supervising_department__name").order_by(
        "type", "matter", "pk"
    )


def public_template(*, pk: int) -> CommitmentTemplate:
    """One active template; ``CommitmentTemplate.DoesNotExist`` when it is retired or unknown."""
    return CommitmentTemplate.objects.select_related("supervising_department").get(pk=pk, is_active=True)


def public_notice_matters(*, q: str = "") -> QuerySet:
    """告知承诺办理事项清单 (平陆 #9, 国办发〔2020〕42号): the matters handled on a 告知承诺, i.e. the active
    templates of the two 告知承诺 types, ordered by matter."""
    return public_templates(q=q).filter(type__in=NOTICE_COMMITMENT_TYPES).order_by("matter", "type", "pk")


def template_public_body(body: str) -> str:
    """The template text as a blank form: each ``{占位符}`` shown as ``【占位符】`` for the signer to fill in."""
    return _PLACEHOLDER.sub(lambda m: f"【{m.group(1)}】", mask_personal_numbers(body))


_PLACEHOLDER = re.compile(r"\{([^{}]{1,20})\}")
