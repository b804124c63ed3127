"""Subject accounts reset a forgotten password by e-mail; staff accounts cannot; the form is no oracle."""

import re

from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from apps.accounts.choices import Role, SubjectAccountKind
from apps.accounts.models import User


def _subject(email="boss@example.com"):
    user = User(username="xinyuan", role=Role.SUBJECT, account_kind=SubjectAccountKind.ENTERPRISE, email=email)
    user.set_password("Old-pass-9731!")
    user.save()
    return user


def _ask(client, email):
    return client.post(reverse("accounts:password_reset"), {"email": email})


def test_subject_account_resets_its_password_through_the_mailed_link(db, settings):
    settings.SITE_NAME = "信用乳山"
    cache.clear()
    user = _subject()
    client = Client()
    response = _ask(client, "BOSS@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@example.com"]
    body = mail.outbox[0].body
    assert "信用乳山" in mail.outbox[0].subject and "xinyuan" in body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "设置新密码" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "New-pass-4862!", "new_password2": "New-pass-4862!"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("New-pass-4862!")
    # The link is single-use.
    assert "无效或已使用" in client.get(link, follow=True).content.decode()


def test_staff_and_unknown_addresses_get_the_same_answer_and_no_mail(clerk_a, center):
    cache.clear()
    clerk_a.email, center.email = "clerk@example.com", "center@example.com"
    clerk_a.save(), center.save()
    _subject()
    answers = {email: _ask(Client(), email) for email in ("clerk@example.com", "center@example.com", "nobody@x.cn")}
    assert {(r.status_code, r["Location"]) for r in answers.values()} == {
        (302, reverse("accounts:password_reset_sent"))
    }
    assert mail.outbox == []


def test_reset_requests_are_rate_limited_per_address(db, settings):
    cache.clear()
    settings.PORTAL_RATE_PASSWORD_RESET = "3/h"
    _subject()
    client = Client()
    statuses = [_ask(client, "boss@example.com").status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3
    assert client.get(reverse("accounts:password_reset")).status_code == 200  # the form itself stays reachable


def test_login_page_links_to_the_reset():
    assert reverse("accounts:password_reset") in Client().get(reverse("accounts:login")).content.decode()
