"""The public evaluation-model page reads in words: no indicator codes, no source codes (issue 16 bug 5)."""

import pytest
from django.urls import reverse

from apps.evaluation.models import ScoringModel

pytestmark = pytest.mark.django_db


def test_model_page_shows_names_and_sources_in_chinese(client):
    model = ScoringModel.objects.order_by("-effective_from").first()
    assert model is not None and model.indicators  # the fixture model
    html = client.get(reverse("evaluation:model")).content.decode()
    for indicator in model.indicators:
        assert indicator["name"] in html
        assert f">{indicator['code']}<" not in html and indicator["code"] not in html
    for code in ("records", "lists", "commitments"):
        assert f"<td>{code}</td>" not in html
    assert "信用信息记录" in html
