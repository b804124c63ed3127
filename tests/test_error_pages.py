"""Error pages are Chinese and inside the site's layout, with the reason where there is one (issue 16 bug 2)."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from credit_portal import errors, urls

pytestmark = pytest.mark.django_db
ENGLISH = ("Not Found", "Forbidden", "Bad Request", "Server Error", "CSRF verification failed", "No Record matches")


def assert_site_page(response, status, title):
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in html
    assert "公共信用信息平台 · 主办" in html  # the site's footer: the page is inside the layout
    for word in ENGLISH:
        assert word not in html
    return html


def test_unknown_page_is_a_chinese_404(client):
    assert_site_page(client.get("/no-such-page/"), 404, "页面不存在")


def test_missing_object_hides_the_frameworks_english_message(client_for, clerk_a):
    assert_site_page(client_for(clerk_a).get(reverse("records:detail", args=[999999])), 404, "页面不存在")


def test_forbidden_page_keeps_the_reason(client_for, clerk_a):
    # dept_a holds the licence and penalty powers only.
    html = assert_site_page(client_for(clerk_a).get(reverse("records:create", args=["inspection"])), 403, "无权访问")
    assert "本部门不具有该类信息的报送职权。" in html


def test_bad_host_is_a_chinese_400(client):
    assert_site_page(client.get("/", HTTP_HOST="evil.example"), 400, "请求有误")


def test_csrf_failure_is_explained_in_chinese():
    response = Client(enforce_csrf_checks=True).post(reverse("accounts:login"), {"username": "a", "password": "b"})
    html = assert_site_page(response, 403, "无权访问")
    assert "请刷新页面后重新提交" in html


def test_server_error_page_needs_no_database_and_names_the_site(settings, django_assert_num_queries):
    settings.SITE_NAME = "信用测试县"
    assert urls.handler500 == "credit_portal.errors.server_error"
    with django_assert_num_queries(0):
        response = errors.server_error(RequestFactory().get("/search/"))
    html = assert_site_page(response, 500, "系统繁忙")
    assert "信用测试县公共信用信息平台" in html


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json() == {"detail": "未找到。"}
    assert errors.server_error(RequestFactory().get("/api/v1/records/")).status_code == 500
