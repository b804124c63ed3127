import pytest
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import Department, User

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login_from_the_back_office(client):
    for name in ["accounts:home", "accounts:user_list", "accounts:department_list", "accounts:claim_review"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_clerk_cannot_manage_users(client_for, clerk_a):
    client = client_for(clerk_a)
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:user_create")).status_code == 403
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "sneaky", "role": Role.ADMIN, "password": "Another-pass-2024", "is_active": "on"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_clerk_cannot_promote_themselves(client_for, clerk_a):
    response = client_for(clerk_a).post(
        reverse("accounts:user_update", args=[clerk_a.pk]), {"username": "clerk_a", "role": Role.ADMIN}
    )
    assert response.status_code == 403
    clerk_a.refresh_from_db()
    assert clerk_a.role == Role.CLERK


def test_clerk_cannot_edit_another_department(client_for, clerk_a, dept_b):
    response = client_for(clerk_a).post(
        reverse("accounts:department_update", args=[dept_b.pk]),
        {"code": dept_b.code, "name": "被篡改的部门", "uscc": dept_b.uscc, "region_code": "371083"},
    )
    assert response.status_code == 403
    dept_b.refresh_from_db()
    assert dept_b.name == "国家税务总局乳山市税务局"


def test_clerk_cannot_edit_own_department_either(client_for, clerk_a, dept_a):
    # Departments are master data of the credit center, not of the department itself.
    response = client_for(clerk_a).get(reverse("accounts:department_update", args=[dept_a.pk]))
    assert response.status_code == 403


def test_subject_account_cannot_reach_staff_pages(client_for, subject_user):
    client = client_for(subject_user)
    assert client.get(reverse("accounts:department_list")).status_code == 403
    assert client.get(reverse("accounts:claim_review")).status_code == 403


def test_admin_creates_a_clerk_with_department(client_for, admin_user, dept_a):
    response = client_for(admin_user).post(
        reverse("accounts:user_create"),
        {
            "username": "new_clerk",
            "full_name": "王晓燕",
            "role": Role.CLERK,
            "department": dept_a.pk,
            "password": "Ruishan-2024-pass",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(username="new_clerk")
    assert user.department == dept_a and user.check_password("Ruishan-2024-pass")


def test_admin_gets_every_problem_at_once_for_a_bad_user(client_for, admin_user):
    response = client_for(admin_user).post(reverse("accounts:user_create"), {"username": "", "role": Role.CLERK})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"username", "password", "department"} <= set(errors)
    assert "必须指定所属部门" in response.content.decode()


def test_center_creates_department_with_checked_uscc(client_for, center, powers):
    client = client_for(center)
    bad = client.post(
        reverse("accounts:department_create"),
        {"code": "wsjkj", "name": "乳山市卫生健康局", "uscc": "11371083MB1234567Y", "region_code": "371083"},
    )
    assert bad.status_code == 200
    assert "校验码" in bad.content.decode()
    good = client.post(
        reverse("accounts:department_create"),
        {
            "code": "wsjkj",
            "name": "乳山市卫生健康局",
            "uscc": "11371083mb1234562x",
            "region_code": "371083",
            "powers": [powers["license"].pk],
            "is_active": "on",
        },
    )
    assert good.status_code == 302
    assert Department.objects.get(code="wsjkj").uscc == "11371083MB1234562X"


def test_navigation_follows_the_role(client_for, clerk_a, center, admin_user):
    clerk_page = client_for(clerk_a).get(reverse("accounts:home")).content.decode()
    assert "用户管理" not in clerk_page and "工作日历" not in clerk_page and "信用主体" in clerk_page
    center_page = client_for(center).get(reverse("accounts:home")).content.decode()
    assert "工作日历" in center_page and "用户管理" not in center_page
    assert "用户管理" in client_for(admin_user).get(reverse("accounts:home")).content.decode()


def test_department_rule_is_said_once_and_saves_say_so(client_for, admin_user, center, dept_a):
    client = client_for(admin_user)
    bad = client.post(reverse("accounts:user_create"), {"username": "x_clerk", "role": Role.CLERK})
    assert bad.content.decode().count("部门填报员和部门审核员必须指定所属部门。") == 1
    # A role without a department drops the department left selected instead of refusing the form.
    good = client.post(
        reverse("accounts:user_create"),
        {
            "username": "new_center",
            "role": Role.CENTER,
            "department": dept_a.pk,
            "password": "Ruishan-2024-pass",
            "is_active": "on",
        },
        follow=True,
    )
    assert "已新建用户“new_center”。" in good.content.decode()
    assert User.objects.get(username="new_center").department is None
    saved = client_for(center).post(
        reverse("accounts:department_update", args=[dept_a.pk]),
        {
            "code": dept_a.code,
            "name": dept_a.name,
            "uscc": dept_a.uscc,
            "region_code": dept_a.region_code,
            "is_active": "on",
        },
        follow=True,
    )
    assert f"已保存部门“{dept_a.name}”。" in saved.content.decode()
