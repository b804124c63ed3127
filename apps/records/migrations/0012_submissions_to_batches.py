"""Per-row submissions → one batch per intake run and month; only rejected rows stay.

Existing rows carry no run identity, so a batch here gathers the rows of one (department, record
type, source, upload, sender) in one local month: exactly the cell 合规率 counts them in, so every
department rate stays what it was. Rejected rows are kept (they still wait in 待整改) and linked to
their batch; the accepted / updated / duplicate rows, which only repeated their record, are deleted.

The reverse step puts back one compliant row per counted accepted / updated / duplicate row (no row
number or record link: those were never needed for a figure), so 合规率 is the same either way.
Set-based SQL on PostgreSQL; a plain Python loop elsewhere (SQLite holds only small databases).
"""

import uuid
from collections import Counter, defaultdict

from django.conf import settings
from django.db import migrations
from django.utils import timezone

GROUP = ("department_id", "record_type_id", "source", "upload_id", "created_by_id")

FORWARD_SQL = [
    """
    INSERT INTO records_submissionbatch
        (key, month, department_id, record_type_id, source, upload_id, created_by_id,
         "rows", compliant, accepted, updated, duplicates, rejected, created_at, updated_at)
    SELECT gen_random_uuid(), m, department_id, record_type_id, source, upload_id, created_by_id,
           count(*), count(*) FILTER (WHERE compliant),
           count(*) FILTER (WHERE outcome = 'accepted'), count(*) FILTER (WHERE outcome = 'updated'),
           count(*) FILTER (WHERE outcome = 'duplicate'), count(*) FILTER (WHERE outcome = 'rejected'),
           min(created_at), max(created_at)
    FROM (SELECT s.*, date_trunc('month', s.created_at AT TIME ZONE %(tz)s)::date AS m
          FROM records_submission s WHERE s.batch_id IS NULL) s
    GROUP BY m, department_id, record_type_id, source, upload_id, created_by_id
    """,
    """
    UPDATE records_submission s SET batch_id = b.id
    FROM records_submissionbatch b
    WHERE s.batch_id IS NULL AND s.outcome = 'rejected'
      AND b.month = date_trunc('month', s.created_at AT TIME ZONE %(tz)s)::date
      AND b.department_id = s.department_id AND b.record_type_id = s.record_type_id AND b.source = s.source
      AND b.upload_id IS NOT DISTINCT FROM s.upload_id AND b.created_by_id IS NOT DISTINCT FROM s.created_by_id
    """,
    "DELETE FROM records_submission WHERE batch_id IS NULL AND outcome <> 'rejected'",
]

BACKWARD_SQL = [
    """
    INSERT INTO records_submission
        (department_id, record_type_id, source, upload_id, row_number, raw, compliant, problems, outcome,
         record_id, fixed, created_by_id, created_at)
    SELECT b.department_id, b.record_type_id, b.source, b.upload_id, NULL, '{}'::jsonb, true, '[]'::jsonb,
           o.outcome, NULL, false, b.created_by_id, b.created_at
    FROM records_submissionbatch b
    CROSS JOIN LATERAL (VALUES ('accepted', b.accepted), ('updated', b.updated), ('duplicate', b.duplicates)) o(outcome, n)
    CROSS JOIN LATERAL generate_series(1, o.n)
    """,
    "UPDATE records_submission SET batch_id = NULL",
    "DELETE FROM records_submissionbatch",
]


def _month(value):
    return timezone.localtime(value).date().replace(day=1)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in FORWARD_SQL:
                cursor.execute(statement, {"tz": settings.TIME_ZONE} if "%(tz)s" in statement else None)
        return
    Submission = apps.get_model("records", "Submission")
    SubmissionBatch = apps.get_model("records", "SubmissionBatch")
    groups = defaultdict(list)
    for s in Submission.objects.filter(batch__isnull=True).order_by("pk"):
        groups[(*(getattr(s, f) for f in GROUP), _month(s.created_at))].append(s)
    for key, rows in groups.items():
        outcomes = Counter(s.outcome for s in rows)
        batch = SubmissionBatch.objects.create(
            key=uuid.uuid4(), month=key[-1], **dict(zip(GROUP, key[:-1], strict=True)),
            rows=len(rows), compliant=sum(s.compliant for s in rows), accepted=outcomes["accepted"],
            updated=outcomes["updated"], duplicates=outcomes["duplicate"], rejected=outcomes["rejected"],
        )
        SubmissionBatch.objects.filter(pk=batch.pk).update(created_at=min(s.created_at for s in rows))
        Submission.objects.filter(pk__in=[s.pk for s in rows if s.outcome == "rejected"]).update(batch=batch)
        Submission.objects.filter(pk__in=[s.pk for s in rows if s.outcome != "rejected"]).delete()


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in BACKWARD_SQL:
                cursor.execute(statement)
        return
    Submission = apps.get_model("records", "Submission")
    SubmissionBatch = apps.get_model("records", "SubmissionBatch")
    for b in SubmissionBatch.objects.all():
        for outcome, n in (("accepted", b.accepted), ("updated", b.updated), ("duplicate", b.duplicates)):
            Submission.objects.bulk_create(
                Submission(
                    department_id=b.department_id, record_type_id=b.record_type_id, source=b.source,
                    upload_id=b.upload_id, raw={}, compliant=True, problems=[], outcome=outcome,
                    created_by_id=b.created_by_id,
                )
                for _ in range(n)
            )
    Submission.objects.update(batch=None)
    SubmissionBatch.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("records", "0011_submission_batches")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
