"""Two uploads of the same rows at once end in one state: each row stored once, the other upload's rows duplicates.

On PostgreSQL the writing transactions of one department and type take an
advisory lock (``services.intake_lock``), so the second waits and then sees
what the first committed; a batch that still hits the unique constraint is
retried once (the Python pipeline's own safety net, tested with a forced
conflict).
"""

import io
import threading

import pytest
import time_machine
from django.db import IntegrityError, connection

from apps.catalog.spec import TypeSpec
from apps.records import services
from apps.records.choices import Source
from apps.records.intake.importing import import_table
from apps.records.intake.table import open_table
from apps.records.models import Record, Submission, SubmissionBatch
from apps.subjects.models import Subject

from .upload_support import FROZEN, csv_bytes, labels, penalty_cells


def table(data):
    return open_table(io.BytesIO(data), "a.csv", TypeSpec.load("penalty"))


@pytest.mark.django_db
def test_a_batch_that_hits_the_unique_constraint_is_retried_once(dept_a, monkeypatch, settings):
    settings.IMPORT_STAGED = False  # the pipeline's own retry; the staged path is tested below
    data = csv_bytes([labels()] + [penalty_cells(dept_a, n) for n in range(1, 4)] + [penalty_cells(dept_a, 1)])
    real = services.bulk_insert
    calls = []

    def lose_the_race_once(model, objs, **kwargs):
        if model is Record:
            calls.append(len(objs))
            if len(calls) == 1:
                raise IntegrityError('duplicate key value violates unique constraint "record_natural_key"')
        return real(model, objs, **kwargs)

    monkeypatch.setattr(services, "bulk_insert", lose_the_race_once)
    with time_machine.travel(FROZEN, tick=False):
        progress, _ = import_table(table(data), department=dept_a, source=Source.COMMAND)
    assert calls == [3, 3]
    # The retry starts from the file-level duplicate check as it was: row 5 is still "the same as row 2".
    assert progress.as_dict() == {"accepted": 3, "rejected": 1, "duplicates": 0}
    assert "第2行" in str(progress.rejected_rows)
    # The failed attempt left nothing behind: one batch of 4 rows, the rejected one kept.
    assert list(SubmissionBatch.objects.values_list("rows", "accepted", "rejected")) == [(4, 3, 1)]
    assert Submission.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("staged", [True, False], ids=["staged", "pipeline"])
def test_concurrent_uploads_of_the_same_file_end_in_the_same_state(dept_a, settings, staged):
    settings.IMPORT_STAGED = staged
    rows = 30
    data = csv_bytes([labels()] + [penalty_cells(dept_a, n) for n in range(1, rows + 1)])
    start = threading.Barrier(2, timeout=20)
    results, errors = [], []

    def run():
        try:
            start.wait()
            with time_machine.travel(FROZEN, tick=False):
                results.append(import_table(table(data), department=dept_a, source=Source.COMMAND)[0].as_dict())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results, key=lambda r: r["accepted"]) == [
        {"accepted": 0, "rejected": 0, "duplicates": rows},
        {"accepted": rows, "rejected": 0, "duplicates": 0},
    ]
    assert Record.objects.count() == rows
    assert Subject.objects.count() == rows
    assert sorted(SubmissionBatch.objects.values_list("rows", "accepted", "duplicates")) == [
        (rows, 0, rows),
        (rows, rows, 0),
    ]
    assert not Submission.objects.exists()
