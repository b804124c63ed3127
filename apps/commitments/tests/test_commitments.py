import datetime
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from apps.commitments.choices import Channel
from apps.commitments.models import Commitment, CommitmentTemplate
from apps.commitments.services import (
    commitment_code_next,
    commitment_coverage,
    commitment_fulfil,
    commitment_sign,
)
from apps.evaluation.tests.factories import make_subject
from apps.records.history import record_events
from apps.records.models import Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(dept_a):
    t = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    t.supervising_department = dept_a
    t.save()
    return t


@pytest.fixture
def company(subject_user):
    subject = make_subject("乳山市诚信商贸有限公司")
    subject_user.subject = subject
    subject_user.save()
    return subject


@time_machine.travel(datetime.datetime(2024, 9, 20, 10, tzinfo=datetime.UTC))
def test_subject_signs_online_with_code_text_and_deadline(template, company, subject_user):
    c = commitment_sign(template=template, subject=company, user=subject_user)
    assert c.code == "37108320240920000001" and len(c.code) == 20
    assert company.name in c.text and company.uscc in c.text and "2024年10月20日" in c.text
    # due 2024-10-20 (Sunday); 7 working days after it on the PRC calendar
    assert c.due_on == datetime.date(2024, 10, 20)
    assert c.fulfilment_deadline == datetime.date(2024, 10, 29)
    second = commitment_code_next(on=datetime.date(2024, 9, 20))
    assert second.endswith("000002")


def test_signing_twice_for_the_same_matter_is_refused(template, company, subject_user):
    commitment_sign(template=template, subject=company, user=subject_user)
    with pytest.raises(ValidationError) as exc:
        commitment_sign(template=template, subject=company, user=subject_user)
    assert "不能重复签署" in str(exc.value)
    assert Commitment.objects.count() == 1


def test_subject_cannot_sign_for_another_subject(template, company, subject_user):
    other = make_subject("别家公司")
    with pytest.raises(ValidationError, match="认领的主体"):
        commitment_sign(template=template, subject=other, user=subject_user)


def test_department_records_paper_commitment(template, clerk_a, dept_a):
    subject = make_subject()
    c = commitment_sign(template=template, subject=subject, user=clerk_a, channel=Channel.PAPER, department=dept_a)
    assert c.channel == "paper" and c.entered_by == clerk_a and c.signed_by is None


def test_a_department_cannot_enter_a_commitment_another_department_supervises(template, clerk_b, dept_b):
    """Paper entry and import are scoped to the clerk's own department's templates, even called directly."""
    from apps.commitments.services import commitments_import

    subject = make_subject()
    with pytest.raises(ValidationError) as exc:
        commitment_sign(template=template, subject=subject, user=clerk_b, channel=Channel.PAPER, department=dept_b)
    assert "只能由该部门录入" in exc.value.messages[0] and template.supervising_department.name in exc.value.messages[0]
    row = {
        "统一社会信用代码": subject.uscc,
        "承诺类型": "容缺受理型",
        "承诺事项": template.matter,
        "承诺日期": "2024-05-06",
    }
    with pytest.raises(ValidationError) as exc:
        commitments_import(rows=[row], user=clerk_b, department=dept_b)
    assert exc.value.messages[0].startswith("第2行：") and "只能由该部门导入" in exc.value.messages[0]
    assert not Commitment.objects.exists()


def test_paper_form_offers_only_the_clerks_department_templates(template, clerk_a, clerk_b, center, client_for):
    from apps.commitments.forms import PaperForm

    assert list(PaperForm(department=clerk_b.department).fields["template"].queryset) == []
    assert template in PaperForm(department=clerk_a.department).fields["template"].queryset
    assert list(PaperForm(department=None).fields["template"].queryset) == []
    subject = make_subject()
    data = {"template": template.pk, "uscc": subject.uscc, "signed_on": "2024-05-06"}
    refused = client_for(clerk_b).post("/commitments/paper/", data)
    assert refused.status_code == 400 and "请选择本部门监管的承诺事项" in refused.content.decode()
    assert not Commitment.objects.exists()


def test_fulfilment_by_a_non_supervising_department_is_refused(template, company, subject_user, clerk_b):
    c = commitment_sign(template=template, subject=company, user=subject_user)
    with pytest.raises(ValidationError, match="监管部门"):
        commitment_fulfil(commitment=c, outcome="fulfilled", user=clerk_b)
    c.refresh_from_db()
    assert c.status == "signed"


def test_fulfilled_commitment_creates_no_record(template, company, subject_user, clerk_a):
    c = commitment_sign(template=template, subject=company, user=subject_user)
    f = commitment_fulfil(commitment=c, outcome="fulfilled", user=clerk_a)
    assert f.timely and f.breach_record is None
    assert not Record.objects.filter(subject=company).exists()


def test_breach_becomes_a_dishonesty_record_through_the_pipeline(template, company, subject_user, clerk_a):
    c = commitment_sign(template=template, subject=company, user=subject_user)
    with pytest.raises(ValidationError) as exc:
        commitment_fulfil(commitment=c, outcome="breached", user=clerk_a)
    assert len(exc.value.messages) == 3  # both missing texts and the missing severity reported at once
    f = commitment_fulfil(
        commitment=c,
        outcome="breached",
        user=clerk_a,
        unfulfilled="未在期限内补齐章程",
        follow_up="撤销登记",
        severity="general",
    )
    record = f.breach_record
    assert record.subject == company and record.record_type.code == "commitment_breach"
    assert record.status == "published" and record.data["CN_CNBH"] == c.code
    # Its creation is the record's own history entry (no "create" event row is written).
    assert record_events(record)[0].action == "create" and record.created_by == clerk_a
    c.refresh_from_db()
    assert c.status == "breached"
    # the record is now open: signing the same matter again is allowed
    commitment_sign(template=template, subject=company, user=subject_user)


def test_template_with_unknown_placeholder_is_rejected(template):
    template.body = "本单位{主体名称}承诺{不存在}"
    with pytest.raises(ValidationError, match="不存在"):
        template.full_clean()


def test_coverage(template, company, subject_user):
    make_subject()
    commitment_sign(template=template, subject=company, user=subject_user)
    cov = commitment_coverage()
    assert (cov["covered"], cov["enterprises"]) == (1, 2)
    assert cov["target"] == 0.8 and cov["target_percent"] == "80"  # from the policy row, not code


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_codes_are_unique_under_concurrency():
    codes, errors = [], []
    day = datetime.date(2024, 9, 21)

    def worker():
        try:
            for _ in range(10):
                codes.append(commitment_code_next(on=day))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(codes) == len(set(codes)) == 40


def test_pages(template, company, subject_user, clerk_a, clerk_b, center, client_for):
    r = client_for(subject_user).post("/commitments/my/", {"template": template.pk, "agree": "on"})
    assert r.status_code == 302
    r = client_for(subject_user).post("/commitments/my/", {"template": template.pk, "agree": "on"})
    assert "不能重复签署" in r.content.decode()
    c = Commitment.objects.get()
    public = client_for(subject_user).get("/commitments/public/").content.decode()
    assert c.code in public and company.name in public
    assert client_for(clerk_a).get("/commitments/").status_code == 200
    r = client_for(clerk_b).post(f"/commitments/{c.pk}/fulfil/", {"outcome": "fulfilled"})
    assert r.status_code == 404  # not the supervising department: refused, and nothing of it shown
    c.refresh_from_db()
    assert c.status == "signed"
    r = client_for(center).post(f"/commitments/{c.pk}/fulfil/", {"outcome": "fulfilled"})
    assert r.status_code == 400 and "监管部门" in r.content.decode()
    r = client_for(clerk_a).post(f"/commitments/{c.pk}/fulfil/", {"outcome": "fulfilled"})
    assert r.status_code == 302
    assert client_for(center).get("/commitments/templates/").status_code == 200
    r = client_for(center).post(
        f"/commitments/templates/{template.pk}/",
        {"type": template.type, "matter": template.matter, "title": "t", "body": "{主体名称}{错误}", "term_days": 30},
    )
    assert "错误" in r.content.decode() and r.status_code == 200


def test_bulk_import_reports_every_bad_row_and_writes_nothing(template, clerk_a, dept_a):
    from apps.commitments.services import commitments_import

    a, b = make_subject(), make_subject()
    good = {"统一社会信用代码": a.uscc, "承诺类型": "容缺受理型", "承诺事项": template.matter, "承诺日期": "2024-05-06"}
    rows = [
        good,
        {"统一社会信用代码": "91371083NOPE0000XX", "承诺类型": "八型", "承诺事项": "x", "承诺日期": "昨天"},
        dict(good),
    ]
    with pytest.raises(ValidationError) as exc:
        commitments_import(rows=rows, user=clerk_a, department=dept_a)
    assert [m[:4] for m in exc.value.messages] == ["第3行：", "第4行："]
    assert "七类" in exc.value.messages[0] and "承诺日期" in exc.value.messages[0]
    assert not Commitment.objects.exists()
    created = commitments_import(rows=[good, good | {"统一社会信用代码": b.uscc}], user=clerk_a, department=dept_a)
    assert [c.channel for c in created] == ["import", "import"]


def test_public_search_does_not_match_a_persons_name(template, clerk_a, dept_a, client_for):
    from apps.subjects.services import subject_create

    person = subject_create(kind="person", name="张三丰", id_number="37108319900119123X")
    c = commitment_sign(template=template, subject=person, user=clerk_a, channel=Channel.PAPER, department=dept_a)
    html = client_for(clerk_a).get("/commitments/public/", {"q": "张三丰"}).content.decode()
    assert c.code not in html and "张三丰" not in html.replace('value="张三丰"', "")
    html = client_for(clerk_a).get("/commitments/public/", {"q": c.code}).content.decode()
    assert c.code in html and "张**" in html and "张三丰" not in html


def test_profile_and_report_show_the_subjects_commitments(template, company, subject_user, client):
    from apps.reports.services import report_issue

    c = commitment_sign(template=template, subject=company, user=subject_user)
    html = client.get(f"/profile/{company.pk}/").content.decode()
    assert c.code in html and template.matter in html
    report = report_issue(subject=company, purpose="bidding")
    assert any(c.code in str(line) for line in report.snapshot["commitments"])
