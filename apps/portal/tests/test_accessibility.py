"""Accessibility basics of the public pages: viewport, language, skip link, a label for every field, contrast."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.portal.models import Article
from apps.subjects.models import Subject

from .conftest import XINYUAN

pytestmark = pytest.mark.django_db

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class FieldAudit(HTMLParser):
    """Collects form fields, the ids labels point at, and which fields sit inside a <label>."""

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.ids: set[str] = set()
        self.viewport = False
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "meta" and a.get("name") == "viewport":
            self.viewport = "width=device-width" in (a.get("content") or "")
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and (a.get("type") or "text") not in UNLABELLED_TYPES:
            self.fields.append({**a, "_tag": tag, "_wrapped": self.label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)

    def unlabelled(self) -> list[str]:
        return [
            f"{f['_tag']} name={f.get('name')!r}"
            for f in self.fields
            if not (f["_wrapped"] or f.get("id") in self.label_for or f.get("aria-label") or f.get("aria-labelledby"))
        ]


def public_urls():
    article = Article.objects.create(
        title="信用动态一则", category="news", body="正文", is_published=True, published_on="2024-10-01"
    )
    return [
        reverse("portal:home"),
        reverse("portal:search") + "?q=鑫源",
        reverse("portal:profile", args=[Subject.objects.get(name=XINYUAN).pk]),
        reverse("portal:columns"),
        reverse("portal:guidance"),
        reverse("portal:articles"),
        reverse("portal:article", args=[article.pk]),
        reverse("reports:verify"),
        reverse("commitments:public"),
        reverse("scenarios:catalog"),
    ]


def test_public_pages_have_viewport_lang_skip_link_and_labelled_fields(county):
    client = Client()
    seen = 0
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        audit = FieldAudit()
        audit.feed(response.content.decode())
        assert audit.viewport, f"{url}: no responsive viewport meta"
        assert audit.lang.startswith("zh"), f"{url}: html lang"
        assert 'class="skip-link" href="#main"' in response.content.decode() and "main" in audit.ids, url
        assert not audit.unlabelled(), f"{url}: fields without a label: {audit.unlabelled()}"
        seen += len(audit.fields)
    assert seen >= 10  # search boxes, the report form, the verify form, the commitments search


def test_staff_article_form_fields_are_labelled(client_for, center):
    audit = FieldAudit()
    audit.feed(client_for(center).get(reverse("portal:article_create")).content.decode())
    assert len(audit.fields) >= 5 and not audit.unlabelled()


# --- contrast (WCAG 2.x relative luminance) -------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    root = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css.split("}", 1)[0]))
    link = re.search(r"^a \{ color: (#[0-9a-fA-F]{6}); \}", css, re.M).group(1)
    white = "#ffffff"
    text_pairs = {
        "body text": (root["ink"], white),
        "muted help text": (root["muted"], white),
        "muted on grey panels": (root["muted"], root["bg"]),
        "links": (link, white),
        "links on grey panels": (link, root["bg"]),
        "warning badge": (root["warn"], white),
        "ok badge": (root["ok"], white),
        "error text": (root["err"], white),
        "header text": (white, root["brand"]),
        "nav text": (white, root["brand-dark"]),
        "buttons": (white, root["brand"]),
    }
    low = {name: round(contrast(*pair), 2) for name, pair in text_pairs.items() if contrast(*pair) < 4.5}
    assert not low, f"below 4.5:1: {low}"
    # Field borders and the focus ring are non-text contrast: at least 3:1 against white.
    assert contrast("#8c959f", white) >= 3
    assert contrast("#1f2328", white) >= 3 and contrast("#f0b400", root["brand"]) >= 3
