"""失信行为严重程度 per row on every intake path, with the same stored result whichever path took the row.

The same rows — stated 严重, stated 轻微, left empty (derived by the rule table) — on both sides of
2026-04-01 (the day 令2025年第36号 replaced 令第58号) go through the web form, an upload through the
Python pipeline, the staged (SQL) import, ``import_records`` and the batch API. Severity, whether it was
stated or derived, and the publicity window must be identical, and equal to what the rules say.
"""

import datetime
import io
import json
import logging
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from apps.catalog.spec import TypeSpec
from apps.records.choices import Severity, SeveritySource, Source
from apps.records.intake.importing import import_table
from apps.records.intake.table import open_table
from apps.records.models import Record, RecordEvent, Submission
from apps.subjects.models import Subject

from .factories import penalty_row
from .upload_support import as_cells, csv_bytes, labels

pytestmark = pytest.mark.django_db

FROZEN = datetime.datetime(2026, 6, 1, 2, 0, tzinfo=datetime.UTC)
OLD, NEW = "2026-03-31", "2026-04-01"  # the last day of 令第58号, the first of 令2025年第36号
D = datetime.date
WARNING_ONLY = {"CF_CFLB": "警告", "CF_NR": "警告。", "CF_NR_FK": None, "CF_NR_WFFF": None}

# (document number, row overrides, expected (severity, source, is_publicised, publicity_min_end, publicity_end))
CASES = [
    (1, {"CF_JDRQ": NEW, "CF_SXYZCD": "严重"}, ("serious", "stated", True, D(2027, 4, 1), D(2029, 4, 1))),
    (2, {"CF_JDRQ": NEW, "CF_SXYZCD": "轻微", **WARNING_ONLY}, ("minor", "stated", False, None, None)),
    (3, {"CF_JDRQ": NEW, **WARNING_ONLY}, ("minor", "derived", False, None, None)),
    (4, {"CF_JDRQ": NEW}, ("general", "derived", True, D(2026, 7, 1), D(2027, 4, 1))),
    (5, {"CF_JDRQ": OLD, **WARNING_ONLY}, ("general", "derived", False, None, None)),
    (6, {"CF_JDRQ": OLD, "CF_SXYZCD": "严重", **WARNING_ONLY}, ("serious", "stated", False, None, None)),
    (7, {"CF_JDRQ": OLD, "CF_SXYZCD": "严重"}, ("serious", "stated", True, D(2027, 3, 31), D(2029, 3, 31))),
    (
        8,
        {"CF_JDRQ": NEW, "CF_SXYZCD": "严重", **WARNING_ONLY, "CF_CFLB": "警告;通报批评"},
        ("serious", "stated", True, D(2027, 4, 1), D(2029, 4, 1)),
    ),
    # 令第58号 had no 轻微 category: a stated 轻微 keeps its label and takes 一般's periods.
    (9, {"CF_JDRQ": OLD, "CF_SXYZCD": "轻微"}, ("minor", "stated", True, D(2026, 6, 30), D(2027, 3, 31))),
    (10, {"CF_JDRQ": OLD}, ("general", "derived", True, D(2026, 6, 30), D(2027, 3, 31))),
]
EXPECTED = {f"乳市监罚〔2026〕{n}号": expected for n, _, expected in CASES}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def rows(dept):
    return [penalty_row(dept, n, CF_WSH=f"乳市监罚〔2026〕{n}号", **overrides) for n, overrides, _ in CASES]


def snapshot(dept):
    return {
        r.decision_number: (r.severity, r.severity_source, r.is_publicised, r.publicity_min_end, r.publicity_end)
        for r in Record.objects.filter(department=dept)
    }


def wipe(dept):
    RecordEvent.objects.filter(record__department=dept).delete()
    Submission.objects.filter(department=dept).delete()
    Record.objects.filter(department=dept).delete()
    Subject.objects.all().delete()


def via_form(dept, client):
    for row in rows(dept):
        data = {**row, "CF_CFLB": row["CF_CFLB"].split(";"), "submit": ""}
        response = client.post(reverse("records:create", args=["penalty"]), data)
        assert response.status_code == 302, response.content.decode()[:2000]


def via_upload(dept, settings, caplog, staged):
    settings.IMPORT_STAGED = staged
    data = csv_bytes([labels(), *[as_cells(row) for row in rows(dept)]])
    table = open_table(io.BytesIO(data), "处罚.csv", TypeSpec.load("penalty"))
    table.check()
    caplog.clear()
    progress = import_table(table, department=dept, source=Source.UPLOAD, actor_label="张三")[0]
    assert progress.as_dict() == {"accepted": len(CASES), "rejected": 0, "duplicates": 0}
    stored_here = "staged import: 10 stored" in caplog.text
    assert stored_here == staged, "the test must really take the path it names"


def via_command(dept, tmp_path):
    path = tmp_path / "处罚.csv"
    path.write_bytes(csv_bytes([labels(), *[as_cells(row) for row in rows(dept)]]))
    out = StringIO()
    call_command(
        "import_records", str(path), "--type", "penalty", "--department", dept.code, stdout=out, stderr=StringIO()
    )
    assert json.loads(out.getvalue().splitlines()[-1]) == {"accepted": len(CASES), "rejected": 0, "duplicates": 0}


def via_api(dept, client):
    response = client.post(
        "/api/v1/records/penalty/batch/", json.dumps({"records": rows(dept)}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == {"accepted": len(CASES), "rejected": 0, "duplicates": 0}


def test_the_same_rows_give_the_same_severity_and_publicity_on_all_five_paths(
    settings, caplog, tmp_path, dept_a, clerk_a, client_for
):
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    client = client_for(clerk_a)
    paths = {
        "form": lambda: via_form(dept_a, client),
        "upload (pipeline)": lambda: via_upload(dept_a, settings, caplog, staged=False),
        "upload (staged SQL)": lambda: via_upload(dept_a, settings, caplog, staged=True),
        "import_records": lambda: via_command(dept_a, tmp_path),
        "batch API": lambda: via_api(dept_a, client),
    }
    stored = {}
    for name, run in paths.items():
        wipe(dept_a)
        run()
        stored[name] = snapshot(dept_a)
    for name, result in stored.items():
        assert result == EXPECTED, name


def test_api_takes_the_severity_key_in_english_and_the_header_with_失信(dept_a, clerk_a, client_for):
    records = [
        {**penalty_row(dept_a, 1, CF_JDRQ=NEW), "severity": "serious"},
        {**penalty_row(dept_a, 2, CF_JDRQ=NEW, **WARNING_ONLY), "severity": "minor"},
        {**penalty_row(dept_a, 3, CF_JDRQ=NEW), "失信行为严重程度": "一般失信"},
        {**penalty_row(dept_a, 4, CF_JDRQ=NEW), "severity": "General"},
    ]
    response = client_for(clerk_a).post(
        "/api/v1/records/penalty/batch/", json.dumps({"records": records}), content_type="application/json"
    )
    assert response.json()["summary"]["accepted"] == 4
    got = {r.decision_number: (r.severity, r.severity_source, r.data.get("CF_SXYZCD")) for r in Record.objects.all()}
    assert got == {
        "乳市监罚〔2024〕1号": (Severity.SERIOUS, SeveritySource.STATED, "严重"),
        "乳市监罚〔2024〕2号": (Severity.MINOR, SeveritySource.STATED, "轻微"),
        "乳市监罚〔2024〕3号": (Severity.GENERAL, SeveritySource.STATED, "一般"),
        "乳市监罚〔2024〕4号": (Severity.GENERAL, SeveritySource.STATED, "一般"),
    }


def test_upload_accepts_the_words_with_失信_and_reports_an_invalid_value_as_a_chinese_row_error(settings, dept_a):
    settings.IMPORT_STAGED = True
    data = csv_bytes(
        [
            labels(),
            as_cells(penalty_row(dept_a, 1, CF_JDRQ=NEW, CF_SXYZCD="严重失信")),
            as_cells(penalty_row(dept_a, 2, CF_JDRQ=NEW, CF_SXYZCD="很严重")),
            as_cells(penalty_row(dept_a, 3, CF_JDRQ=NEW, CF_SXYZCD="轻微失信", **WARNING_ONLY)),
            as_cells(penalty_row(dept_a, 4, CF_JDRQ=NEW, CF_SXYZCD="serous")),
        ]
    )
    table = open_table(io.BytesIO(data), "处罚.csv", TypeSpec.load("penalty"))
    table.check()
    progress = import_table(table, department=dept_a, source=Source.UPLOAD)[0]
    assert progress.as_dict() == {"accepted": 2, "rejected": 2, "duplicates": 0}
    assert [(r["row"], [(p["label"], p["message"]) for p in r["problems"]]) for r in progress.rejected_rows] == [
        (
            row,
            [
                (
                    "失信行为严重程度",
                    f"“{value}”不是有效的失信行为严重程度，应填写轻微、一般、严重"
                    "（也可写作轻微失信、一般失信、严重失信），不确定的可不填，由平台按规则认定",
                )
            ],
        )
        for row, value in [(3, "很严重"), (5, "serous")]
    ]
    stored = dict(Record.objects.values_list("decision_number", "severity"))
    assert stored == {"乳市监罚〔2024〕1号": "serious", "乳市监罚〔2024〕3号": "minor"}


def test_the_template_download_and_the_form_carry_the_column(client_for, clerk_a):
    assert "失信行为严重程度" in labels()
    page = client_for(clerk_a).get(reverse("records:create", args=["penalty"])).content.decode()
    assert "失信行为严重程度" in page and 'name="CF_SXYZCD"' in page and "_severity" not in page
    licence = TypeSpec.load("license")
    assert licence.field_code("severity") is None  # other types have no severity column and ignore it


def test_a_correction_states_or_keeps_deriving_and_the_edit_form_shows_what_was_stated(dept_a, clerk_a, client_for):
    from apps.records.services import records_ingest

    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a, 1, CF_JDRQ=NEW))])
    record = Record.objects.get()
    assert (record.severity, record.severity_source) == ("general", "derived")
    client = client_for(clerk_a)
    form = client.get(reverse("records:edit", args=[record.pk])).content.decode()
    assert '<option value="严重" selected>' not in form and '<option value="一般" selected>' not in form

    row = penalty_row(dept_a, 1, CF_JDRQ=NEW, CF_SXYZCD="严重")
    data = {**row, "CF_CFLB": row["CF_CFLB"].split(";"), "_reason": "补充失信行为严重程度"}
    assert client.post(reverse("records:edit", args=[record.pk]), data).status_code == 302
    record.refresh_from_db()
    assert (record.severity, record.severity_source, record.publicity_end) == ("serious", "stated", D(2029, 4, 1))
    form = client.get(reverse("records:edit", args=[record.pk])).content.decode()
    assert '<option value="严重" selected>' in form
