"""The staged import, step 4: storing one segment's passing rows — subjects found or registered, records
inserted by ``INSERT … SELECT`` (a generic insert: any table layout of ``records_record`` takes it), the
run's submission-batch counts, and the type's ``after_write`` hook — in one transaction.

A mixin of ``staged.StagedImport``.
"""

import json

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.catalog.spec import PERSON_KIND
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.models import Subject

from ..choices import Outcome, Status
from ..models import Record
from ..services import KIND_MAP, intake_lock, submission_batch_add
from .staged_sql import hash_joins, insert_columns, sql_literal


class StoreMixin:
    """Storing a segment's built rows (``staged_build``)."""

    def store_chunk(self, chunk: int) -> tuple[int, int]:
        ingest, cursor, now = self.ingest, connection.cursor(), self.now
        dept, rtype = ingest.department, ingest.record_type
        with transaction.atomic():
            intake_lock(department=dept, record_type=rtype, upload=ingest.upload, actor=ingest.actor)
            self._find_on_file(cursor, chunk)
            with self._step("store: subjects"):
                self._link_subjects(cursor, chunk)
            status = Status.PENDING_REVIEW if dept.requires_review else Status.PUBLISHED
            local_today = timezone.localtime(now).date()
            record_cols = {
                "record_type_id": ("%s", rtype.pk),
                "catalog_version": ("%s", rtype.version),
                "department_id": ("%s", dept.pk),
                "data": ("b.data::jsonb", None),
                "private_data": ("b.private_data::jsonb", None),
                "subject_id": ("m.sid", None),
                "subject_name": ("b.subject_name", None),
                "subject_kind": ("b.subject_kind", None),
                "subject_code": ("coalesce(m.public_code, b.uscc, '')", None),
                "decision_number": ("b.decision_number", None),
                "decision_date": ("b.decision_date", None),
                "valid_to": ("b.valid_to", None),
                "severity": ("b.severity", None),
                "severity_source": ("b.severity_source", None),
                "status": ("%s", status),
                "report_deadline": ("b.deadline", None),
                "deadline_calendar": ("b.calendar", None),
                "reported_at": ("%s", now),
                # 及时率 judges 按时上网公示: a department that reviews first publishes later.
                "published_at": ("%s::timestamptz", now if status == Status.PUBLISHED else None),
                "timely": ("CASE WHEN %s THEN %s <= b.deadline END", [status == Status.PUBLISHED, local_today]),
                "is_publicised": ("b.is_publicised", None),
                "publicity_start": (
                    "CASE WHEN b.is_publicised AND %s THEN %s::date END",
                    [status == Status.PUBLISHED, local_today],
                ),
                "publicity_min_end": ("b.publicity_min_end", None),
                "publicity_end": ("b.publicity_end", None),
                "source": ("%s", ingest.source),
                "upload_id": ("%s", ingest.upload.pk if ingest.upload else None),
                "content_hash": ("b.content_hash", None),
                "created_by_id": ("%s", ingest.actor.pk if ingest.actor else None),
                "created_by_label": ("%s", ingest.actor_label[:100]),
            }
            cols, exprs, params = insert_columns(Record, record_cols, now)
            # Records only: no "create" event (the record is its own creation entry) and no per-row
            # submission (the run's batch counts these rows, below).
            # Every built row without a record on file is inserted (no RETURNING: the rows done are known
            # from staged_build, and only an after_write hook needs the new ids).
            with hash_joins(cursor):
                cursor.execute(
                    f"""INSERT INTO records_record ({cols})
                        SELECT {exprs} FROM staged_build b LEFT JOIN staged_subjects m ON m.skey = b.subject_key
                        WHERE b.chunk = %s AND b.old_id IS NULL ORDER BY b.n""",  # noqa: S608
                    [*params, chunk],
                )
                accepted = cursor.rowcount
            # Done here: the rows inserted and the duplicates of a record on file (the changed ones are the pipeline's).
            cursor.execute(
                "INSERT INTO staged_done (n) SELECT n FROM staged_build WHERE chunk = %s AND (old_id IS NULL OR NOT changed)",
                [chunk],
            )
            duplicates = cursor.rowcount - accepted
            if accepted or duplicates:
                # Every row stored here passed every rule: compliant.
                submission_batch_add(
                    ingest,
                    now=now,
                    counts={
                        Outcome.ACCEPTED: accepted,
                        Outcome.DUPLICATE: duplicates,
                        "compliant": accepted + duplicates,
                    },
                )
        return accepted, duplicates

    def _find_on_file(self, cursor, chunk: int) -> None:
        """Mark the built rows whose document number the department already has a record of this type for.

        Planned by what the statistics say of the department. When they know it has many records, the
        planner probes the natural-key index once per row. When they say it has (next to) none — a new
        department, or statistics older than this run, which stores up to millions of rows in minutes —
        every estimate is one row, and from one row the planner chose a nested loop that read every
        record stored so far once per row (minutes per segment); then nested loops are off and the
        department's records are hashed once per segment. (A probe forced by LATERAL … LIMIT 1 was tried:
        from the same one-row estimates it took the (department, type, reported_at) index and filtered.)
        """
        ingest = self.ingest
        lookup = (
            "UPDATE staged_build b SET old_id = r.id,"
            " changed = NOT (r.content_hash = b.content_hash AND r.status <> %s)"
            " FROM records_record r WHERE b.chunk = %s AND r.department_id = %s AND r.record_type_id = %s"
            " AND r.decision_number = b.decision_number"
        )
        params = [Status.REVOKED, chunk, ingest.department.pk, ingest.record_type.pk]
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM records_record WHERE department_id = %s AND record_type_id = %s",
            params[2:],
        )
        (plan,) = cursor.fetchone()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        if plan[0]["Plan"]["Plan Rows"] >= settings.IMPORT_STAGED_CHUNK_ROWS:
            cursor.execute(lookup, params)
        else:
            with hash_joins(cursor):
                cursor.execute(lookup, params)

    def _link_subjects(self, cursor, chunk: int) -> None:
        """Find each row's subject by code; register the ones not seen yet (first row's name wins, as in Ingest).

        The look-up is one index probe per distinct code (a LATERAL subquery with OFFSET 0 is planned on its
        own, so it takes the uscc index or the partial id-number-hash one, whose predicate is repeated here):
        a plain join was planned from statistics older than the import and sorted every subject on each
        segment.
        """
        cursor.execute("DROP TABLE IF EXISTS staged_subjects")
        cursor.execute(
            """CREATE TEMP TABLE staged_subjects AS
               WITH k AS (SELECT DISTINCT subject_key, uscc, id_hash, subject_kind FROM staged_build
                          WHERE chunk = %s AND subject_key IS NOT NULL AND NOT changed)
               SELECT DISTINCT ON (skey) k.subject_key AS skey, f.sid, f.public_code
               FROM k CROSS JOIN LATERAL (
                   SELECT s.id AS sid, s.uscc AS public_code FROM subjects_subject s
                   WHERE k.subject_kind <> %s AND s.uscc = k.uscc
                   UNION ALL
                   SELECT s.id, CASE WHEN s.uscc <> '' THEN s.uscc ELSE s.id_number_masked END FROM subjects_subject s
                   WHERE k.subject_kind = %s AND s.id_number_hash = k.id_hash AND s.id_number_hash > ''
                   OFFSET 0) f
               ORDER BY skey, f.sid""",
            [chunk, PERSON_KIND, PERSON_KIND],
        )
        kinds = "CASE b.subject_kind " + " ".join(
            f"WHEN {sql_literal(label)} THEN {sql_literal(kind)}" for label, kind in KIND_MAP.items()
        )
        person = f"b.subject_kind = {sql_literal(PERSON_KIND)}"
        person_id = self.col.get(self.ingest.f_person_id) if self.ingest.f_person_id else None
        enc = f"s.e{person_id[1:]}" if person_id else "NULL"
        masked = f"s.k{person_id[1:]}" if person_id else "NULL"
        cols, exprs, params = insert_columns(
            Subject,
            {
                "kind": (kinds + " END", None),
                "name": ("b.subject_name", None),
                "uscc": (f"CASE WHEN {person} THEN '' ELSE b.uscc END", None),
                "legal_representative": (f"CASE WHEN {person} THEN '' ELSE coalesce(b.legal_rep, '') END", None),
                "code_valid": ("true", None),
                "code_warnings": ("'[]'::jsonb", None),
                "region_code": (
                    f"CASE WHEN {person} THEN substr(s.{person_id}, 1, 6) ELSE substr(b.uscc, 3, 6) END"
                    if person_id
                    else "substr(b.uscc, 3, 6)",
                    None,
                ),
                "status": ("%s", OperatingStatus.OPERATING),
                "id_number_hash": (f"CASE WHEN {person} THEN b.id_hash ELSE '' END", None),
                "id_number_masked": (f"CASE WHEN {person} THEN {masked} ELSE '' END", None),
                "id_number_encrypted": (f"CASE WHEN {person} THEN {enc} ELSE '' END", None),
            },
            self.now,
        )
        with hash_joins(cursor):
            cursor.execute(
                f"""WITH ins AS (
                        INSERT INTO subjects_subject ({cols})
                        SELECT {exprs} FROM (
                            SELECT DISTINCT ON (b.subject_key) b.* FROM staged_build b
                            WHERE b.chunk = %s AND b.subject_key IS NOT NULL AND NOT b.changed
                              AND NOT EXISTS (SELECT 1 FROM staged_subjects m WHERE m.skey = b.subject_key)
                            ORDER BY b.subject_key, b.n) b
                        JOIN staged_rows s USING (n)
                        RETURNING id, uscc, id_number_hash, id_number_masked, kind)
                    INSERT INTO staged_subjects (skey, sid, public_code)
                    SELECT CASE WHEN kind = %s THEN 'h' || id_number_hash ELSE 'u' || uscc END, id,
                           CASE WHEN uscc <> '' THEN uscc ELSE id_number_masked END FROM ins""",  # noqa: S608
                [*params, chunk, SubjectKind.PERSON],
            )

    def _after_write(self, chunk: int) -> None:
        """The type's ``after_write`` hook (a list entry's overlay row) for the records this segment created,
        in the segment's transaction, as the pipeline calls it for each batch. (Rows that change a record
        on file take the pipeline, which calls it for them.)"""
        after_write = self.ingest.hooks.after_write
        if after_write is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.id FROM staged_build b JOIN records_record r ON r.department_id = %s"
                " AND r.record_type_id = %s AND r.decision_number = b.decision_number"
                " WHERE b.chunk = %s AND b.old_id IS NULL ORDER BY b.n",
                [self.ingest.department.pk, self.ingest.record_type.pk, chunk],
            )
            ids = [record_id for (record_id,) in cursor.fetchall()]
        if ids:
            by_id = Record.objects.select_related("subject", "department", "record_type").in_bulk(ids)
            after_write(records=[by_id[i] for i in ids])
