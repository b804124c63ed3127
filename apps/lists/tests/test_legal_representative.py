"""Issue 17 item 8: the seed-001 list types, and the legal representative's liability (004 §20).

A credit check on a natural person also names the active list entries of the organisations they are the
legal representative of, matched on the ID number (never the name), on the web page, in the API body and
in the batch workbook, under 作为法定代表人 — without counting them as the person's own lists.
"""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from apps.lists.check_files import BatchQuery
from apps.lists.checks import credit_check_batch, credit_check_run
from apps.lists.choices import CheckChannel, ListColor
from apps.lists.models import ListEntry, ListType
from apps.lists.services import list_entry_remove
from apps.subjects.choices import SubjectKind
from apps.subjects.services import subject_create

from .checks_support import (
    PERSON_ID,
    company_code,
    company_name,
    entry,
    ingest,
    issue_key,
    travel,
)

pytestmark = pytest.mark.django_db
OTHER_ID = "110105194912310038"  # a namesake: same name, another person
SEED_001_LISTS = {
    "entry_exit_serious": "出入境检验检疫严重失信企业",
    "customs_dishonest": "海关失信企业",
    "ecommerce_blacklist": "电子商务领域炒信黑名单",
    "quality_serious": "严重质量违法失信当事人",
    "securities_futures": "证券期货市场严重违法失信主体",
}


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def rep_entry(department, n, *, rep="王强", rep_id=PERSON_ID, **overrides):
    """Company ``n`` on the tax black list, with ``rep`` (ID ``rep_id``) as its legal representative."""
    fields = {"MD_FRDB": rep, **overrides}
    if rep_id:
        fields |= {"MD_FR_ZJLX": "身份证", "MD_FR_ZJHM": rep_id}
    return entry(department, n, **fields)


@pytest.fixture
def person():
    return subject_create(kind=SubjectKind.PERSON, name="王强", id_number=PERSON_ID)


# --- list types ----------------------------------------------------------------------------


def test_seed_001_list_types_are_policy_rows_with_their_source():
    rows = {t.code: t for t in ListType.objects.filter(code__in=SEED_001_LISTS)}
    assert {code: t.name for code, t in rows.items()} == SEED_001_LISTS
    for list_type in rows.values():
        assert list_type.color == ListColor.BLACK and list_type.is_active and list_type.triggers_measures
        assert "邹政办字〔2022〕7号" in list_type.source and "市场主体黑名单清理" in list_type.source
        assert list_type.legal_basis and list_type.recogniser_note
        assert str(list_type.effective_from) == "2022-03-15"
    # The twelve rows 0002 loaded are untouched (no source invented for them).
    assert ListType.objects.count() == 17
    assert ListType.objects.get(code="dishonest_judgment_debtor").source == ""


def test_a_new_list_type_can_be_recognised_once_a_department_is_assigned(dept_b):
    customs = ListType.objects.get(code="customs_dishonest")
    customs.recognisers.add(dept_b)
    ingest(dept_b, [entry(dept_b, 1, list_type=customs.name)])
    assert ListEntry.objects.get().list_type == customs
    check = credit_check_run(query=company_code(1), matter="bidding", channel=CheckChannel.WEB)
    assert [item["list_type"] for item in check.result["lists"]] == ["customs_dishonest"]


# --- legal representative ------------------------------------------------------------------


def test_entry_keeps_a_hash_of_the_representatives_id_not_the_number(recogniser):
    ingest(recogniser, [rep_entry(recogniser, 1), rep_entry(recogniser, 2, rep_id=None)])
    with_id, without = ListEntry.objects.order_by("record__decision_number")
    assert len(with_id.legal_rep_id_hash) == 64 and PERSON_ID not in with_id.legal_rep_id_hash
    assert without.legal_rep_id_hash == ""


def test_check_on_a_person_finds_the_organisation_they_represent(recogniser, person):
    ingest(recogniser, [rep_entry(recogniser, 1)])
    check = credit_check_run(query=PERSON_ID, matter="bidding", channel=CheckChannel.WEB)
    assert check.subject == person
    (item,) = check.result["as_legal_representative"]
    assert item["organisation"] == company_name(1) and item["organisation_code"] == company_code(1)
    assert item["list_type"] == "major_tax_violation" and item["color"] == "black"
    assert "作为法定代表人：" + company_name(1) in check.result["message"]
    # Not the person's own list: no count, no measure, and the own-lists section stays empty.
    assert check.result["lists"] == [] and check.result["measures"] == []
    assert check.result["counts"]["black"] == 0
    assert PERSON_ID not in json.dumps(check.result, ensure_ascii=False)


def test_namesake_and_name_only_entries_do_not_match(recogniser, person):
    ingest(recogniser, [rep_entry(recogniser, 1, rep_id=OTHER_ID), rep_entry(recogniser, 2, rep_id=None)])
    check = credit_check_run(query=PERSON_ID, matter="bidding", channel=CheckChannel.WEB)
    assert check.result["as_legal_representative"] == []
    assert "作为法定代表人" not in check.result["message"]


def test_removed_entry_no_longer_shows(recogniser, person, center):
    ingest(recogniser, [rep_entry(recogniser, 1), rep_entry(recogniser, 2)])
    list_entry_remove(
        entry=ListEntry.objects.get(record__decision_number="乳核认〔2024〕1号"), actor=center, reason="信用修复"
    )
    check = credit_check_run(query=PERSON_ID, matter="bidding", channel=CheckChannel.WEB)
    assert [i["organisation"] for i in check.result["as_legal_representative"]] == [company_name(2)]


def test_organisation_check_has_the_key_but_no_rows(recogniser, person):
    ingest(recogniser, [rep_entry(recogniser, 1)])
    check = credit_check_run(query=company_code(1), matter="bidding", channel=CheckChannel.WEB)
    assert check.result["as_legal_representative"] == [] and check.result["counts"]["black"] == 1


def test_shown_on_the_web_page(recogniser, person, client_for, clerk_a):
    ingest(recogniser, [rep_entry(recogniser, 1)])
    response = client_for(clerk_a).post("/lists/checks/", {"query": PERSON_ID, "matter": "bidding"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "作为法定代表人" in page and company_name(1) in page and 'id="as-legal-representative"' in page
    assert PERSON_ID not in page


def test_in_the_api_body(recogniser, person, dept_a):
    ingest(recogniser, [rep_entry(recogniser, 1)])
    client = Client(headers={"Authorization": f"Api-Key {issue_key(dept_a)}"})
    response = client.post(
        "/api/v1/credit-checks/", json.dumps({"code": PERSON_ID, "matter": "bidding"}), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    (item,) = response.json()["as_legal_representative"]
    assert item["organisation"] == company_name(1)


def test_in_the_batch_answer_and_workbook(recogniser, person, client_for, clerk_a):
    ingest(recogniser, [rep_entry(recogniser, 1)])
    checks = credit_check_batch(
        queries=[BatchQuery(2, PERSON_ID), BatchQuery(3, company_code(1))], matter="bidding", user=clerk_a
    )
    assert [len(c.result["as_legal_representative"]) for c in checks] == [1, 0]
    workbook = Workbook()
    workbook.active.append(["身份证号码"])
    workbook.active.append([PERSON_ID])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("核查.xlsx", buffer.getvalue())
    response = client_for(clerk_a).post("/lists/checks/batch/", {"file": upload, "matter": "bidding"})
    assert response.status_code == 200, response.content[:1000]
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert company_name(1) in row["作为法定代表人"] and "重大税收违法失信主体" in row["作为法定代表人"]


def test_migration_fills_the_hash_of_entries_made_before_it(recogniser, person):
    from importlib import import_module

    from django.apps import apps

    ingest(recogniser, [rep_entry(recogniser, 1)])
    ListEntry.objects.update(legal_rep_id_hash="")  # as every entry was before 0007
    import_module("apps.lists.migrations.0007_listentry_legal_rep_id_hash").fill_hashes(apps, None)
    check = credit_check_run(query=PERSON_ID, matter="bidding", channel=CheckChannel.WEB)
    assert [i["organisation"] for i in check.result["as_legal_representative"]] == [company_name(1)]
