"""Passwords are stored with Argon2 (issue 16 item 11: a login under 300 ms of server time); hashes
stored as PBKDF2 before the switch still sign in and are re-hashed with Argon2 on that login."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

import credit_portal.settings as configured
from apps.accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_hashers(settings):
    """The suite signs in with a fast hasher (conftest.py); these tests are about the configured ones."""
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS


def test_new_passwords_are_argon2(clerk_a):
    clerk_a.refresh_from_db()
    assert clerk_a.password.startswith("argon2$argon2id$")


def test_a_pbkdf2_password_from_before_the_switch_signs_in_and_is_upgraded(clerk_a):
    User.objects.filter(pk=clerk_a.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = Client().post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 302
    clerk_a.refresh_from_db()
    assert clerk_a.password.startswith("argon2$")
    assert clerk_a.check_password(PASSWORD)
