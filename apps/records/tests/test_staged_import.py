"""The staged import (apps/records/intake/staged.py) stores exactly what the Python pipeline stores.

One hostile file — every spelling the normaliser accepts, every rule broken
once, duplicates inside the file and against records already on file,
persons, 个体工商户, markup and formula-like text — is imported twice into the
same empty department: once with the staged path off (every row through
``Ingest``), once with it on. Records (every column, decrypted ID numbers),
their history, the per-row submissions with their problems, the subjects
created (and a list entry's overlay row) must be identical.

Every record type of the catalog gets the same treatment with hand-made rows,
a row for every choice of every choice field, and rows Hypothesis generates
(bounded and derandomised), and the staged path must have stored some of them
itself. A rule written in Python only makes the staged path decline the type.
"""

import datetime
import io
import logging
import random

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.catalog import rules
from apps.catalog.choices import FieldType, Role
from apps.catalog.normalise import clean_text
from apps.catalog.rules import ID_CARD, INDIVIDUAL_BUSINESS_KIND, LEGAL_KIND, PERSON_KIND, Rule, condition_holds
from apps.catalog.spec import TypeSpec
from apps.lists.models import ListEntry, ListType
from apps.records.choices import Source
from apps.records.intake.importing import import_table
from apps.records.intake.table import open_table
from apps.records.models import Record, RecordEvent, Submission, SubmissionBatch
from apps.records.services import records_ingest
from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject
from apps.subjects.pii import decrypt

from .factories import penalty_row
from .upload_support import FROZEN, as_cells, csv_bytes, labels, xlsx_bytes

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
        record_type="penalty",
        department=dept,
        source=Source.FORM,
        actor_label="表单",
        rows=[
            (None, penalty_row(dept, 1000, CF_WSH="乳市监罚〔2024〕1000号")),
            (None, penalty_row(dept, 1001, CF_WSH="乳市监罚〔2024〕1001号", CF_WFXW="旧的违法行为")),
        ],
    )


def _snapshot(dept):
    def subject(s):
        if s is None:
            return None
        return (
            s.kind,
            s.name,
            s.uscc,
            s.code_valid,
            tuple(s.code_warnings),
            s.legal_representative,
            s.region_code,
            s.status,
            s.id_number_hash,
            s.id_number_masked,
            decrypt(s.id_number_encrypted) if s.id_number_encrypted else "",
        )

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
    # only, when it is not a valid number) by being masked at all. A cell that is blank after clean_text
    # (only a zero-width space) is absent on the staged side and "" on the other ("*" in an ID-number
    # column, masked): both reopen as an empty box, so neither is compared. (An unmasked number kept on
    # either side would still differ.)
    def kept(value):
        text = clean_text(value)
        return "*" if text and set(text) == {"*"} else text

    submissions = [
        (
            s.row_number,
            s.source,
            s.outcome,
            s.compliant,
            s.problems,
            {k: kept(v) for k, v in s.raw.items() if kept(v) not in ("", "*")},
            s.record.decision_number if s.record else None,
        )
        for s in Submission.objects.filter(department=dept).select_related("record").order_by("row_number", "pk")
    ]
    # Accepted rows keep no submission: the run's batch counts every row (合规率 reads these counts).
    batches = sorted(
        SubmissionBatch.objects.filter(department=dept).values_list(
            "source", "month", "rows", "compliant", "accepted", "updated", "duplicates", "rejected"
        )
    )
    subjects = sorted(map(subject, Subject.objects.all()), key=repr)
    # A list entry's overlay row (written by the type's after_write hook, on either path).
    entries = sorted(
        (
            e.record.decision_number,
            e.list_type.name,
            subject(e.subject),
            e.recognised_on,
            e.valid_until,
            e.state,
            e.legal_representative,
        )
        for e in ListEntry.objects.filter(department=dept).select_related("record", "list_type", "subject")
    )
    return {
        "records": records,
        "events": events,
        "submissions": submissions,
        "batches": batches,
        "subjects": subjects,
        "entries": entries,
    }


def _import(data, name, dept, type_code="penalty"):
    table = open_table(io.BytesIO(data), name, TypeSpec.load(type_code))
    table.check()
    return import_table(table, department=dept, source=Source.UPLOAD, actor_label="张三")[0]


def _both_ways(settings, dept, data, name, type_code="penalty"):
    """(counts, rejected rows, snapshot) with the staged path off, then on, from the same start."""
    results = []
    for staged in (False, True):
        settings.IMPORT_STAGED = staged
        # Each run in a savepoint rolled back after its snapshot: the next starts from the same state
        # (and far faster than deleting what the run stored, row by row with its audit log).
        with transaction.atomic():
            with time_machine.travel(FROZEN, tick=False):
                if type_code == "penalty":
                    _on_file(dept)
                progress = _import(data, name, dept, type_code)
            results.append((progress.as_dict(), progress.rejected_rows, _snapshot(dept)))
            transaction.set_rollback(True)
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
    row = _valid_row(spec, dept, n)
    hostile = [
        None,
        "",
        "  ",
        " 带空格 ",
        "全角１２３",
        "ＡＢＣ",
        "2024/9/27",
        "2024年9月27日",
        "20240927",
        "45562",
        "2024-02-30",
        "长期",
        "2099/12/31",
        "-1",
        "0.50",
        "1万元",
        "1e3",
        "x" * 300,
        "<b>粗体</b>",
        "=1+1",
        "法人及非法人组织",
        "自然人",
        "个体工商户",
        "身份证",
        _id_number(n),
        dept.uscc,
        build_uscc("91", "371083", f"MB{n:06d}").lower(),
        "2030-01-01",
    ]
    for _ in range(rng.choice([0, 1, 1, 2])):
        field = rng.choice(spec.fields)
        value = rng.choice(hostile)
        if value is None:
            row.pop(field.code, None)
        else:
            row[field.code] = value
    return row


def _every_choice_rows(spec, dept, first_n):
    """A valid row (of a legal person or a natural person, in turn) with each choice of each choice field:
    rules that turn on a choice (a list the department may not recognise, another 证件类型…) meet every one."""
    rows = []
    for f in spec.fields:
        for choice in f.choices or [] if f.field_type in (FieldType.ENUM, FieldType.MULTI_ENUM) else []:
            row = _valid_row(spec, dept, first_n + len(rows), (LEGAL_KIND, PERSON_KIND)[len(rows) % 2])
            row[f.code] = choice
            rows.append(row)
    return rows


def _valid_row(spec, dept, n, subject_kind=LEGAL_KIND):
    """A row of any catalog type that every rule accepts (decided on 2024-09-27), of a legal person, a natural
    person (resident ID card) or a 个体工商户."""
    row = {}
    for f in spec.fields:
        kind = f.field_type
        if kind == FieldType.TEXT:
            value = f"{f.label}{n}"[: f.max_length or 200]
        elif kind in (FieldType.DATE, FieldType.OPEN_DATE):
            value = {Role.VALID_TO: "2029-09-26", Role.PUBLICITY_END: None}.get(f.role, "2024-09-27")
        elif kind == FieldType.DECIMAL:
            value = "1.5"
        elif kind in (FieldType.ENUM, FieldType.MULTI_ENUM):
            value = f.choices[0] if f.choices else None
            if f.role == Role.PENALTY_KINDS and "罚款" in f.choices:
                value = "罚款"  # the row has a fine amount
        elif kind == FieldType.USCC:
            value = build_uscc("91", "371083", f"MA{n:06d}") if f.role == Role.SUBJECT_USCC else dept.uscc
        else:
            value = None
        if value is not None:
            row[f.code] = value
    kind_field = spec.by_role.get(Role.SUBJECT_KIND)
    if kind_field is None or subject_kind == LEGAL_KIND or subject_kind not in kind_field.choices:
        return row
    row[kind_field.code] = subject_kind
    if subject_kind == PERSON_KIND:
        for f in spec.fields:
            if condition_holds(f.forbidden_when, row):
                row.pop(f.code, None)
        for role, value in ((Role.PERSON_ID_TYPE, ID_CARD), (Role.PERSON_ID, _id_number(n))):
            if role in spec.by_role:
                row[spec.by_role[role].code] = value
    elif Role.SUBJECT_USCC in spec.by_role:
        row[spec.by_role[Role.SUBJECT_USCC].code] = build_uscc("92", "371083", f"MA{n:06d}")
    return row


# --- generated hostile cells (Hypothesis): per field type, valid values mixed with every kind of breakage ---


def _cells_for(f, dept, other) -> st.SearchStrategy:
    """A cell of field ``f``: ``None`` is a blank cell. Valid spellings, the ones the pipeline normalises, and
    broken ones, so both the staged path's SQL and its hand-over to the pipeline are exercised."""
    blank = st.sampled_from([None, "", "  ", "\u200b"])
    noisy = st.sampled_from([" {} ", "{}\u3000", "\u200b{}", "{}\n"])
    kind = f.field_type
    if kind in (FieldType.ENUM, FieldType.MULTI_ENUM):
        choices = list(f.choices or ["—"])
        one = st.sampled_from(choices)
        valid = (
            one
            if kind == FieldType.ENUM
            else st.lists(one, min_size=1, max_size=3).flatmap(
                lambda parts: st.sampled_from(["；", "、", ";", ",", "，"]).map(lambda sep: sep.join(parts))
            )
        )
        broken = st.sampled_from(["企业", "其他", "罚款；拘役", ";罚款", "严重失信", "serious", "轻微", "ＡＢＣ"])
        cell = st.one_of(valid, valid, st.tuples(noisy, one).map(lambda t: t[0].format(t[1])), broken)
    elif kind in (FieldType.DATE, FieldType.OPEN_DATE):
        day = st.dates(datetime.date(2019, 1, 1), datetime.date(2026, 12, 31))
        cell = st.one_of(
            day.map(datetime.date.isoformat),
            day.map(lambda d: f"{d.year}/{d.month}/{d.day}"),
            day.map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
            day.map(lambda d: d.strftime("%Y%m%d")),
            st.integers(43000, 46500).map(str),  # Excel serials
            st.sampled_from(["长期", "2099/12/31", "2024-02-30", "2024-13-01", "昨天", "2024-9-27 10:00", "0"]),
        )
    elif kind == FieldType.DECIMAL:
        cell = st.one_of(
            st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str),
            st.sampled_from(["0", "0.50", "012", "-1", "1万元", "1e3", "1,000", "1.1234567", "100.000", "１２", "."]),
        )
    elif kind == FieldType.USCC:
        org = st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)
        good = org.map(lambda body: build_uscc("91", "371083", body))
        cell = st.one_of(
            good,
            st.sampled_from([dept.uscc, other.uscc]),
            good.map(str.lower),
            good.map(lambda c: c[:9] + " " + c[9:]),
            good.map(lambda c: c[:-1] + ("0" if c[-1] != "0" else "1")),  # wrong check character
            org.map(lambda body: build_uscc("91", "999999", body)),  # unknown region: a warning
            st.just(_uscc_with_org_warning(3)),
            st.sampled_from(["91371083MA3D", "不详"]),
        )
    elif kind == FieldType.ID_NUMBER:
        serial = st.integers(0, 999)
        cell = st.one_of(
            serial.map(_id_number),
            serial.map(
                lambda n: (
                    _id_number(n, birth="19900101").lower()
                    if _id_number(n, "19900101")[-1] == "X"
                    else _id_number(n, "19900101")
                )
            ),
            serial.map(lambda n: _id_number(n, check=False)),
            serial.map(lambda n: _id_number(n, birth="20300101")),
            st.sampled_from(["E12345678", "371083198503120"]),
        )
    else:
        limit = f.max_length or 200
        word = st.text(st.characters(codec="utf-8", categories=("Lo", "Nd", "Lu", "Ll", "Po", "Zs")), max_size=12)
        cell = st.one_of(
            word,
            st.sampled_from(["乳山市某某有限公司", "王秀英", "<b>粗体</b>", '=HYPERLINK("http://x")', 'a"b\\c']),
            st.just("长" * (limit + 1)),
            st.just("联系电话13812345678"),
            st.just(f"身份证{_id_number(9)}"),
            st.tuples(noisy, st.just("名称")).map(lambda t: t[0].format(t[1])),
        )
    return st.one_of(blank, cell)


def _hostile_rows(spec, dept, other, first_n):
    """Rows of a legal person, a natural person or a 个体工商户, valid but for one to three cells, each drawn
    from its field type's hostile cells; a document number sometimes repeats one drawn before."""
    cells = {f.code: _cells_for(f, dept, other) for f in spec.fields}
    number = spec.field_code(Role.DECISION_NUMBER)
    cells[number] = st.one_of(cells[number], st.sampled_from(["重复文书号1", "重复文书号2"]))
    overrides = st.lists(st.sampled_from(list(cells)), min_size=1, max_size=3, unique=True).flatmap(
        lambda codes: st.fixed_dictionaries({code: cells[code] for code in codes})
    )

    def row(n, kind, changes):
        base = _valid_row(spec, dept, n, kind)
        for code, value in changes.items():
            if value is None:
                base.pop(code, None)
            else:
                base[code] = value
        return base

    kinds = st.sampled_from([LEGAL_KIND, PERSON_KIND, INDIVIDUAL_BUSINESS_KIND])
    return st.lists(st.tuples(kinds, overrides), min_size=8, max_size=16).map(
        lambda drawn: [row(first_n + i, kind, changes) for i, (kind, changes) in enumerate(drawn)]
    )


def _staged_stored(caplog) -> int:
    """Rows the staged path stored in the last run, from its log line (0 when it declined)."""
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("staged import: ")]
    return int(lines[-1].split("staged import: ")[1].split(" stored")[0]) if lines else 0


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_catalog_type_stores_alike_both_ways(settings, dept_a, dept_b, caplog, data):
    """Every record type of the catalog (read from it, list entries included), hand-made and generated
    hostile rows: the staged path stores what the pipeline stores — and does store rows itself."""
    from apps.catalog.models import RecordType

    settings.IMPORT_STAGED_CHUNK_ROWS = 13
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    types = list(RecordType.objects.select_related("power").order_by("code"))
    assert len(types) >= 25 and "list_entry" in {t.code for t in types}
    for record_type in types:
        spec = TypeSpec.load(record_type)
        if Role.LIST_TYPE in spec.by_role:
            # The department recognises the type's first list (the valid rows' choice), not the others.
            ListType.objects.get(name=spec.by_role[Role.LIST_TYPE].choices[0]).recognisers.add(dept_a)
        rng = random.Random(record_type.code)
        rows = [_generic_row(spec, dept_a, n, rng) for n in range(1, 21)]
        rows += _every_choice_rows(spec, dept_a, first_n=21)
        rows += data.draw(_hostile_rows(spec, dept_a, dept_b, first_n=len(rows) + 1), label=record_type.code)
        csv_data = csv_bytes(
            [[f.label for f in spec.fields], *[[row.get(f.code) for f in spec.fields] for row in rows]]
        )
        caplog.clear()
        counts = _assert_alike(_both_ways(settings, dept_a, csv_data, "a.csv", record_type.code))
        assert counts["accepted"] > 0, record_type.code
        assert _staged_stored(caplog) > 0, f"{record_type.code}: the staged path stored nothing"


# --- a rule written in Python only --------------------------------------------------------------------------


class _NotOnSunday(Rule):
    """A rule a later change might add in Python only (no SQL form)."""

    @classmethod
    def applies(cls, spec):
        return Role.DECISION_DATE in spec.by_role

    def check(self, row, ctx):
        f = self.role(Role.DECISION_DATE)
        day = row.values.get(f.code)
        if day and day.isoweekday() == 7:
            return self.problem(f, "决定日期不能是星期日")
        return None


class _NotOnSundayInSql(_NotOnSunday):
    def sql(self, plan, ctx):
        return f"coalesce(extract(isodow FROM {plan.value(self.role(Role.DECISION_DATE))}) <> 7, true)", []


@pytest.mark.django_db
@pytest.mark.parametrize("rule", [_NotOnSunday, _NotOnSundayInSql])
def test_a_rule_without_sql_form_sends_the_rows_through_the_pipeline(settings, dept_a, caplog, rule):
    """A Python-only rule makes the staged path decline the type (its rows take the pipeline, which applies
    the rule); the same rule with an SQL form keeps the staged path, with the same outcome."""
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    rules.register("penalty", rule)
    try:
        rows = [penalty_row(dept_a, n, CF_JDRQ="2024-09-29" if n % 3 == 0 else "2024-09-27") for n in range(1, 31)]
        data = csv_bytes([labels(), *[as_cells(row) for row in rows]])
        caplog.clear()
        results = _both_ways(settings, dept_a, data, "a.csv")
        counts = _assert_alike(results)
        assert counts == {"accepted": 20, "rejected": 10, "duplicates": 0}
        problems = {tuple(s[4]) for s in results[1][2]["submissions"] if s[2] == "rejected"}
        assert problems == {(f"{TypeSpec.load('penalty').by_role[Role.DECISION_DATE].label}：决定日期不能是星期日",)}
        declined = "staged import declined for penalty: rule _NotOnSunday has no SQL form" in caplog.text
        assert declined == (rule is _NotOnSunday)
        assert _staged_stored(caplog) == (0 if rule is _NotOnSunday else 20)
    finally:
        rules.unregister("penalty", rule)
    assert "_NotOnSunday" not in [r.name for r in TypeSpec.load("penalty").rules]
