import io
import json
import tarfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.accounts.models import Power
from apps.audit.chain import chain_head

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"),
]


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "private"
    (root / "uploads" / "2024" / "10").mkdir(parents=True)
    (root / "uploads" / "2024" / "10" / "a.xlsx").write_bytes(b"PK\x03\x04 workbook")
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def _backup(tmp_path):
    out = io.StringIO()
    call_command("backup", "--output-dir", str(tmp_path / "backups"), stdout=out)
    archives = list((tmp_path / "backups").glob("*.tar.gz"))
    assert len(archives) == 1, out.getvalue()
    return archives[0], out.getvalue()


def test_backup_then_verified_restore(tmp_path, media):
    for i in range(3):
        Power.objects.create(code=f"b{i}", name=f"备份测试{i}")
    seq, digest = chain_head()
    archive, out = _backup(tmp_path)
    assert f"审计链头 {seq}:{digest}" in out
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "database.dump", "private/uploads/2024/10/a.xlsx"} <= set(names)
    assert manifest["counts"]["accounts_power"] == Power.objects.count()
    assert manifest["audit_chain_head"] == {"seq": seq, "hash": digest}
    # Writes after the backup do not change what the archive holds.
    Power.objects.create(code="late", name="备份之后")
    verified = io.StringIO()
    call_command("verify_restore", str(archive), stdout=verified)
    assert "恢复校验通过" in verified.getvalue() and f"{seq}:{digest}" in verified.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", ["%restore_check"])
        assert cursor.fetchone()[0] == 0  # the scratch database is dropped


def _rewrite(archive, tmp_path, change):
    """Rebuild the archive with ``change(manifest)`` applied (a tampered or mismatched backup)."""
    root = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    manifest = json.loads((root / "manifest.json").read_text())
    change(manifest, root)
    (root / "manifest.json").write_text(json.dumps(manifest))
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for path in root.iterdir():
            tar.add(path, arcname=path.name)
    return bad


def test_restore_that_does_not_match_its_manifest_fails(tmp_path, media):
    Power.objects.create(code="x", name="x")
    archive, _ = _backup(tmp_path)

    def change(manifest, root):
        manifest["counts"]["accounts_power"] += 1
        manifest["audit_chain_head"]["hash"] = "0" * 64
        (root / "private" / "uploads" / "2024" / "10" / "a.xlsx").write_bytes(b"changed")

    err = io.StringIO()
    with pytest.raises(CommandError, match="恢复校验失败：3 个问题"):
        call_command("verify_restore", str(_rewrite(archive, tmp_path, change)), stdout=io.StringIO(), stderr=err)
    assert "accounts_power 行数不符" in err.getvalue() and "审计链头不符" in err.getvalue()
    assert "上传文件内容与清单不符" in err.getvalue()


def test_damaged_archive_is_refused(tmp_path, media):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="备份文件无法读取"):
        call_command("verify_restore", str(broken), stdout=io.StringIO())
