"""The staged import (apps/records/intake/staged.py) stores exactly what the Python pipeline stores.

One hostile file — every spelling the normaliser accepts, every rule broken
once, duplicates inside the file and against records already on file,
persons, 个体工商户, markup and formula-like text — is imported twice into the
same empty department: once with the staged path off (every row through
``Ingest``), once with it on. Records (every column, decrypted ID numbers),
their history, the per-row submissions with their problems and the subjects
created must be identical.
"""

import datetime
import io
import random

import pytest
import time_machine
from django.db import connection

from apps.catalog.normalise import clean_text
from apps.catalog.spec import TypeSpec
from apps.records.choices import Source
from apps.records.intake.importing import import_table
from apps.records.intake.table import open_table
from apps.records.models import Record, RecordEvent, Submission, SubmissionBatch
from apps.records.services import records_ingest
from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject
from apps.subjects.pii import decrypt

from .factories import penalty_row
from .test_upload_support import FROZEN, as_cells, csv_bytes, labels, xlsx_bytes

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged path is PostgreSQL only")


def _id_number(n: int, birth="19850312", check=True) -> str:
    from stdnum.cn import ric

    body = f"371083{birth}{n % 1000:03d}"
    digit = ric.calc_check_digit(body + "0")
    return body + (digit if check else ("0" if digit != "0" else "1"))


def _uscc_with_org_warning(n: int) -> str:
    from apps.subjects.codes import uscc_check_char

    good = build_uscc("91", "371083", f"MA7W{n:04d}")
    wrong17 = good[:16] + ("0" if good[16] != "0" else "1")
    return wrong17 + uscc_check_char(wrong17)


def hostile_rows(dept, other):
    """(overrides) per row; row n gets document number n unless an override says otherwise."""
    person = {"CF_XDR_LB": "自然人", "CF_XDR_SHXYM": None, "CF_FRDB": None, "CF_XDR_ZJLX": "身份证"}
    uscc = build_uscc("91", "371083", "MA3D0001")
    variants = [
        {},
        {},
        {"CF_WFXW": " 销售不合格产品 ", "CF_SY": "经查，  当事人\t销售的产品\n经抽检不合格。"},
        {"CF_XDR_MC": "乳山市\u3000测试商贸\u200b有限公司"},
        {"CF_XDR_SHXYM": uscc[:5] + "\u200b" + uscc[5:]},
        {"CF_XDR_SHXYM": build_uscc("91", "371083", "MA3D0006").lower()},
        {
            "CF_XDR_SHXYM": " ".join(
                [build_uscc("91", "371083", "MA3D0007")[:9], build_uscc("91", "371083", "MA3D0007")[9:]]
            )
        },
        {"CF_XDR_SHXYM": build_uscc("91", "371083", "MA3D0008")[:-1] + "0"},
        {"CF_XDR_SHXYM": build_uscc("91", "999999", "MA3D0009")},  # region not in the table: a warning
        {"CF_XDR_SHXYM": _uscc_with_org_warning(10)},
        {"CF_JDRQ": "2024/9/27"},
        {"CF_JDRQ": "2024年9月27日"},
        {"CF_JDRQ": "20240927"},
        {"CF_JDRQ": "45562"},
        {"CF_JDRQ": "2024-02-30"},
        {"CF_JDRQ": "2024-13-01"},
        {"CF_JDRQ": "2025-01-01"},  # after FROZEN
        {"CF_XDR_LB": "法人及非法人组织 "},
        {"CF_XDR_LB": "企业"},
        {"CF_CFLB": "罚款；没收违法所得"},
        {"CF_CFLB": "罚款、没收违法所得"},
        {"CF_CFLB": "罚款;罚款"},
        {"CF_CFLB": ";罚款"},
        {"CF_CFLB": "拘役"},
        {"CF_CFLB": "警告", "CF_NR_FK": "0.5"},
        {"CF_CFLB": "警告", "CF_NR_FK": None, "CF_NR_WFFF": None},
        {"CF_CFLB": "通报批评", "CF_NR_FK": None},
        {"CF_CFLB": "罚款", "CF_NR_FK": "0.05", "CF_NR_WFFF": None},
        {"CF_NR_FK": "0.50"},
        {"CF_NR_FK": "012"},
        {"CF_NR_FK": "1万元"},
        {"CF_NR_FK": "-1"},
        {"CF_NR_FK": "1.1234567"},
        {"CF_NR_FK": "1e3"},
        {"CF_NR_FK": "1,000"},
        {"CF_NR_FK": "100"},
        {"CF_NR_FK": "100.000"},
        {"CF_NR_FK": "0"},
        {**person, "CF_XDR_MC": "王秀英", "CF_XDR_ZJHM": _id_number(1)},
        {**person, "CF_XDR_MC": "王秀英", "CF_XDR_ZJHM": _id_number(1)},  # the same person again
        {**person, "CF_XDR_MC": "李强", "CF_XDR_ZJHM": _id_number(2, birth="19900101").lower()},
        {**person, "CF_XDR_MC": "刘洋", "CF_XDR_ZJHM": _id_number(3, check=False)},
        {**person, "CF_XDR_MC": "陈静", "CF_XDR_ZJHM": _id_number(4, birth="20300101")},
        {**person, "CF_XDR_MC": "赵敏", "CF_XDR_ZJLX": "护照号", "CF_XDR_ZJHM": "E12345678"},
        {**person, "CF_XDR_MC": "孙丽"},
        {**person, "CF_XDR_MC": "周杰", "CF_XDR_ZJHM": _id_number(5), "CF_FRDB": "周杰"},
        {"CF_XDR_LB": "个体工商户", "CF_XDR_SHXYM": build_uscc("92", "371083", "MA3D0049")},
        {"CF_XDR_LB": "个体工商户", "CF_XDR_SHXYM": None, "CF_XDR_ZJLX": "身份证", "CF_XDR_ZJHM": _id_number(6)},
        {"CF_XDR_LB": "个体工商户", "CF_XDR_SHXYM": None},
        {"CF_WSH": "乳市监罚〔2024〕900号"},
        {"CF_WSH": "乳市监罚〔2024〕900号"},  # the same number again in the file
        {"CF_WSH": "乳市监罚〔2024〕901号 "},
        {"CF_WSH": "乳市监罚〔2024〕901号"},
        {"n": 1000, "CF_WSH": "乳市监罚〔2024〕1000号"},  # on file with the same content: duplicate
        {"CF_WSH": "乳市监罚〔2024〕1001号"},  # on file with other content: correction
        {"CF_WFXW": "<script>alert('x')</script>", "CF_SY": '=HYPERLINK("http://x","点我")'},
        {"CF_SY": 'a"b\\c，含“引号”与\\反斜杠'},
        {"CF_WSH": "乳市监罚" + "〔2024〕" * 12 + "号"},
        {"CF_SJLYDM": other.uscc},
        {"CF_SY": None},
        {"CF_GSJZQ": "2024-01-01"},
        {"CF_GSJZQ": "2025-06-30"},
        {"CF_YXQ": "长期"},
        {"CF_YXQ": "2099/12/31"},
        {"CF_FR_ZJLX": "身份证", "CF_FR_ZJHM": _id_number(7)},
        {"CF_FR_ZJLX": "身份证", "CF_FR_ZJHM": _id_number(8, check=False)},
        {"CF_XDR_SHXYM": build_uscc("91", "371083", "MA3D0001"), "CF_XDR_MC": "乳山市另一个名称有限公司"},
        {"CF_XDR_ZZJG": "MA3D0001-X", "CF_BZ": "备注" * 300},
        {"CF_XDR_MC": "名" * 201},
    ]
    rng = random.Random(7)
    rows = []
    for n, overrides in enumerate(variants, start=1):
        n = overrides.pop("n", n)
        rows.append(penalty_row(dept, n, **overrides))
    for n in range(len(variants) + 1, len(variants) + 40):  # plain rows in between, in random order
        rows.insert(rng.randrange(len(rows)), penalty_row(dept, n))
    return rows


def _on_file(dept):
    """Two records already stored through the form: one the file repeats, one it corrects."""
    records_ingest(
        record_type="penalty", department=dept, source=Source.FORM, actor_label="表单",
        rows=[(None, penalty_row(dept, 1000, CF_WSH="乳市监罚〔2024〕1000号")),
              (None, penalty_row(dept, 1001, CF_WSH="乳市监罚〔2024〕1001号", CF_WFXW="旧的违法行为"))],
    )  # fmt: skip


def _snapshot(dept):
    def subject(s):
        if s is None:
            return None
        return (s.kind, s.name, s.uscc, s.code_valid, tuple(s.code_warnings), s.legal_representative, s.region_code,
                s.status, s.id_number_hash, s.id_number_masked, decrypt(s.id_number_encrypted) if s.id_number_encrypted else "")  # fmt: skip

    skip = {"id", "created_at", "updated_at", "upload", "subject", "private_data"}
    records = {}
    for r in Record.objects.filter(department=dept).select_related("subject"):
        values = {f.name: getattr(r, f.attname) for f in Record._meta.concrete_fields if f.name not in skip}
        values["private"] = {k: decrypt(v) for k, v in r.private_data.items()}
        values["subject"] = subject(r.subject)
        records[r.decision_number] = values
    events = sorted(
        (e.record.decision_number, e.action, e.actor_label, e.reason, repr(e.before), repr(e.after))
        for e in RecordEvent.objects.filter(record__department=dept).select_related("record")
    )

    # A rejected row's kept raw cells: the staged path keeps them as the text it checked (an Excel number
    # 45562 as "45562", spaces trimmed), which the form reads the same way; the pipeline keeps the
    # reader's value. So they are compared after clean_text, and an ID-number cell (kept as stars
    # only, when it is not a valid number) by being masked at all.
    def kept(value):
        text = clean_text(value)
        return "*" if text and set(text) == {"*"} else text

    submissions = [
        (s.row_number, s.source, s.outcome, s.compliant, s.problems, {k: kept(v) for k, v in s.raw.items()},
         s.record.decision_number if s.record else None)
        for s in Submission.objects.filter(department=dept).select_related("record").order_by("row_number", "pk")
    ]  # fmt: skip
    # Accepted rows keep no submission: the run's batch counts every row (合规率 reads these counts).
    batches = sorted(
        SubmissionBatch.objects.filter(department=dept).values_list(
            "source", "month", "rows", "compliant", "accepted", "updated", "duplicates", "rejected"
        )
    )
    subjects = sorted(map(subject, Subject.objects.all()), key=repr)
    return {"records": records, "events": events, "submissions": submissions, "batches": batches, "subjects": subjects}


def _wipe(dept):
    RecordEvent.objects.filter(record__department=dept).delete()
    Submission.objects.filter(department=dept).delete()
    SubmissionBatch.objects.filter(department=dept).delete()
    Record.objects.filter(department=dept).delete()
    Subject.objects.all().delete()


def _import(data, name, dept, type_code="penalty"):
    table = open_table(io.BytesIO(data), name, TypeSpec.load(type_code))
    table.check()
    return import_table(table, department=dept, source=Source.UPLOAD, actor_label="张三")[0]


def _both_ways(settings, dept, data, name, type_code="penalty"):
    """(counts, rejected rows, snapshot) with the staged path off, then on, from the same start."""
    results = []
    for staged in (False, True):
        settings.IMPORT_STAGED = staged
        _wipe(dept)
        with time_machine.travel(FROZEN, tick=False):
            if type_code == "penalty":
                _on_file(dept)
            progress = _import(data, name, dept, type_code)
        results.append((progress.as_dict(), progress.rejected_rows, _snapshot(dept)))
    return results


def _assert_alike(results):
    (pipeline_counts, pipeline_rejected, pipeline), (staged_counts, staged_rejected, staged) = results
    # Row by row first, so a failure names the row and the part that differs.
    differing = [
        [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        for a, b in zip(pipeline["submissions"], staged["submissions"], strict=False)
        if a != b
    ]
    assert differing == []
    assert (staged_counts, staged_rejected) == (pipeline_counts, pipeline_rejected)
    assert staged["records"].keys() == pipeline["records"].keys()
    for number, values in pipeline["records"].items():
        assert staged["records"][number] == values, number
    assert staged == pipeline
    return pipeline_counts


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("segment", [10_000, 7], ids=["one-segment", "segments-of-7"])
def test_the_staged_path_stores_exactly_what_the_pipeline_stores(settings, dept_a, dept_b, kind, segment, caplog):
    """With segments of 7 rows, duplicates and repeated subjects fall in different segments."""
    import logging

    settings.IMPORT_STAGED_CHUNK_ROWS = segment
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    rows = [as_cells(row) for row in hostile_rows(dept_a, dept_b)]
    data = csv_bytes([labels(), *rows]) if kind == "csv" else xlsx_bytes([labels(), *rows])
    pipeline_counts = _assert_alike(_both_ways(settings, dept_a, data, f"a.{kind}"))
    # The file really exercised both outcomes and both paths.
    assert pipeline_counts["rejected"] > 20 and pipeline_counts["accepted"] > 60 and pipeline_counts["duplicates"] == 1
    stored = int(caplog.text.split("staged import: ")[1].split(" stored")[0])
    assert stored > 50, "most clean rows should have taken the staged path"


@pytest.mark.django_db
def test_typed_xlsx_cells_read_alike_on_both_paths(settings, dept_a, dept_b):
    """Numbers and dates as Excel stores them: serial dates, float amounts, datetime cells, a six-digit serial."""
    typed = [
        penalty_row(dept_a, 1, CF_JDRQ=datetime.date(2024, 9, 27), CF_NR_FK=0.5, CF_NR_WFFF=0.12),
        penalty_row(dept_a, 2, CF_JDRQ=datetime.datetime(2024, 9, 27, 15, 30), CF_NR_FK=12.0),
        penalty_row(dept_a, 3, CF_JDRQ=45562, CF_NR_FK=1e-7),
        penalty_row(dept_a, 4, CF_JDRQ=45562.75),
        penalty_row(dept_a, 5, CF_JDRQ=100000),
        penalty_row(dept_a, 6, CF_JDRQ=True),
        penalty_row(dept_a, 7, CF_WSH=123456, CF_SY=3.5),
        penalty_row(dept_a, 8, CF_XDR_ZZJG=12345678901234567),
    ]
    data = xlsx_bytes([labels(), *[as_cells(row) for row in typed]])
    _assert_alike(_both_ways(settings, dept_a, data, "typed.xlsx"))


@pytest.mark.django_db
def test_staged_path_is_taken_and_re_uploading_the_file_changes_nothing(settings, dept_a, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    data = csv_bytes([labels(), *[as_cells(penalty_row(dept_a, n)) for n in range(1, 51)]])
    with time_machine.travel(FROZEN, tick=False):
        first = _import(data, "a.csv", dept_a)
        second = _import(data, "a.csv", dept_a)
    assert "staged import: 50 stored" in caplog.text and "staged import: 0 stored, 50 duplicates" in caplog.text
    assert first.as_dict() == {"accepted": 50, "rejected": 0, "duplicates": 0}
    assert second.as_dict() == {"accepted": 0, "rejected": 0, "duplicates": 50}
    assert Record.objects.filter(department=dept_a).count() == 50
    assert Subject.objects.count() == 50


def _generic_row(spec, dept, n, rng):
    """A valid-looking row of any catalog type, then one field (sometimes two) given a hostile value."""
    from apps.catalog.choices import FieldType, Role

    row = {}
    for f in spec.fields:
        kind = f.field_type
        if kind == FieldType.TEXT:
            value = f"{f.label}{n}"[: f.max_length or 200]
        elif kind in (FieldType.DATE, FieldType.OPEN_DATE):
            value = {Role.VALID_TO: "2029-09-26", Role.PUBLICITY_END: None}.get(f.role, "2024-09-27")
        elif kind == FieldType.DECIMAL:
            value = "1.5"
        elif kind == FieldType.ENUM:
            value = f.choices[0] if f.choices else None
        elif kind == FieldType.MULTI_ENUM:
            value = f.choices[0] if f.choices else None
        elif kind == FieldType.USCC:
            value = build_uscc("91", "371083", f"MA{n:06d}") if f.role == Role.SUBJECT_USCC else dept.uscc
        else:
            value = None
        if value is not None:
            row[f.code] = value
    hostile = [
        None, "", "  ", " 带空格 ", "全角１２３", "ＡＢＣ", "2024/9/27", "2024年9月27日", "20240927", "45562",
        "2024-02-30", "长期", "2099/12/31", "-1", "0.50", "1万元", "1e3", "x" * 300, "<b>粗体</b>", "=1+1",
        "法人及非法人组织", "自然人", "个体工商户", "身份证", _id_number(n), dept.uscc,
        build_uscc("91", "371083", f"MB{n:06d}").lower(), "2030-01-01",
    ]  # fmt: skip
    for _ in range(rng.choice([0, 1, 1, 2])):
        field = rng.choice(spec.fields)
        value = rng.choice(hostile)
        if value is None:
            row.pop(field.code, None)
        else:
            row[field.code] = value
    return row


@pytest.mark.django_db
@pytest.mark.parametrize(
    "type_code",
    [
        "license", "enforcement", "confirmation", "levy", "payment", "adjudication", "compensation", "reward",
        "inspection", "social_security", "tax_payment", "housing_fund", "water", "electricity", "gas", "logistics",
        "intellectual_property", "real_estate", "rnd", "qualification", "contract_performance", "public_interest",
        "commitment_breach",
    ],
)  # fmt: skip
def test_every_catalog_type_stores_alike_both_ways(settings, dept_a, type_code):
    from apps.catalog.models import RecordType

    settings.IMPORT_STAGED_CHUNK_ROWS = 13

    record_type = RecordType.objects.select_related("power").get(code=type_code)
    spec = TypeSpec.load(record_type)
    rng = random.Random(type_code)
    rows = [_generic_row(spec, dept_a, n, rng) for n in range(1, 61)]
    data = csv_bytes([[f.label for f in spec.fields], *[[row.get(f.code) for f in spec.fields] for row in rows]])
    assert _assert_alike(_both_ways(settings, dept_a, data, "a.csv", type_code))["accepted"] > 0
