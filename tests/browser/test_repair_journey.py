"""The credit-repair journey in headless Chromium: a subject applies, the department verifies, the credit
center approves, and the penalty leaves the public 双公示 page and the credit check result."""

import datetime
import re

import pytest
from django.utils import timezone

from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _login(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="主导航").wait_for()


def test_subject_applies_department_verifies_center_approves_and_penalty_disappears(
    page, browser, live_server, dept_a, subject_user, clerk_a, reviewer_a, center
):
    decided = timezone.localdate() - datetime.timedelta(days=200)  # past the 3-month minimum, inside the year
    records_ingest(
        record_type="penalty",
        department=dept_a,
        rows=[(2, penalty_row(dept_a, 1, CF_JDRQ=decided.isoformat()))],
    )
    penalty = Record.objects.get()
    subject_user.subject = penalty.subject  # claim approved earlier
    subject_user.save()

    page.goto("/publicity/")
    page.get_by_text(penalty.decision_number).wait_for()

    # The subject applies from its own page, with the signed commitment and proof of payment.
    _login(page, "subject")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的信用信息").click()
    page.get_by_role("link", name="申请修复").click()
    assert page.get_by_label(penalty.decision_number, exact=False).is_checked()
    page.get_by_label("联系人").fill("张伟")
    page.get_by_label("联系电话").fill("13800000000")
    page.get_by_label("纠正失信行为情况说明").fill("罚款已缴清，问题产品已全部下架。")
    page.set_input_files("#id_commitment", files=[{"name": "承诺书.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.set_input_files(
        "#id_fulfilment", files=[{"name": "缴款凭证.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("信用修复申请已提交").wait_for()
    case_url = page.url

    staff = browser.new_context(base_url=live_server.url)
    center_page = staff.new_page()
    _login(center_page, "center")
    center_page.goto(case_url)
    center_page.get_by_role("button", name="受理", exact=True).click()
    center_page.get_by_text("已受理，已转信息提供部门核实").wait_for()

    department = browser.new_context(base_url=live_server.url).new_page()
    _login(department, "reviewer_a")
    department.get_by_role("navigation", name="主导航").get_by_role("link", name="信用修复", exact=True).click()
    department.get_by_role("link", name=re.compile(r"^XF\d+$")).click()
    department.get_by_label("同意修复", exact=True).check()
    department.get_by_label("核实情况").fill("经核实，罚款已缴清，整改到位。")
    department.get_by_role("button", name="提交核实意见").click()
    department.get_by_text("核实意见已提交信用中心").wait_for()

    center_page.goto(case_url)
    center_page.get_by_role("button", name="准予修复").click()
    center_page.get_by_text("已准予修复").wait_for()

    # Gone from the public 双公示 page and from the credit check, at once.
    page.goto("/publicity/")
    page.get_by_role("heading", level=1).wait_for()
    assert penalty.decision_number not in page.content()
    assert page.goto(f"/publicity/{penalty.pk}/").status == 404

    hall = browser.new_context(base_url=live_server.url).new_page()
    _login(hall, "clerk_a")
    hall.goto("/lists/checks/")
    hall.get_by_label("主体代码或名称").fill(penalty.subject_code)
    hall.get_by_label("办理事项").select_option("bidding")
    hall.get_by_role("button", name="核查", exact=True).click()
    hall.get_by_text(penalty.subject_name).first.wait_for()
    assert penalty.decision_number not in hall.content()
    # Still there internally, with its repair history.
    hall.goto(f"/records/{penalty.pk}/")
    hall.get_by_text("已信用修复").first.wait_for()
    assert "准予修复" in hall.content()
