"""The audit trail is hash-chained; tampering of any kind is detected."""

import threading

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection

from apps.accounts.models import Power
from apps.audit.chain import GENESIS, chain_head, chain_verify
from apps.audit.models import AuditChainLink

pytestmark = pytest.mark.django_db


def _make_entries(n=3):
    for i in range(n):
        Power.objects.create(code=f"p{i}", name=f"权力{i}")
    return list(LogEntry.objects.order_by("pk"))


def _run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    return out.getvalue()


def _fails(*args):
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_every_new_entry_is_linked_to_the_previous():
    entries = _make_entries(3)
    links = list(AuditChainLink.objects.order_by("seq"))
    assert [link.entry_id for link in links] == [e.pk for e in entries]
    assert links[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(links, links[1:], strict=False))
    out = _run()
    assert "审计哈希链完整" in out and f"链头 3:{links[-1].hash}" in out


def test_edited_entry_is_detected():
    entries = _make_entries(3)
    LogEntry.objects.filter(pk=entries[1].pk).update(changes_text="无变更")
    assert "审计记录被篡改" in _fails()
    # Changing the actor afterwards counts as tampering too.
    LogEntry.objects.filter(pk=entries[2].pk).update(remote_addr="10.0.0.9")
    assert len(chain_verify().problems) == 2


def test_deleted_entry_is_detected():
    entries = _make_entries(3)
    LogEntry.objects.filter(pk=entries[1].pk).delete()
    assert f"审计记录被删除：序号 2，记录编号 {entries[1].pk}" in _fails()


def test_deleted_entry_and_its_link_is_detected():
    entries = _make_entries(3)
    LogEntry.objects.filter(pk=entries[1].pk).delete()
    AuditChainLink.objects.filter(entry_id=entries[1].pk).delete()
    err = _fails()
    assert "链缺失" in err and "链断裂" in err


def test_inserted_entry_is_detected():
    entries = _make_entries(2)
    # bulk_create sends no post_save: like a row written straight into the table.
    forged = LogEntry.objects.bulk_create(
        [LogEntry(content_type_id=entries[0].content_type_id, object_pk="99", object_repr="伪造", action=0)]
    )[0]
    assert f"未入链的审计记录（绕过写入流程插入）：记录编号 {forged.pk}" in _fails()


def test_forged_link_for_inserted_entry_is_detected():
    entries = _make_entries(2)
    forged = LogEntry.objects.bulk_create(
        [LogEntry(content_type_id=entries[0].content_type_id, object_pk="99", object_repr="伪造", action=0)]
    )[0]
    # A forger without the chain key writes a plausible link at the head.
    head = AuditChainLink.objects.order_by("-seq").first()
    AuditChainLink.objects.create(seq=head.seq + 1, entry_id=forged.pk, prev_hash=head.hash, hash="f" * 64)
    assert "审计记录被篡改" in _fails()


def test_truncated_tail_is_detected_against_a_recorded_head():
    _make_entries(3)
    seq, digest = chain_head()
    _run("--expect-head", f"{seq}:{digest}")
    last = AuditChainLink.objects.get(seq=seq)
    LogEntry.objects.filter(pk=last.entry_id).delete()
    last.delete()
    assert chain_verify().ok  # the rest of the chain is intact ...
    assert "已不在链上" in _fails("--expect-head", f"{seq}:{digest}")  # ... but the recorded head is gone


def test_back_office_cannot_edit_or_delete_entries(client_for, admin_user):
    entry = _make_entries(1)[0]
    client = client_for(admin_user)
    change = client.get(f"/admin/auditlog/logentry/{entry.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert client.post(f"/admin/auditlog/logentry/{entry.pk}/change/", {"object_repr": "x"}).status_code == 403
    assert client.get(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/auditlog/logentry/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert client.post(f"/admin/audit/auditchainlink/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    assert chain_verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_do_not_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("advisory lock is PostgreSQL only")
    errors = []

    def writer(n):
        from django.db import connection as conn
        from django.db import transaction

        try:
            for i in range(8):
                with transaction.atomic():
                    Power.objects.create(code=f"w{n}-{i}", name=f"并发{n}-{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = chain_verify()
    assert report.ok, report.problems
    assert report.checked == LogEntry.objects.count() >= 32
