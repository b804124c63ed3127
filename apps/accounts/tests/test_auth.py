import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_and_logout(clerk_a):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:home")).status_code == 302


def test_wrong_password_shows_chinese_error(clerk_a):
    response = Client().post(reverse("accounts:login"), {"username": "clerk_a", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_login_is_locked_after_repeated_failures(clerk_a, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "clerk_a", "password": "wrong"})
    # Even the right password is refused while locked.
    response = client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "暂时锁定" in response.content.decode()
    assert client.get(reverse("accounts:home")).status_code == 302


def test_password_change_enforces_policy(client_for, clerk_a):
    client = client_for(clerk_a)
    weak = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200
    assert weak.context["form"].errors
    ok = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Stronger-pass-2025", "new_password2": "Stronger-pass-2025"},
    )
    assert ok.status_code == 302
    clerk_a.refresh_from_db()
    assert clerk_a.check_password("Stronger-pass-2025")


def test_forms_carry_csrf_protection(clerk_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 403
