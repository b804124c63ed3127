"""The record page's history names fields and statuses, never their codes (issue 16 bug 5)."""

import pytest
from django.urls import reverse

from apps.records.models import Record
from apps.records.services import record_approve, records_ingest

from .factories import penalty_row

pytestmark = pytest.mark.django_db


def test_history_shows_labels_not_codes(client_for, dept_a, clerk_a, reviewer_a):
    dept_a.requires_review = True
    dept_a.save()
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))], actor=clerk_a)
    record = Record.objects.get()
    record_approve(record=record, reviewer=reviewer_a)
    records_ingest(
        record_type="penalty", department=dept_a, actor=clerk_a, reason="金额录入错误",
        rows=[(None, penalty_row(dept_a, CF_NR="罚款人民币8000元。"))],
    )  # fmt: skip
    html = client_for(clerk_a).get(reverse("records:detail", args=[record.pk])).content.decode()
    history = html[html.index("<tbody>", html.index("历史")) :]
    assert "状态：待部门审核 → 已报送" in history
    assert "处罚内容：罚款人民币5000元，没收违法所得1200元。 → 罚款人民币8000元。" in history
    for code in ("pending_review", "published", "CF_NR", "CF_"):
        assert code not in history
