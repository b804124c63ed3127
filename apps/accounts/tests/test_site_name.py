"""Every page names the site from ``SITE_NAME``, never the server it was reached on (issue 16 bug 1).

Django's auth views put ``site_name`` = the request host into their context
when django.contrib.sites is not installed; the login page read
"登录 - 127.0.0.1:8101公共信用信息平台" in its title, header and footer.
"""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
HOST = "127.0.0.1"


@pytest.mark.parametrize(
    "name",
    [
        "accounts:login",
        "accounts:password_reset",
        "accounts:password_reset_sent",
        "accounts:password_reset_complete",
        "portal:home",
        "accounts:register",
    ],
)
def test_anonymous_pages_name_the_site_not_the_host(client, settings, name):
    settings.SITE_NAME = "信用测试县"
    html = client.get(reverse(name), HTTP_HOST=HOST).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.strip().endswith("信用测试县公共信用信息平台"), title
    assert HOST not in html
    assert "信用测试县<span>公共信用信息平台</span>" in html  # the header's brand
    assert "信用测试县公共信用信息平台 · 主办" in html  # the footer


def test_signed_in_auth_pages_name_the_site(client, clerk_a, settings):
    settings.SITE_NAME = "信用测试县"
    client.force_login(clerk_a)
    html = client.get(reverse("accounts:password_change"), HTTP_HOST=HOST).content.decode()
    assert HOST not in html and "信用测试县公共信用信息平台" in html
