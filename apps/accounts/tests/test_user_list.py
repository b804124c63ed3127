"""The admin finds a user by name, username or department, and by role (issue 16 item 9)."""

import pytest
from django.urls import reverse

from apps.accounts.choices import Role

pytestmark = pytest.mark.django_db


def test_user_list_search(client_for, admin_user, clerk_a, clerk_b, reviewer_a, dept_a):
    client = client_for(admin_user)
    by_department = client.get(reverse("accounts:user_list"), {"q": dept_a.name[-6:]}).context["users"]
    assert set(by_department) == {clerk_a, reviewer_a}
    by_role = client.get(reverse("accounts:user_list"), {"q": "", "role": Role.REVIEWER}).context["users"]
    assert list(by_role) == [reviewer_a]
    nothing = client.get(reverse("accounts:user_list"), {"q": "不存在的人"})
    assert "没有符合条件的用户。" in nothing.content.decode()
    assert client.get(reverse("accounts:user_list"), {"role": "nonsense"}).status_code == 200
