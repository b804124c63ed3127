import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.catalog.models import RecordType
from apps.monitoring.selectors import Month
from apps.monitoring.services import zero_report_declare
from apps.records.choices import Status
from apps.records.models import Record, Submission, ZeroReport
from apps.records.tests.factories import penalty_row

from .conftest import at, ingest

pytestmark = pytest.mark.django_db
MY = "/monitoring/my/"
ZERO = "/monitoring/my/zero-report/"


def penalty():
    return RecordType.objects.get(code="penalty")


def test_url_names_are_stable():
    assert reverse("monitoring:my") == MY
    assert reverse("monitoring:zero_report") == ZERO


def test_anonymous_and_subject_accounts_are_kept_out(client, client_for, subject_user):
    response = client.get(MY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client_for(subject_user).get(MY).status_code == 403
    assert client.post(ZERO, {"record_type": 2}).status_code == 302
    assert client_for(subject_user).post(ZERO, {"record_type": 2}).status_code == 403


def test_clerk_sees_own_figures_problems_and_nothing_of_other_departments(october, client_for, clerk_a, clerk_b):
    with at(2024, 10, 20, 9, 0):
        page = client_for(clerk_a).get(MY).content.decode()
        assert "乳山市市场监督管理局报送情况" in page
        assert "2024年10月" in page and "2023年11月" in page  # twelve months
        assert "2023年10月" not in page
        assert "66.67%" in page and "75.00%" in page
        assert "不是有效日期" in page  # the rejected row and its problem
        assert "乳市监罚〔2024〕3号" in page

        # Department B's clerk sees B only, and may not ask for A.
        assert client_for(clerk_b).get(MY, {"department": "scjgj"}).status_code == 403
        page_b = client_for(clerk_b).get(MY).content.decode()
        assert "国家税务总局乳山市税务局报送情况" in page_b
        assert "乳山市市场监督管理局" not in page_b
        assert "不是有效日期" not in page_b
        assert "零报告" in page_b and "clerk_b" in page_b

        # Once fixed, a problem row leaves the list.
        Submission.objects.filter(compliant=False).update(fixed=True)
        assert "不是有效日期" not in client_for(clerk_a).get(MY).content.decode()


def test_reviewer_sees_figures_but_no_zero_report_form(october, client_for, reviewer_a, clerk_a):
    with at(2024, 10, 20, 9, 0):
        page = client_for(reviewer_a).get(MY).content.decode()
        assert "乳山市市场监督管理局报送情况" in page
        assert 'id="zero-report-form"' not in page
        assert 'id="zero-report-form"' in client_for(clerk_a).get(MY).content.decode()


def test_center_picks_any_department_and_month(october, client_for, center):
    browser = client_for(center)
    with at(2024, 11, 5, 9, 0):
        page = browser.get(MY).content.decode()
        assert "请选择要查看的部门" in page
        page = browser.get(MY, {"department": "scjgj", "month": "2024-10"}).content.decode()
        assert "乳山市市场监督管理局报送情况" in page
        assert "2024年10月待整改的问题数据（1 条）" in page
        assert 'id="zero-report-form"' not in page
        assert browser.get(MY, {"department": "nope"}).status_code == 404


def test_records_nearing_or_past_their_deadline(dept_a, client_for, clerk_a):
    with at(2024, 10, 10, 10, 0):
        ingest(
            dept_a,
            [
                penalty_row(dept_a, n, CF_JDRQ=day)
                for n, day in enumerate(("2024-09-27", "2024-09-20", "2024-10-09"), start=1)
            ],
        )
    # Turn them back into unreported drafts / pending review.
    Record.objects.filter(decision_number__endswith="〕1号").update(status=Status.DRAFT, reported_at=None)
    Record.objects.filter(decision_number__endswith="〕2号").update(status=Status.PENDING_REVIEW)
    Record.objects.filter(decision_number__endswith="〕3号").update(status=Status.DRAFT, reported_at=None)
    with at(2024, 10, 11, 9, 0):
        page = client_for(clerk_a).get(MY).content.decode()
    table = page[page.index('id="nearing-table"') :]
    table = table[: table.index("</table>")]
    # Deadline 12 October (Saturday, a 调休 working day) is within 2 working days of Friday 11 October.
    assert "乳市监罚〔2024〕1号" in table and "即将到期" in table
    # Decided 20 September: deadline 29 September, already passed.
    assert "乳市监罚〔2024〕2号" in table and "已逾期" in table
    # Decided 9 October: deadline 18 October, not yet near.
    assert "乳市监罚〔2024〕3号" not in table


# --- 零报告 -----------------------------------------------------------------------------


def test_clerk_declares_a_zero_report_once(dept_b, client_for, clerk_b):
    browser = client_for(clerk_b)
    with at(2024, 10, 20, 9, 0):
        response = browser.post(ZERO, {"record_type": penalty().pk}, follow=True)
        assert "已声明2024年10月“行政处罚”零报告" in response.content.decode()
        again = browser.post(ZERO, {"record_type": penalty().pk}, follow=True)
        assert "已于" in again.content.decode()
    zero = ZeroReport.objects.get()
    assert (zero.department, zero.month, zero.declared_by) == (dept_b, datetime.date(2024, 10, 1), clerk_b)


def test_zero_report_is_refused_after_records_were_reported(october, client_for, clerk_a):
    with at(2024, 10, 20, 9, 0):
        page = client_for(clerk_a).post(ZERO, {"record_type": penalty().pk}, follow=True).content.decode()
    assert "已报送“行政处罚”记录，不能再作零报告" in page
    assert not ZeroReport.objects.filter(department=october["a"]).exists()


def test_zero_report_only_for_types_of_the_departments_powers(dept_b, client_for, clerk_b):
    license_type = RecordType.objects.get(code="license")
    with at(2024, 10, 20, 9, 0):
        page = client_for(clerk_b).post(ZERO, {"record_type": license_type.pk}, follow=True).content.decode()
        assert "请选择本部门承担报送职责的信息类型" in page
        with pytest.raises(ValidationError):
            zero_report_declare(user=clerk_b, record_type=license_type)
        with pytest.raises(ValidationError):
            zero_report_declare(user=clerk_b, record_type=penalty(), month=Month(datetime.date(2024, 9, 1)))
    assert not ZeroReport.objects.exists()


def test_only_clerks_declare(dept_b, client_for, reviewer_a, center):
    with at(2024, 10, 20, 9, 0):
        assert client_for(reviewer_a).post(ZERO, {"record_type": penalty().pk}).status_code == 403
        assert client_for(center).post(ZERO, {"record_type": penalty().pk}).status_code == 403
        with pytest.raises(PermissionDenied):
            zero_report_declare(user=center, record_type=penalty())
    assert not ZeroReport.objects.exists()
