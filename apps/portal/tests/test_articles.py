"""政策法规 / 信用动态 / 诚信典型: the credit center writes, the public reads, hostile text stays text."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from apps.portal.models import Article

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "quotes"'


def form(**overrides):
    return {
        "title": "关于印发《信用修复管理办法》的通知",
        "category": "policy",
        "body": "第一段。\n第二行。\n\n第二段。",
        "is_published": "on",
        "published_on": "",
        **overrides,
    }


def test_center_creates_publishes_edits_and_unpublishes(client_for, center):
    staff = client_for(center)
    response = staff.post(reverse("portal:article_create"), form())
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.is_published and article.published_on == datetime.date.today()
    assert article.created_by == center and article.updated_by == center
    assert LogEntry.objects.get_for_object(article).exists()

    public = Client()
    listing = public.get(reverse("portal:articles")).content.decode()
    assert "信用修复管理办法" in listing
    home = public.get(reverse("portal:home")).content.decode()
    assert reverse("portal:article", args=[article.pk]) in home
    detail = public.get(reverse("portal:article", args=[article.pk])).content.decode()
    assert "<p>第一段。<br>第二行。</p>" in detail and "<p>第二段。</p>" in detail

    staff.post(reverse("portal:article_edit", args=[article.pk]), form(title="新标题", category="exemplar"))
    article.refresh_from_db()
    assert (article.title, article.category) == ("新标题", "exemplar")
    exemplars = public.get(reverse("portal:articles"), {"category": "exemplar"}).content.decode()
    assert "新标题" in exemplars
    assert "新标题" not in public.get(reverse("portal:articles"), {"category": "news"}).content.decode()

    assert staff.post(reverse("portal:article_unpublish", args=[article.pk])).status_code == 302
    article.refresh_from_db()
    assert not article.is_published
    assert public.get(reverse("portal:article", args=[article.pk])).status_code == 404
    assert "新标题" not in public.get(reverse("portal:articles")).content.decode()
    assert "新标题" in staff.get(reverse("portal:article_manage")).content.decode()


def test_unpublished_and_future_articles_are_not_public(center):
    draft = Article.objects.create(title="草稿", category="news", body="x")
    future = Article.objects.create(
        title="明日发布",
        category="news",
        body="x",
        is_published=True,
        published_on=datetime.date.today() + datetime.timedelta(days=1),
    )
    public = Client()
    for a in (draft, future):
        assert public.get(reverse("portal:article", args=[a.pk])).status_code == 404
    listing = public.get(reverse("portal:articles")).content.decode()
    assert "草稿" not in listing and "明日发布" not in listing


def test_hostile_text_is_shown_inert(client_for, center):
    client_for(center).post(reverse("portal:article_create"), form(title=HOSTILE, body=HOSTILE + "\n\n" + HOSTILE))
    article = Article.objects.get()
    assert article.title == " ".join(HOSTILE.split())
    for url in (reverse("portal:article", args=[article.pk]), reverse("portal:articles"), reverse("portal:home")):
        html = Client().get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_problem_reported_at_once_in_chinese(client_for, center):
    response = client_for(center).post(
        reverse("portal:article_create"), {"title": "  ", "category": "bogus", "body": "", "published_on": "2024-13-40"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    for message in ("请填写标题。", "栏目不正确。", "请填写正文。", "发布日期格式不正确"):
        assert message in html
    assert not Article.objects.exists()


@pytest.mark.parametrize("who", ["clerk_a", "reviewer_a", "subject_user"])
def test_clerks_reviewers_and_subjects_cannot_edit(who, request, client_for):
    article = Article.objects.create(
        title="原标题", category="news", body="x", is_published=True, published_on=datetime.date.today()
    )
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("portal:article_manage")).status_code == 403
    assert client.post(reverse("portal:article_create"), form()).status_code == 403
    assert client.post(reverse("portal:article_edit", args=[article.pk]), form(title="改了")).status_code == 403
    assert client.post(reverse("portal:article_unpublish", args=[article.pk])).status_code == 403
    article.refresh_from_db()
    assert article.title == "原标题" and article.is_published
    assert Article.objects.count() == 1


def test_anonymous_cannot_edit():
    article = Article.objects.create(
        title="原标题", category="news", body="x", is_published=True, published_on=datetime.date.today()
    )
    anon = Client()
    login = reverse("accounts:login")
    for url in (reverse("portal:article_manage"), reverse("portal:article_create")):
        assert anon.get(url)["Location"].startswith(login)
    response = anon.post(reverse("portal:article_edit", args=[article.pk]), form(title="改了"))
    assert response.status_code == 302 and response["Location"].startswith(login)
    response = anon.post(reverse("portal:article_unpublish", args=[article.pk]))
    assert response.status_code == 302 and response["Location"].startswith(login)
    article.refresh_from_db()
    assert article.title == "原标题" and article.is_published


def test_unpublish_is_post_only(client_for, center):
    article = Article.objects.create(
        title="t", category="news", body="x", is_published=True, published_on=datetime.date.today()
    )
    assert client_for(center).get(reverse("portal:article_unpublish", args=[article.pk])).status_code == 405
    article.refresh_from_db()
    assert article.is_published
