"""Backup (pg_dump + uploaded files in one archive) and restore verification.

The archive (``.tar.gz``) holds ``database.dump`` (pg_dump custom format),
``private/`` (PRIVATE_MEDIA_ROOT: uploads, result workbooks) and
``manifest.json``: row counts of every table of the platform and the audit
chain head, all read in the *same snapshot* pg_dump dumps (REPEATABLE READ +
``pg_export_snapshot``), so they describe exactly what the dump holds even
while the portal keeps writing. ``backup_verify_restore`` restores into a
scratch database and checks counts, the whole audit chain and its head, and
every file's SHA-256 against the manifest.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.chain import chain_head

FORMAT_VERSION = 1


class BackupError(Exception):
    pass


def _pg_env(settings_dict) -> dict:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def _pg_args(settings_dict) -> list[str]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", settings_dict["USER"]]
    return args


def _tool(name: str) -> str:
    path = shutil.which(name, path=os.environ.get("PG_BIN_DIR") or None) or shutil.which(name)
    if not path:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client）或设置 PG_BIN_DIR。")
    return path


def counted_models():
    """Every concrete table of the platform's own apps, plus the audit trail."""
    from auditlog import get_logentry_model

    models = [m for m in django_apps.get_models() if m.__module__.startswith("apps.") and not m._meta.proxy]
    models.append(get_logentry_model())
    return sorted({m._meta.db_table: m for m in models if m._meta.managed}.items())


def _counts(cursor) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    for table, _model in counted_models():
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 — table names from _meta, quoted
        counts[table] = cursor.fetchone()[0]
    return counts


def _files(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def backup_create(*, output_dir: Path) -> tuple[Path, dict]:
    """Write one archive; returns its path and manifest."""
    if connection.vendor != "postgresql":
        raise BackupError("备份命令需要 PostgreSQL（DATABASE_URL）；嵌入式 SQLite 请直接复制 var/ 目录。")

    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive = output_dir / f"credit-backup-{stamp}.tar.gz"
    media_root = Path(settings.PRIVATE_MEDIA_ROOT)
    db = connection.settings_dict
    with tempfile.TemporaryDirectory(prefix="credit-backup-") as tmp:
        dump = Path(tmp) / "database.dump"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            result = subprocess.run(  # noqa: S603 — fixed tool, arguments from settings
                [
                    _tool("pg_dump"),
                    *_pg_args(db),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    db["NAME"],
                ],
                env=_pg_env(db),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
            counts = _counts(cursor)
            head_seq, head_hash = chain_head()
        files = _files(media_root)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "database": db["NAME"],
            "dump_sha256": hashlib.sha256(dump.read_bytes()).hexdigest(),
            "counts": counts,
            "audit_chain_head": {"seq": head_seq, "hash": head_hash},
            "files": files,
        }
        (Path(tmp) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / "manifest.json", arcname="manifest.json")
            tar.add(dump, arcname="database.dump")
            if media_root.exists():
                tar.add(media_root, arcname="private")
        partial.rename(archive)  # never leave a half-written archive under the final name
    return archive, manifest


@dataclass
class RestoreReport:
    scratch_database: str
    counts: dict = field(default_factory=dict)
    head: tuple = (0, "")
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def _admin_connection(db, dbname="postgres"):
    import psycopg

    return psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=dbname,
        autocommit=True,
    )


def _verify_chain_in(db, name) -> tuple[tuple[int, str], list[str]]:
    """Run ``verify_audit_chain`` against the restored database, in its own process
    (same code, same chain key, a database the running portal knows nothing about)."""
    from urllib.parse import quote

    user = quote(db.get("USER") or "", safe="")
    password = (":" + quote(db["PASSWORD"], safe="")) if db.get("PASSWORD") else ""
    url = f"postgres://{user}{password}@{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{name}"
    env = {**os.environ, "DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": "1"}
    result = subprocess.run(  # noqa: S603 — our own manage.py
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "verify_audit_chain", "--max-problems", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    head = (0, "")
    for line in result.stdout.splitlines():
        if line.startswith("链头 "):
            seq, _, digest = line.removeprefix("链头 ").partition(":")
            head = (int(seq), digest.strip())
    problems = [] if result.returncode == 0 else [p for p in result.stderr.splitlines() if p.strip()][-21:]
    return head, problems


def backup_verify_restore(*, archive: Path, scratch_name: str | None = None, keep: bool = False) -> RestoreReport:
    """Restore ``archive`` into a scratch database and compare it with the manifest."""
    from psycopg import sql

    db = connection.settings_dict
    scratch = scratch_name or f"{db['NAME']}_restore_check"
    if scratch == db["NAME"]:
        raise BackupError("临时恢复库不能与正在使用的数据库同名。")
    report = RestoreReport(scratch_database=scratch)
    with tempfile.TemporaryDirectory(prefix="credit-restore-") as tmp:
        root = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(root, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"备份文件无法读取（不完整或已损坏）：{exc}") from exc
        try:
            manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupError("备份文件中没有可读的 manifest.json。") from exc
        dump = root / "database.dump"
        if not dump.exists() or hashlib.sha256(dump.read_bytes()).hexdigest() != manifest.get("dump_sha256"):
            report.problems.append("数据库转储文件缺失或与清单的校验和不符")
            return report
        for name, digest in manifest.get("files", {}).items():
            path = root / "private" / name
            if not path.is_file():
                report.problems.append(f"上传文件缺失：{name}")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                report.problems.append(f"上传文件内容与清单不符：{name}")
        with _admin_connection(db) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        try:
            result = subprocess.run(  # noqa: S603 — fixed tool, arguments from settings
                [
                    _tool("pg_restore"),
                    *_pg_args(db),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={scratch}",
                    str(dump),
                ],
                env=_pg_env(db),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                report.problems.append(f"pg_restore 失败：{result.stderr.strip()[:500]}")
                return report
            with _admin_connection(db, dbname=scratch) as restored:
                for table, expected in manifest["counts"].items():
                    got = restored.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[
                        0
                    ]
                    report.counts[table] = got
                    if got != expected:
                        report.problems.append(f"{table} 行数不符：清单 {expected}，恢复后 {got}")
            report.head, chain_problems = _verify_chain_in(db, scratch)
            report.problems.extend(f"恢复库审计链：{p}" for p in chain_problems)
            head = manifest["audit_chain_head"]
            if report.head != (head["seq"], head["hash"]):
                report.problems.append(
                    f"审计链头不符：清单 {head['seq']}:{head['hash']}，恢复后 {report.head[0]}:{report.head[1]}"
                )
        finally:
            if not keep:
                with _admin_connection(db) as admin:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
    return report


def default_backup_dir() -> Path:
    return Path(os.environ.get("BACKUP_DIR") or Path(settings.BASE_DIR) / "var" / "backups")
