"""Commitments and 信易+ in the browser: sign online → public page (masked) → fulfilment; scenarios with reasons."""

import re

import pytest

from apps.accounts.choices import SubjectAccountKind
from apps.commitments.models import Commitment, CommitmentTemplate
from apps.evaluation.models import SubjectGrade
from apps.evaluation.services import evaluation_run
from apps.records.models import Record
from apps.subjects.codes import build_uscc
from apps.subjects.services import subject_create
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ID_NUMBER = "37108319900119123X"


def _login(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="主导航").wait_for()


def test_person_signs_online_public_page_masks_and_department_records_breach(
    page, browser, live_server, subject_user, clerk_a, dept_a
):
    template = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    template.supervising_department = dept_a
    template.save()
    person = subject_create(kind="person", name="王小明", id_number=ID_NUMBER)
    subject_user.subject = person
    subject_user.account_kind = SubjectAccountKind.PERSON
    subject_user.save()

    _login(page, "subject")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的信用承诺").click()
    page.get_by_label("承诺事项").select_option(label=str(template))
    page.get_by_label("本人已阅读承诺书全文，自愿作出承诺").check()
    page.get_by_role("button", name="签署").click()
    page.get_by_text("已签署信用承诺，编号").wait_for()
    commitment = Commitment.objects.get(subject=person)
    assert re.fullmatch(r"371083\d{8}\d{6}", commitment.code)
    assert "待履约核实" in page.get_by_role("row").filter(has_text=commitment.code).inner_text()

    # Public 信用承诺公示, anonymous: the person's name and ID number are masked.
    public = browser.new_context(base_url=live_server.url).new_page()
    public.goto("/commitments/public/")
    row = public.get_by_role("row").filter(has_text=commitment.code)
    row.wait_for()
    text = row.inner_text()
    assert "王**" in text and "王小明" not in text
    assert ID_NUMBER not in public.content() and "王小明" not in public.content()
    assert person.id_number_masked and person.id_number_masked in text

    # The supervising department records 全部未履行: the breach becomes a dishonesty record.
    staff = browser.new_context(base_url=live_server.url).new_page()
    _login(staff, "clerk_a")
    staff.get_by_role("navigation", name="主导航").get_by_role("link", name="信用承诺").click()
    staff.get_by_role("row").filter(has_text=commitment.code).get_by_role("link", name="录入履约情况").click()
    staff.get_by_label("履约情况").select_option(label="全部未履行")
    staff.get_by_role("button", name="保存").click()
    staff.get_by_text("必须填写未履行的内容").wait_for()
    staff.get_by_label("履约情况").select_option(label="全部未履行")
    staff.get_by_label("未履行内容").fill("未在期限内补齐公司章程")
    staff.get_by_label("后续处理").fill("撤销登记，记入失信记录")
    staff.get_by_label("失信程度").select_option(label="一般失信")
    staff.get_by_role("button", name="保存").click()
    staff.get_by_text("已录入履约情况").wait_for()

    commitment.refresh_from_db()
    assert commitment.status == "breached"
    assert Record.objects.filter(subject=person, record_type__code="commitment_breach").count() == 1
    public.reload()
    assert "全部未履行" in public.get_by_role("row").filter(has_text=commitment.code).inner_text()


def test_enterprise_sees_scenarios_it_qualifies_for_and_the_reason_for_one_it_does_not(page, subject_user):
    company = subject_create(kind="legal", name="乳山市守信食品有限公司", uscc=build_uscc("91", "371083", "MA3CXY01"))
    subject_user.subject = company
    subject_user.save()
    evaluation_run()
    assert SubjectGrade.objects.get(subject=company).grade in ("A", "B")

    _login(page, "subject")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="信易+", exact=True).click()
    page.get_by_role("heading", name=re.compile("可以享受的场景")).wait_for()
    eligible = page.locator("h2:has-text('可以享受的场景') + ul")
    assert "信易行·停车先离场后付费" in eligible.inner_text()
    assert "信易阅·图书馆免押借阅" not in eligible.inner_text()
    library = page.get_by_role("row").filter(has_text="信易阅·图书馆免押借阅")
    assert "主体类别为法人及非法人组织，要求等于自然人。" in library.inner_text()
