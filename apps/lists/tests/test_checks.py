import json

import pytest
from django.core.exceptions import ValidationError

from apps.lists.check_files import BatchQuery
from apps.lists.checks import check_feedback_record, credit_check_batch, credit_check_run
from apps.lists.choices import CheckChannel
from apps.lists.models import CheckFeedback, CreditCheck, ListEntry, Matter, Measure
from apps.lists.selectors_checks import AMBIGUOUS_NAME_MESSAGE
from apps.lists.services import list_entry_remove
from apps.records.models import Record
from apps.records.tests.factories import PERSON_ID_MASKED
from apps.subjects.choices import SubjectKind
from apps.subjects.models import Subject
from apps.subjects.selectors import subject_resolve, subjects_resolve_bulk
from apps.subjects.services import subject_create

from .checks_support import (
    A_GRADE,
    PERSON_ID,
    TAX,
    TODAY,
    WATCH,
    company_code,
    company_name,
    entry,
    ingest,
    penalty,
    person_entry,
    travel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def run(query, matter="bidding", **kwargs):
    kwargs.setdefault("channel", CheckChannel.WEB)
    return credit_check_run(query=query, matter=matter, **kwargs)


def codes(check):
    return [m["code"] for m in check.result["measures"]]


# --- finding the subject --------------------------------------------------------------


def test_unknown_code_is_answered_and_logged(clerk_a):
    check = run("91371083MA7C9999X0", user=clerk_a)
    assert check.found is False and check.subject is None
    assert "未找到代码为“91371083MA7C9999X0”的信用主体" in check.result["message"]
    assert check.result["measures"] == [] and check.result["grade"] is None
    logged = CreditCheck.objects.get()
    assert logged.user == clerk_a and logged.department == clerk_a.department and logged.channel == "web"
    assert logged.matter.code == "bidding" and logged.query == "91371083MA7C9999X0"


def test_unknown_name_is_answered_and_logged(clerk_a):
    check = run("乳山市不存在的公司", user=clerk_a)
    assert not check.found
    assert "未找到名称为“乳山市不存在的公司”的信用主体" in check.result["message"]
    assert CreditCheck.objects.filter(found=False).count() == 1


def test_found_by_code_in_any_form_and_by_name(recogniser):
    ingest(recogniser, [entry(recogniser, 1)])
    code = company_code(1)
    spaced = " ".join([code[:6], code[6:12], code[12:]]).lower()
    for query in (code, spaced, company_name(1)):
        check = run(query)
        assert check.found and check.result["subject"]["public_code"] == code, query
    assert CreditCheck.objects.count() == 3


def test_found_by_legacy_code():
    subject = subject_create(
        kind=SubjectKind.LEGAL, name="乳山市老代码商店", uscc=company_code(50), registration_number="371083200012345"
    )
    check = run("371083200012345")
    assert check.subject == subject and check.result["subject"]["name"] == "乳山市老代码商店"


def test_same_name_asks_for_the_code():
    for n in (61, 62):
        subject_create(kind=SubjectKind.LEGAL, name="乳山市同名商贸有限公司", uscc=company_code(n))
    check = run("乳山市同名商贸有限公司")
    assert not check.found and check.subject is None
    assert check.result["message"] == AMBIGUOUS_NAME_MESSAGE
    assert sorted(c["public_code"] for c in check.result["candidates"]) == [company_code(61), company_code(62)]
    assert CreditCheck.objects.count() == 1


def test_half_width_brackets_find_the_registered_name():
    subject = subject_create(kind=SubjectKind.LEGAL, name="乳山市某某（集团）有限公司", uscc=company_code(70))
    assert run("乳山市某某(集团)有限公司").subject == subject
    both = credit_check_batch(
        queries=[BatchQuery(2, "乳山市某某(集团)有限公司"), BatchQuery(3, "乳山市某某（集团）有限公司")],
        matter="bidding",
    )
    assert [c.subject for c in both] == [subject, subject]


def test_empty_query_and_unknown_matter_are_refused():
    with pytest.raises(ValidationError):
        run("   ")
    with pytest.raises(Matter.DoesNotExist):
        run("乳山市某公司", matter="no-such-matter")
    assert not CreditCheck.objects.exists()


# --- lists and measures ----------------------------------------------------------------


def test_black_list_subject_gets_punishments_for_the_matter(recogniser):
    ingest(recogniser, [entry(recogniser, 1)])
    check = run(company_code(1), matter="bidding")
    assert check.found
    (membership,) = check.result["lists"]
    assert membership["list_type_name"] == TAX and membership["color"] == "black"
    assert membership["department"] == recogniser.name
    assert membership["recognised_on"] == "2024-09-27" and membership["valid_until"] == "2027-09-27"
    assert membership["legal_basis"] == "《重大税收违法失信主体信息公布管理办法》第六条"
    assert membership["legal_representative"] == "王强"
    (measure,) = check.result["measures"]
    assert measure["code"] == "CJ-01" and measure["kind"] == "punishment"
    assert measure["legal_basis"] and measure["implementing_department"]
    assert measure["triggered_by"] == [{"code": "major_tax_violation", "name": TAX, "color": "black"}]
    assert check.result["subject"]["legal_representative"] == "王强"
    assert check.result["counts"] == {"black": 1, "watch": 0, "red": 0, "records": 0, "measures": 1}


def test_several_lists_give_measures_from_each_once(recogniser):
    ingest(recogniser, [entry(recogniser, 1), entry(recogniser, 2, list_type=WATCH, subject=1)])
    check = run(company_code(1), matter="licensing")
    assert [item["color"] for item in check.result["lists"]] == ["black", "watch"]
    # CJ-05 is triggered by both lists: listed once, naming both.
    assert codes(check) == ["CJ-05"]
    assert {t["name"] for t in check.result["measures"][0]["triggered_by"]} == {TAX, WATCH}
    # Supervision: CJ-07 from both lists, still once.
    assert codes(run(company_code(1), matter="supervision")) == ["CJ-07"]
    # Bidding: only the black list triggers CJ-01; the watch list has no joint punishment there.
    check = run(company_code(1), matter="bidding")
    assert codes(check) == ["CJ-01"] and len(check.result["measures"][0]["triggered_by"]) == 1


def test_matter_filters_the_measures(recogniser):
    ingest(recogniser, [entry(recogniser, 1)])
    assert codes(run(company_code(1), matter="honours")) == ["CJ-04"]
    assert codes(run(company_code(1), matter="financing")) == ["CJ-10"]
    # 限制录用公务员 applies to 失信被执行人 only, not to a tax violator.
    check = run(company_code(1), matter="civil_service")
    assert codes(check) == [] and check.result["lists"]  # still listed, no measure for this matter


def test_red_list_subject_gets_rewards(recogniser):
    ingest(recogniser, [entry(recogniser, 1, list_type=A_GRADE, MD_RDYJ="《纳税信用管理办法》")])
    check = run(company_code(1), matter="bidding")
    assert check.result["lists"][0]["color"] == "red"
    (measure,) = check.result["measures"]
    assert measure["code"] == "JL-02" and measure["kind"] == "reward"
    assert check.result["counts"]["red"] == 1


def test_expired_entry_is_not_applied(recogniser):
    ingest(recogniser, [entry(recogniser, 1, MD_YXQZ="2024-10-01")])
    assert ListEntry.objects.get().state == "listed"  # not yet swept by the nightly expiry
    check = run(company_code(1))
    assert check.found and check.result["lists"] == [] and check.result["measures"] == []


def test_removed_entry_stops_measures_at_once(recogniser, center):
    ingest(recogniser, [entry(recogniser, 1)])
    assert codes(run(company_code(1))) == ["CJ-01"]
    list_entry_remove(entry=ListEntry.objects.get(), actor=center, reason="已履行法定义务")
    check = run(company_code(1))
    assert check.result["lists"] == [] and check.result["measures"] == []


def test_repaired_entry_is_not_applied(recogniser):
    ingest(recogniser, [entry(recogniser, 1)])
    Record.objects.filter(list_entry__isnull=False).update(repaired=True)
    assert run(company_code(1)).result["measures"] == []


def test_list_type_not_triggering_measures_gives_none(recogniser):
    ingest(recogniser, [entry(recogniser, 1)])
    ListEntry.objects.get().list_type.__class__.objects.filter(code="major_tax_violation").update(
        triggers_measures=False
    )
    check = run(company_code(1))
    assert check.result["lists"] and check.result["measures"] == []


def test_measure_out_of_force_is_not_applied(recogniser):
    ingest(recogniser, [entry(recogniser, 1)])
    Measure.objects.filter(code="CJ-01").update(effective_to=TODAY.replace(day=1))
    assert codes(run(company_code(1))) == []


def test_records_in_publicity_are_listed(recogniser, dept_a):
    ingest(recogniser, [entry(recogniser, 1)])
    penalty(dept_a, 5, subject=1)
    check = run(company_code(1))
    (record,) = check.result["records"]
    assert record["type"] == "penalty" and record["decision_number"] == "乳市监核罚〔2024〕5号"
    assert record["decision_date"] == "2024-09-27" and record["department"] == dept_a.name
    assert check.result["records_total"] == 1 and check.result["counts"]["records"] == 1


# --- personal data -----------------------------------------------------------------------


def test_no_unmasked_id_number_for_a_natural_person(recogniser):
    person = subject_create(kind=SubjectKind.PERSON, name="王某某", id_number=PERSON_ID)
    ingest(recogniser, [person_entry(recogniser, 9, name="王某某")])
    assert ListEntry.objects.get().subject == person
    for query in (PERSON_ID, PERSON_ID.lower(), "王某某"):
        check = run(query, matter="civil_service")
        assert check.subject == person, query
        assert check.result["subject"]["public_code"] == PERSON_ID_MASKED
        assert codes(check) == ["CJ-09"]
        stored = CreditCheck.objects.get(pk=check.pk)
        text = json.dumps(stored.result, ensure_ascii=False) + stored.query
        assert PERSON_ID not in text.upper(), query
    # The code typed is logged masked too.
    assert CreditCheck.objects.filter(query=PERSON_ID_MASKED).count() == 2
    # A valid ID number nobody has is masked in the log and the message as well.
    unknown = run("110105198001011238")
    assert unknown.query == "110105********1238" and not unknown.found
    assert "110105198001011238" not in json.dumps(unknown.result, ensure_ascii=False)


# --- batch -------------------------------------------------------------------------------


def test_batch_gives_the_same_answers_as_single_checks(recogniser, clerk_b):
    ingest(recogniser, [entry(recogniser, 1), entry(recogniser, 2, list_type=WATCH, subject=1), entry(recogniser, 3)])
    subject_create(kind=SubjectKind.PERSON, name="王某某", id_number=PERSON_ID)
    subject_create(
        kind=SubjectKind.LEGAL, name="乳山市老代码商店", uscc=company_code(50), organization_code="MA7C00509"
    )
    for n in (61, 62):
        subject_create(kind=SubjectKind.LEGAL, name="乳山市同名商贸有限公司", uscc=company_code(n))
    queries = [
        company_code(1),
        company_code(3).lower(),
        company_name(3),
        PERSON_ID,
        "MA7C00509",
        "乳山市同名商贸有限公司",
        "91371083MA7C9999X0",
        "不存在的名称",
    ]
    singles = [run(q, matter="licensing", user=clerk_b).result for q in queries]
    batch = credit_check_batch(
        queries=[BatchQuery(i + 2, q) for i, q in enumerate(queries)], matter="licensing", user=clerk_b
    )
    assert [c.result for c in batch] == singles
    assert CreditCheck.objects.filter(channel="batch", department=clerk_b.department).count() == len(queries)
    assert [c.found for c in batch] == [True, True, True, True, True, False, False, False]


def test_bulk_and_single_resolution_agree_on_duplicated_codes():
    first = subject_create(kind=SubjectKind.LEGAL, name="甲", uscc=company_code(80))
    Subject.objects.create(kind=SubjectKind.LEGAL, name="乙", uscc=company_code(80))
    (bulk,) = subjects_resolve_bulk([(company_code(80), "auto")])
    assert bulk.subject.pk == subject_resolve(company_code(80)).subject.pk == first.pk


def test_batch_is_a_few_queries_whatever_its_size(recogniser, django_assert_max_num_queries):
    ingest(recogniser, [entry(recogniser, n) for n in range(1, 21)])
    queries = [BatchQuery(n, company_code(n)) for n in range(1, 41)]  # 20 listed, 20 unknown
    with django_assert_max_num_queries(12):
        checks = credit_check_batch(queries=queries, matter="bidding")
    assert sum(1 for c in checks if c.found) == 20


def test_single_check_is_a_few_queries(recogniser, django_assert_max_num_queries):
    ingest(recogniser, [entry(recogniser, 1), entry(recogniser, 2, list_type=WATCH, subject=1)])
    matter = Matter.objects.get(code="licensing")
    # 6 = 5 + the subject's grade (apps.evaluation), one indexed read
    with django_assert_max_num_queries(6):
        run(company_code(1), matter=matter)


# --- feedback ------------------------------------------------------------------------------


def test_feedback_is_idempotent_per_measure_and_needs_a_reason(recogniser, clerk_b):
    ingest(recogniser, [entry(recogniser, 1)])
    check = run(company_code(1), matter="bidding", user=clerk_b)
    with pytest.raises(ValidationError, match="必须填写原因"):
        check_feedback_record(credit_check=check, items=[{"measure": "CJ-01", "implemented": False}], user=clerk_b)
    with pytest.raises(ValidationError, match="不在本次核查返回的措施中"):
        check_feedback_record(credit_check=check, items=[{"measure": "JL-01", "implemented": True}], user=clerk_b)
    check_feedback_record(credit_check=check, items=[{"measure": "CJ-01", "implemented": True}], user=clerk_b)
    check_feedback_record(
        credit_check=check, items=[{"measure": "CJ-01", "implemented": False, "reason": "已撤回申请"}], user=clerk_b
    )
    feedback = CheckFeedback.objects.get()
    assert not feedback.implemented and feedback.reason == "已撤回申请" and feedback.measure.code == "CJ-01"


def test_feedback_on_a_check_without_measures_is_refused(clerk_b):
    check = run("乳山市不存在的公司", user=clerk_b)
    with pytest.raises(ValidationError, match="无需反馈"):
        check_feedback_record(credit_check=check, items=[{"measure": "CJ-01", "implemented": True}], user=clerk_b)
