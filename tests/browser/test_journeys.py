import pytest

from apps.accounts.models import User
from apps.subjects.codes import build_uscc
from apps.subjects.services import subject_create
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _login(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_clerk_logs_in_and_sees_only_the_clerk_menu(page, clerk_a):
    _login(page, "clerk_a")
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="信用主体").wait_for()
    assert nav.get_by_role("link", name="用户管理").count() == 0
    assert "乳山市市场监督管理局" in page.content()
    page.get_by_role("button", name="退出").click()
    page.get_by_role("link", name="登录").wait_for()


def test_enterprise_registers_claims_its_subject_and_center_approves(page, browser, live_server, center):
    company = subject_create(
        kind="legal", name="乳山市银滩旅游开发有限公司", uscc=build_uscc("91", "371083", "MA3CYT01")
    )

    page.goto("/accounts/register/")
    page.get_by_label("用户名").fill("yintan")
    page.get_by_label("联系人姓名").fill("赵银滩")
    page.get_by_label("手机号码").fill("13806310000")
    page.get_by_label("电子邮箱").fill("yt@example.com")
    page.get_by_label("账号类型").select_option("enterprise")
    page.locator("#id_password1").fill("Yintan-2024-pass")
    page.locator("#id_password2").fill("Yintan-2024-pass")
    page.get_by_role("button", name="注册").click()
    page.get_by_text("注册成功").wait_for()

    # Full-width, lower-case input is accepted: the code is normalised, not rejected.
    fullwidth = company.uscc.lower().translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789abcdefghijklmnopqrstuvwxyz"}
    )
    page.get_by_label("统一社会信用代码 / 身份证号码").fill(fullwidth)
    page.get_by_label("主体名称（须与登记名称一致）").fill(company.name)
    page.get_by_label("认领说明").fill("法定代表人本人申请")
    page.get_by_role("button", name="提交认领申请").click()
    page.get_by_text("认领申请已提交").wait_for()
    assert "待审核" in page.content()

    staff = browser.new_context(base_url=live_server.url).new_page()
    _login(staff, "center")
    staff.goto("/accounts/claims/review/")
    row = staff.get_by_role("row").filter(has_text=company.name)
    row.get_by_role("button", name="提交").click()
    staff.get_by_text("已处理").wait_for()

    page.goto("/accounts/")
    page.get_by_text(f"已认领主体：{company.name}").wait_for()
    assert User.objects.get(username="yintan").subject == company
