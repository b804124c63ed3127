"""What the other apps provide, shown on the profile, the report and the columns page through their own readers."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apps.commitments.models import CommitmentTemplate
from apps.commitments.services import commitment_sign
from apps.evaluation.models import ScoringModel, SubjectGrade
from apps.portal.selectors import public_grade
from apps.records.models import Record
from apps.repair.choices import RepairState
from apps.repair.models import RepairApplication
from apps.reports.pdf import report_pdf
from apps.reports.services import report_issue, report_verify
from apps.scenarios.models import Scenario
from apps.subjects.models import Subject

from .conftest import PERSON_IDS, XINYUAN

pytestmark = pytest.mark.django_db


def subject(name):
    return Subject.objects.get(name=name)


def profile_html(name):
    return Client().get(reverse("portal:profile", args=[subject(name).pk])).content.decode()


def grade(s, value="A"):
    model = ScoringModel.objects.get(version=1)
    return SubjectGrade.objects.create(
        subject=s,
        model=model,
        score=95,
        computed_grade=value,
        grade=value,
        source="model",
        changed_at=timezone.now(),
    )


@pytest.fixture
def template(dept_a):
    t = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    t.supervising_department = dept_a
    t.save()
    return t


def sign(template, s, clerk):
    return commitment_sign(template=template, subject=s, user=clerk, channel="paper", department=clerk.department)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- grade (apps.evaluation) ---------------------------------------------------------


def test_organisation_grade_is_shown_on_profile_and_in_report(county):
    s = subject(XINYUAN)
    grade(s, "A")
    expected = public_grade(s.pk, kind=s.kind)
    assert expected.startswith("A")
    assert expected in profile_html(XINYUAN)
    report = report_issue(subject=s, purpose="bidding")
    assert report.snapshot["grade"] == expected
    assert (
        expected
        in Client()
        .get(reverse("reports:verify"), {"number": report.number, "code": report.verification_code})
        .content.decode()
    )


def test_no_grade_means_no_grade_row(county):
    assert "公共信用综合评价" not in profile_html(XINYUAN)


def test_a_persons_grade_is_not_public(county):
    person = subject("王某甲")
    grade(person, "D")
    assert public_grade(person.pk, kind=person.kind) == ""
    assert "公共信用综合评价" not in profile_html("王某甲")
    assert report_issue(subject=person, purpose="bidding").snapshot["grade"] == ""


# --- commitments (apps.commitments) ----------------------------------------------------


def test_commitments_on_profile_and_report_with_public_fields_only(county, template, clerk_a):
    c = sign(template, subject(XINYUAN), clerk_a)
    html = profile_html(XINYUAN)
    assert c.code in html and "容缺受理型" in html and "市场主体登记容缺受理" in html
    assert c.text not in html  # the signed text is not part of the public record
    report = report_issue(subject=subject(XINYUAN), purpose="bidding")
    assert report.snapshot["commitments"] == [
        {
            "code": c.code,
            "type": "容缺受理型",
            "matter": "市场主体登记容缺受理",
            "signed_on": "2024-10-10",
            "due_on": c.due_on.isoformat(),
            "status": "待履约核实",
        }
    ]
    text = pdf_text(report_pdf(report))
    assert c.code in text and "市场主体登记容缺受理" in text


def test_a_persons_commitment_shows_no_id_number(county, template, clerk_a):
    person = subject("王某甲")
    c = sign(template, person, clerk_a)
    html = profile_html("王某甲")
    assert c.code in html
    assert PERSON_IDS[0] not in html
    public_list = Client().get(reverse("commitments:public")).content.decode()
    assert c.code in public_list and PERSON_IDS[0] not in public_list and "王**" in public_list
    report = report_issue(subject=person, purpose="bidding")
    assert PERSON_IDS[0] not in str(report.snapshot)


# --- repair history (apps.repair) ------------------------------------------------------


def approved_repair(record, number="XF2024100001"):
    return RepairApplication.objects.create(
        number=number,
        record=record,
        department=record.department,
        subject=record.subject,
        contact_name="张三",
        contact_phone="13800000000",
        step_started_on=datetime.date(2024, 9, 1),
        statement="已缴纳罚款并整改。",
        state=RepairState.APPROVED,
        decided_at=datetime.datetime(2024, 9, 30, 9, tzinfo=datetime.UTC),
    )


def test_report_snapshot_holds_the_repair_history(county):
    s = subject(XINYUAN)
    repaired = Record.objects.get(decision_number="乳市监罚〔2024〕1号")
    approved_repair(repaired)
    # A rejected or open case is not repair history.
    RepairApplication.objects.create(
        number="XF2024100002",
        record=Record.objects.get(decision_number="乳市监罚〔2024〕3号"),
        department=repaired.department,
        subject=s,
        contact_name="张三",
        contact_phone="13800000000",
        step_started_on=datetime.date(2024, 9, 1),
        statement="…",
        state=RepairState.CENTER_REVIEW,
    )
    report = report_issue(subject=s, purpose="bidding")
    assert report.snapshot["repairs"] == [
        {
            "number": "XF2024100001",
            "record_type": "行政处罚",
            "department": repaired.department.name,
            "approved_on": "2024-09-30",
        }
    ]
    # The record still under repair stays struck through in the report.
    under_repair = [r for r in report.snapshot["records"] if r["under_repair"]]
    assert [r["decision_number"] for r in under_repair] == ["乳市监罚〔2024〕3号"]
    text = pdf_text(report_pdf(report))
    assert "XF2024100001" in text and "信用修复记录" in text
    # The history is part of what is sealed: verification shows it.
    assert report_verify(number=report.number, code=report.verification_code).verified
    page = Client().get(reverse("reports:verify"), {"number": report.number, "code": report.verification_code})
    assert "XF2024100001" in page.content.decode()


def test_report_without_repairs_says_so(county):
    report = report_issue(subject=subject(XINYUAN), purpose="bidding")
    assert report.snapshot["repairs"] == []
    assert "无信用修复记录" in pdf_text(report_pdf(report))


# --- columns -----------------------------------------------------------------------------


def test_columns_list_commitments_and_scenarios(county):
    Scenario.objects.update(is_active=True)
    names = list(Scenario.objects.filter(is_active=True).values_list("name", flat=True))
    Scenario.objects.create(
        code="hidden-one",
        name="停用场景甲",
        category=Scenario.objects.first().category,
        owner="x",
        benefits="x",
        rule={"all": []},
        is_active=False,
    )
    html = Client().get(reverse("portal:columns")).content.decode()
    assert reverse("commitments:public") in html and "信用承诺公示" in html
    assert reverse("scenarios:catalog") in html
    assert all(name in html for name in names) and names
    assert "停用场景甲" not in html
    assert reverse("records_public:list") in html and reverse("lists_public:list") in html


def test_a_new_grade_label_shows_on_the_next_profile(county):
    """Grade labels are kept per process; a save of the scoring model drops the copy at once."""
    s = subject(XINYUAN)
    grade(s, "A")
    before = public_grade(s.pk, kind=s.kind)
    model = ScoringModel.objects.get(version=1)
    model.grades = [{**g, "label": "诚信示范"} if g["code"] == "A" else g for g in model.grades]
    model.save()
    assert public_grade(s.pk, kind=s.kind) == "A（诚信示范）" != before
    assert "A（诚信示范）" in profile_html(XINYUAN)
