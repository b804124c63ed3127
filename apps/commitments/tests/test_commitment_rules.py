"""Commitments follow the rules (issue 14, item 7).

- filing a credit repair makes and publishes the 信用修复型 commitment its 承诺书 promises (once per repair);
- a breach (违诺) record's publicity and repair follow the severity the department states, by policy rows;
- a commitment signed on paper must be entered within the working-day limit of its signing date.
"""

import datetime
import re

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.catalog.models import Policy, RecordType
from apps.commitments.choices import Channel
from apps.commitments.models import Commitment, CommitmentTemplate
from apps.commitments.selectors import commitment_timeliness
from apps.commitments.services import commitment_fulfil, commitment_sign
from apps.evaluation.tests.factories import make_subject
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row
from apps.repair.models import RepairApplication
from apps.repair.services.applications import repair_application_refuse, repair_application_submit, repair_eligibility

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
PERSON = "王小明"


def at(day: datetime.date, hour_utc: int = 2):
    """The clock frozen on a day, 10:00 in Shanghai."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour_utc, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def template(dept_a):
    t = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    t.supervising_department = dept_a
    t.save()
    return t


def _materials():
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return [
        ("commitment", SimpleUploadedFile("承诺书.pdf", pdf, content_type="application/pdf")),
        ("fulfilment", SimpleUploadedFile("缴款凭证.pdf", pdf, content_type="application/pdf")),
    ]


def _file(record, owner, **overrides):
    kwargs = {
        "records": [record],
        "subject": record.subject,
        "applicant": owner,
        "contact_name": "王小明",
        "contact_phone": "13800000000",
        "statement": "罚款已缴清，问题产品已全部下架。",
        "materials": _materials(),
    } | overrides
    return repair_application_submit(**kwargs)


# --- 1. the 信用修复型 commitment ------------------------------------------------------------


def test_filing_a_repair_publishes_one_repair_commitment_masked_for_a_person(dept_a, subject_user, center, client):
    with at(datetime.date(2024, 9, 27)):
        row = penalty_row(
            dept_a,
            1,
            CF_XDR_MC=PERSON,
            CF_XDR_LB="自然人",
            CF_XDR_SHXYM=None,
            CF_FRDB=None,
            CF_XDR_ZJLX="身份证",
            CF_XDR_ZJHM=ID_NUMBER,
        )
        outcome = records_ingest(record_type="penalty", department=dept_a, rows=[(2, row)]).outcomes[0]
        assert outcome.record_id, outcome.problems
    record = Record.objects.select_related("record_type", "department", "subject").get(pk=outcome.record_id)
    subject_user.subject = record.subject
    subject_user.save()

    with at(datetime.date(2025, 3, 3)):
        # A filing that fails leaves no commitment behind (same transaction).
        with pytest.raises(ValidationError):
            _file(record, subject_user, contact_name="")
        assert not Commitment.objects.exists()

        [application] = _file(record, subject_user)
        commitment = Commitment.objects.get()
        assert commitment.type == "repair" and commitment.get_type_display() == "信用修复型"
        assert commitment.subject == record.subject and commitment.repair_record == record
        assert record.decision_number in commitment.matter and record.decision_number in commitment.text
        assert commitment.signed_on == datetime.date(2025, 3, 3) and commitment.status == "signed"
        assert commitment.channel == Channel.ONLINE and commitment.signed_by == subject_user
        assert commitment.supervising_department == dept_a  # 谁认定、谁修复

        # Filing again while the case runs is refused, and makes no second commitment.
        with pytest.raises(ValidationError):
            _file(record, subject_user)
        assert Commitment.objects.count() == 1

        # Refused: the commitment stays published; filed again, the same commitment stands (retry-safe).
        repair_application_refuse(application=application, actor=center, reason="缴款凭证不清晰")
        assert Commitment.objects.get().pk == commitment.pk
        _file(record, subject_user)
        assert RepairApplication.objects.filter(record=record).count() == 2
        assert Commitment.objects.filter(type="repair").count() == 1

        page = client.get("/commitments/public/").content.decode()
    assert commitment.code in page and "信用修复型" in page
    assert record.subject.id_number_masked and record.subject.id_number_masked in page
    assert ID_NUMBER not in page and PERSON not in page and "王**" in page


# --- 2. a breach follows its stated severity ---------------------------------------------------------


def _breach(template, clerk_a, severity, n, on):
    subject = make_subject(f"违诺测试企业{n}")
    with at(on):
        c = commitment_sign(
            template=template, subject=subject, user=clerk_a, channel=Channel.PAPER, department=clerk_a.department
        )
        f = commitment_fulfil(
            commitment=c,
            outcome="breached",
            user=clerk_a,
            unfulfilled="未补齐材料",
            follow_up="撤销登记",
            severity=severity,
        )
    return Record.objects.get(pk=f.breach_record_id)


def _months(key, on):
    row = Policy.objects.in_force(key, on=on, record_type=RecordType.objects.get(code="commitment_breach"))
    assert row is not None and row.basis, f"no policy row {key} for breaches on {on}"
    return int(row.value)


@pytest.mark.parametrize(
    ("severity", "min_months", "max_months"),
    [("serious", 12, 36), ("general", 3, 12)],
)
@pytest.mark.parametrize("decided", [datetime.date(2026, 5, 6), datetime.date(2025, 6, 4)])
def test_a_breach_is_publicised_and_repairable_by_its_stated_severity(
    template, clerk_a, severity, min_months, max_months, decided
):
    record = _breach(template, clerk_a, severity, 1, decided)
    prefix = "publicity_serious" if severity == "serious" else "publicity_general"
    # The months are the policy rows of the breach type in force on the decision date (and the law's).
    assert (_months(f"{prefix}_min_months", decided), _months(f"{prefix}_max_months", decided)) == (
        min_months,
        max_months,
    )
    assert record.severity == severity and record.is_publicised and record.status == "published"
    assert record.publicity_min_end == decided + relativedelta(months=min_months)
    assert record.publicity_end == decided + relativedelta(months=max_months)
    # Repair: possible once the minimum period of its severity is over, not a day before.
    earliest = record.publicity_min_end
    assert any(
        "最短公示期尚未届满" in r for r in repair_eligibility(record=record, on=earliest - datetime.timedelta(1))
    )
    assert repair_eligibility(record=record, on=earliest) == []


def test_a_minor_breach_is_not_publicised_and_a_breach_needs_a_severity(template, clerk_a):
    on = datetime.date(2026, 5, 6)
    record = _breach(template, clerk_a, "minor", 1, on)
    assert record.severity == "minor" and record.is_publicised is False
    subject = make_subject("未选程度企业")
    with at(on):
        c = commitment_sign(
            template=template, subject=subject, user=clerk_a, channel=Channel.PAPER, department=clerk_a.department
        )
        with pytest.raises(ValidationError, match="失信程度"):
            commitment_fulfil(commitment=c, outcome="partial", user=clerk_a, unfulfilled="部分未补齐")
    assert not Record.objects.filter(subject=subject).exists()


def test_the_fulfil_page_asks_the_severity(template, clerk_a, client_for):
    subject = make_subject("页面违诺企业")
    c = commitment_sign(
        template=template, subject=subject, user=clerk_a, channel=Channel.PAPER, department=clerk_a.department
    )
    data = {"outcome": "breached", "unfulfilled": "未补齐", "follow_up": "撤销登记"}
    refused = client_for(clerk_a).post(f"/commitments/{c.pk}/fulfil/", data)
    assert refused.status_code == 400 and "必须选择失信程度" in refused.content.decode()
    done = client_for(clerk_a).post(f"/commitments/{c.pk}/fulfil/", data | {"severity": "serious"})
    assert done.status_code == 302
    assert Record.objects.get(subject=subject).severity == "serious"


# --- 3. paper commitments: entered within the working-day limit ---------------------------------------

SIGNED = datetime.date(2024, 9, 27)  # a Friday before 国庆 (Oct 1–7 off, Sep 29 and Oct 12 调休 working days)


def test_a_paper_commitment_entered_after_seven_working_days_is_late(template, clerk_a, client_for):
    limit = Policy.objects.in_force("report_deadline_days", on=SIGNED)
    assert limit is not None and limit.value == 7
    on_time, late = make_subject("按时录入企业"), make_subject("逾期录入企业")
    # 7th working day after signing: Saturday 2024-10-12 (调休) — the holiday week does not count.
    with at(datetime.date(2024, 10, 12)):
        timely = commitment_sign(
            template=template,
            subject=on_time,
            user=clerk_a,
            channel=Channel.PAPER,
            signed_on=SIGNED,
            department=clerk_a.department,
        )
    # 9th working day: Tuesday 2024-10-15.
    with at(datetime.date(2024, 10, 15)):
        untimely = commitment_sign(
            template=template,
            subject=late,
            user=clerk_a,
            channel=Channel.PAPER,
            signed_on=SIGNED,
            department=clerk_a.department,
        )
        staff_page = client_for(clerk_a).get("/commitments/").content.decode()
        figures_page = client_for(clerk_a).get("/monitoring/my/?month=2024-10").content.decode()
    assert timely.entry_deadline == untimely.entry_deadline == datetime.date(2024, 10, 12)
    assert timely.entry_timely is True and untimely.entry_timely is False

    figures = commitment_timeliness(
        department=clerk_a.department, since=datetime.date(2024, 10, 1), until=datetime.date(2024, 11, 1)
    )
    assert (figures.entered, figures.entered_timely, figures.late) == (2, 1, 1)
    assert figures.timely_rate == 50.0

    assert "逾期录入" in staff_page and "按时录入" in staff_page and "2024-10-12" in staff_page
    table = figures_page[figures_page.index('id="commitment-table"') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells[:4] == ["2", "1", "1", "50.00%"]


def test_a_commitment_signed_online_has_no_entry_deadline(template, subject_user):
    subject = make_subject("网上签署企业")
    subject_user.subject = subject
    subject_user.save()
    c = commitment_sign(template=template, subject=subject, user=subject_user)
    assert c.entry_deadline is None and c.entry_timely is None


def test_a_commitment_specific_deadline_row_takes_precedence(template, clerk_a):
    """The limit is data: a row for the commitment catalog type (here 5 working days) overrides the general 7."""
    Policy.objects.create(
        key="report_deadline_days",
        record_type=RecordType.objects.get(code="commitment_breach"),
        value=5,
        effective_from=datetime.date(2024, 1, 1),
        basis="测试：本地信用承诺信息报送时限",
    )
    with at(datetime.date(2024, 10, 12)):
        c = commitment_sign(
            template=template,
            subject=make_subject("五日时限企业"),
            user=clerk_a,
            channel=Channel.PAPER,
            signed_on=SIGNED,
            department=clerk_a.department,
        )
    # 5th working day after 2024-09-27: Sep 29, Sep 30, Oct 8, 9, 10.
    assert c.entry_deadline == datetime.date(2024, 10, 10) and c.entry_timely is False
