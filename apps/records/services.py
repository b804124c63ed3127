"""Intake of records: one pipeline for the web form, uploads, the API and the import command.

``records_ingest`` takes rows keyed by catalog field code, validates each
against its catalog type, links subjects, decides accepted / updated /
duplicate / rejected, computes deadlines and publicity (``building.RecordBuilder``), and writes
everything of a batch in one transaction. Re-sending the same rows changes nothing.
"""

import uuid
from collections import Counter
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.catalog.rules import run_rules
from apps.catalog.spec import LEGAL_KIND, PERSON_KIND, Problem
from apps.subjects.choices import SubjectKind
from apps.subjects.models import Subject
from apps.subjects.services import subject_prepare
from credit_portal.bulk import bulk_insert

from .building import UPDATABLE, RecordBuilder
from .choices import Action, Outcome, Source, Status
from .hooks import hooks_for
from .models import Record, RecordEvent, Submission, SubmissionBatch
from .outcomes import IngestSummary, RowOutcome
from .policy import PolicyMissing
from .review import review_queue_notify
from .workflow import intake_status

BATCH_SIZE = 1000
User = get_user_model()
KIND_MAP = {
    LEGAL_KIND: SubjectKind.LEGAL,
    PERSON_KIND: SubjectKind.PERSON,
    "个体工商户": SubjectKind.INDIVIDUAL_BUSINESS,
}


class Ingest(RecordBuilder):
    """One intake run for a department and a record type (the pieces shared across batches)."""

    def __init__(self, *, keep_rejected=True, **options):
        super().__init__(**options)
        # A web form's refused attempt is shown back to the clerk to correct, not stored: it was never
        # submitted, so it neither waits in 待整改 nor counts against the department's 合规率.
        self.keep_rejected = keep_rejected
        # This run's submission batch (one row per local month it stores rows in, see SubmissionBatch).
        self.batch_key = uuid.uuid4()
        self.hooks = hooks_for(self.record_type.code)
        self.seen_keys: dict[str, int | None] = {}

    # --- public ------------------------------------------------------------------

    def run(
        self,
        rows: Iterable[tuple[int | None, dict]],
        *,
        severity: str | None = None,
        on_batch=None,
        keep_outcomes: bool = True,
    ) -> IngestSummary:
        """``on_batch(outcomes)`` sees each batch's outcomes once it is committed; a big file's caller
        passes ``keep_outcomes=False`` and keeps what it needs from there, so memory stays flat.

        ``severity`` stands for a row that states none (a caller that knows it, e.g. an objection
        correction keeping the record's own); otherwise each row's 失信行为严重程度 or the rule table decides."""
        summary = IngestSummary(keep_outcomes=keep_outcomes)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                self._run_batch(batch, severity, summary, on_batch)
                batch = []
        if batch:
            self._run_batch(batch, severity, summary, on_batch)
        if self.upload is None and intake_status(department=self.department, submit=self.submit) == (
            Status.PENDING_REVIEW
        ):
            # An upload notifies once when it finishes (uploads._finish), whatever path its rows took.
            stored = summary.count(Outcome.ACCEPTED) + summary.count(Outcome.UPDATED)
            review_queue_notify(department=self.department, count=stored, what=f"{Source(self.source).label}的信息")
        return summary

    def _run_batch(self, batch, severity, summary, on_batch):
        outcomes = self._batch(batch, severity)
        summary.add(outcomes)
        if on_batch:
            on_batch(outcomes)

    # --- one batch ---------------------------------------------------------------

    def _batch(self, rows, severity) -> list[RowOutcome]:
        checked = []
        for row_number, raw in rows:
            result = self.spec.validate(raw, today=self.today)
            number = result.values.get(self.f_number, "")
            if number and number in self.seen_keys:
                first_row = self.seen_keys[number]
                where = f"第{first_row}行" if first_row else "本批次前面的记录"
                result.problems.append(
                    Problem(self.f_number, self.spec.by_code[self.f_number].label, f"与{where}的决定文书号重复")
                )
            elif number:
                self.seen_keys[number] = row_number
            run_rules(self.intake_rules, result, self.rule_context)
            checked.append((row_number, raw, result))

        with transaction.atomic():
            intake_lock(department=self.department, record_type=self.record_type, upload=self.upload, actor=self.actor)
            subjects = self._link_subjects([r for _, _, r in checked if r.ok])
            existing = {
                rec.decision_number: rec
                for rec in Record.objects.select_for_update().filter(
                    department=self.department,
                    record_type=self.record_type,
                    decision_number__in=[r.values[self.f_number] for _, _, r in checked if r.ok],
                )
            }
            outcomes, submissions, new_records, new_events, changed, changed_reported = [], [], [], [], [], []
            counted = Counter()
            now = timezone.now()
            for row_number, raw, result in checked:
                outcome = RowOutcome(row_number, Outcome.REJECTED, result.problems, result.warnings)
                record = None
                if result.ok:
                    try:
                        record = self._build(result, subjects, severity, now)
                    except PolicyMissing as exc:
                        result.problems.append(Problem("", "", str(exc)))
                if record is not None:
                    outcome.decision_number = record.decision_number
                    old = existing.get(record.decision_number)
                    if old is None:
                        outcome.outcome = Outcome.ACCEPTED
                        new_records.append(record)
                    elif old.content_hash == record.content_hash and old.status != Status.REVOKED:
                        outcome.outcome, outcome.record_id, record = Outcome.DUPLICATE, old.pk, old
                    else:
                        outcome.outcome = Outcome.UPDATED
                        before = old.data
                        if old.status in (Status.PUBLISHED, Status.PENDING_REVIEW) and not self.submit:
                            # Saving a draft of a record already reported must not un-report it.
                            record.status = old.status
                        self._copy_into(old, record)
                        if old.reported_at is None and record.reported_at is not None:
                            old.reported_at, old.timely = record.reported_at, record.timely
                            old.published_at, old.publicity_start = record.published_at, record.publicity_start
                            changed_reported.append(old)
                        changed.append(old)
                        new_events.append(self._event(old, Action.CORRECT, before, old.data))
                        outcome.record_id, record = old.pk, old
                outcomes.append(outcome)
                if outcome.outcome != Outcome.REJECTED:
                    counted[outcome.outcome] += 1
                    counted["compliant"] += result.ok
                    continue
                if not self.keep_rejected:
                    continue
                counted[outcome.outcome] += 1
                counted["compliant"] += result.ok
                # Only a rejected row is kept row by row: it must be fixed. An accepted one lives on in its
                # record; the batch counts it for 合规率.
                submissions.append(
                    (
                        outcome,
                        Submission(
                            department=self.department,
                            record_type=self.record_type,
                            source=self.source,
                            upload=self.upload,
                            row_number=row_number,
                            # What was sent, so the rejected row can be reopened in the form.
                            raw=self._raw_for_fixing(raw),
                            compliant=result.ok,
                            problems=[str(p) for p in result.problems],
                            outcome=outcome.outcome,
                            created_by=self.actor,
                        ),
                    )
                )
            # No "create" event per new record: the record's own created_at / source / upload / created_by
            # are its creation entry (history.record_events); events are written for changes only.
            bulk_insert(Record, new_records)
            if changed:
                Record.objects.bulk_update(changed, UPDATABLE)
            if changed_reported:
                Record.objects.bulk_update(
                    changed_reported, ["reported_at", "published_at", "timely", "publicity_start"]
                )
            bulk_insert(RecordEvent, new_events)
            by_number = {r.decision_number: r for r in new_records}
            for outcome in outcomes:
                if outcome.outcome == Outcome.ACCEPTED:
                    outcome.record_id = by_number[outcome.decision_number].pk
            batch_id = submission_batch_add(self, now=now, counts=counted) if counted else None
            for outcome, submission in submissions:
                submission.record_id = outcome.record_id
                submission.batch_id = batch_id
            bulk_insert(Submission, [submission for _, submission in submissions])
            if self.hooks.after_write and (new_records or changed):
                self.hooks.after_write(records=new_records + changed)
        return outcomes

    # --- subjects ------------------------------------------------------------------

    def _link_subjects(self, results) -> dict:
        """Find each row's subject by code; register the ones the platform has not seen yet."""
        wanted = {}
        for result in results:
            key = self._subject_key(result.values)
            if key and key not in wanted:
                wanted[key] = result.values
        usccs = [v for kind, v in wanted if kind == "uscc"]
        hashes = [v for kind, v in wanted if kind == "id"]
        found = {("uscc", s.uscc): s for s in Subject.objects.filter(uscc__in=usccs).order_by("-pk")}
        found |= {
            ("id", s.id_number_hash): s for s in Subject.objects.filter(id_number_hash__in=hashes).order_by("-pk")
        }
        missing = []
        for key, values in wanted.items():
            if key in found:
                continue
            kind = KIND_MAP[values[self.f_kind]]
            subject = Subject(
                kind=kind,
                name=values[self.f_name],
                uscc=values.get(self.f_uscc, "") if kind != SubjectKind.PERSON else "",
                legal_representative=values.get(self.f_legal_rep, "") if kind != SubjectKind.PERSON else "",
            )
            try:
                subject_prepare(
                    subject=subject,
                    id_number=values.get(self.f_person_id) if kind == SubjectKind.PERSON else None,
                    strict=False,
                )
            except ValidationError:
                continue  # e.g. a passport number: the record stays, unlinked, rather than guess a subject
            missing.append((key, subject))
        bulk_insert(Subject, [s for _, s in missing])
        found |= dict(missing)
        return found


_BATCH_COUNTS = ("rows", "compliant", "accepted", "updated", "duplicates", "rejected")


def submission_batch_add(ingest, *, now, counts) -> int:
    """Add a chunk's counts to the run's submission batch of ``now``'s local month; its id.

    One upsert per chunk, inside the chunk's transaction (the staged path's and the pipeline's alike):
    the first chunk of a run (or of a new month) creates the row, the others add to it. ``counts``
    maps outcome → rows (``compliant`` too); ``rows`` is their sum.
    """
    counts = dict(counts)
    counts["rows"] = sum(
        counts.get(o, 0) for o in (Outcome.ACCEPTED, Outcome.UPDATED, Outcome.DUPLICATE, Outcome.REJECTED)
    )
    values = {
        "key": SubmissionBatch._meta.get_field("key").get_db_prep_value(ingest.batch_key, connection),
        "month": timezone.localtime(now).date().replace(day=1),
        "department_id": ingest.department.pk,
        "record_type_id": ingest.record_type.pk,
        "source": ingest.source,
        "upload_id": ingest.upload.pk if ingest.upload else None,
        "created_by_id": ingest.actor.pk if ingest.actor else None,
        "rows": counts["rows"],
        "compliant": counts.get("compliant", 0),
        "accepted": counts.get(Outcome.ACCEPTED, 0),
        "updated": counts.get(Outcome.UPDATED, 0),
        "duplicates": counts.get(Outcome.DUPLICATE, 0),
        "rejected": counts.get(Outcome.REJECTED, 0),
        "created_at": now,
        "updated_at": now,
    }
    columns = ", ".join(f'"{c}"' for c in values)
    add = ", ".join(f'"{c}" = b."{c}" + EXCLUDED."{c}"' for c in _BATCH_COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO records_submissionbatch AS b ({columns}) VALUES ({", ".join(["%s"] * len(values))})
                ON CONFLICT (key, month) DO UPDATE SET {add}, updated_at = EXCLUDED.updated_at
                RETURNING id""",  # noqa: S608 — column names are ours
            list(values.values()),
        )
        return cursor.fetchone()[0]


def intake_lock(*, department, record_type, upload=None, actor=None) -> None:
    """Serialise the writing transactions of one department's records of one type (PostgreSQL), and
    hold the rows every stored record will point to.

    Two intakes of the same rows at once (two uploads of one file, a form
    save during an upload) would both find no record and both insert; with
    the lock the second sees what the first committed and reports duplicates.
    Held to the end of the transaction; other departments and types never wait.

    Record's department / record type / upload / created_by have no database constraint (see
    Record.department): the ``FOR KEY SHARE`` lock below is what the constraint's trigger took per
    row, taken once per transaction instead — the rows exist and cannot be deleted until it commits.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [department.pk, record_type.pk])
        held = [("accounts_department", department.pk), ("catalog_recordtype", record_type.pk)]
        held += [("records_upload", upload.pk)] if upload is not None else []
        held += [(User._meta.db_table, actor.pk)] if actor is not None else []
        for table, pk in held:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [pk])  # noqa: S608 — our tables
            if cursor.fetchone() is None:
                raise IntegrityError(f"{table} {pk} 不存在，本批数据未保存")


def records_ingest(
    *,
    record_type,
    department,
    rows,
    source=Source.FORM,
    actor=None,
    actor_label="",
    upload=None,
    today=None,
    on_batch=None,
    submit=True,
    reason="",
    severity=None,
    keep_rejected=True,
) -> IngestSummary:
    """Validate and store rows (``[(row_number, {field_code: value})]``); returns the per-row outcomes.

    ``submit=False`` keeps valid rows as drafts (not yet reported: no timeliness
    verdict, not public); ``reason`` is recorded on correction events;
    ``keep_rejected=False`` (the web form) stores no submission for a refused row.
    """
    ingest = Ingest(
        record_type=record_type,
        department=department,
        source=source,
        actor=actor,
        actor_label=actor_label,
        upload=upload,
        today=today,
        submit=submit,
        reason=reason,
        keep_rejected=keep_rejected,
    )
    return ingest.run(rows, on_batch=on_batch, severity=severity)
