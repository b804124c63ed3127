"""The record page's history names fields and statuses, never their codes (issue 16 bug 5)."""

import pytest
from django.urls import reverse

from apps.records.history import record_events
from apps.records.models import Record, RecordEvent
from apps.records.services import records_ingest
from apps.records.workflow import record_approve

from .factories import penalty_row

pytestmark = pytest.mark.django_db


def test_history_shows_labels_not_codes(client_for, dept_a, clerk_a, reviewer_a):
    dept_a.requires_review = True
    dept_a.save()
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))], actor=clerk_a)
    record = Record.objects.get()
    record_approve(record=record, reviewer=reviewer_a)
    records_ingest(
        record_type="penalty",
        department=dept_a,
        actor=clerk_a,
        reason="金额录入错误",
        rows=[(None, penalty_row(dept_a, CF_NR="罚款人民币8000元。"))],
    )
    html = client_for(clerk_a).get(reverse("records:detail", args=[record.pk])).content.decode()
    history = html[html.index("<tbody>", html.index("历史")) :]
    assert "状态：待部门审核 → 已报送" in history
    assert "处罚内容：罚款人民币5000元，没收违法所得1200元。 → 罚款人民币8000元。" in history
    for code in ("pending_review", "published", "CF_NR", "CF_"):
        assert code not in history


def test_the_creation_is_shown_once_from_the_record_or_from_an_old_create_event(
    client_for, dept_a, clerk_a, reviewer_a
):
    dept_a.requires_review = True
    dept_a.save()
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))], actor=clerk_a)
    record = Record.objects.get()
    record_approve(record=record, reviewer=reviewer_a)
    assert list(record.events.values_list("action", flat=True)) == ["approve"]  # no "create" row written
    creation, approval = record_events(record)
    # Built from the record: its creator, time, and the status it was created in (before its approval).
    assert (creation.action, creation.actor, creation.at) == ("create", clerk_a, record.created_at)
    assert creation.after == {"status": "pending_review"} and approval.action == "approve"
    history = _history_html(client_for(clerk_a), record)
    assert history.count("新增") == 1 and "状态：— → 待部门审核" in history

    # A record stored before creations stopped being events keeps its own "create" event, shown alone.
    old = RecordEvent.objects.create(
        record=record, action="create", actor_label="旧系统", after={"status": "pending_review"}
    )
    RecordEvent.objects.filter(pk=old.pk).update(at=record.created_at)
    assert [e.action for e in record_events(record)] == ["create", "approve"]
    history = _history_html(client_for(clerk_a), record)
    assert history.count("新增") == 1 and "旧系统" in history


def _history_html(client, record):
    html = client.get(reverse("records:detail", args=[record.pk])).content.decode()
    start = html.index("<tbody>", html.index("历史"))
    return html[start : html.index("</tbody>", start)]
