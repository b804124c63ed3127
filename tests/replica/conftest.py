"""A real primary + hot standby pair (pg_basebackup -R, private ports), private Redis, and the portal under
gunicorn reading public pages from the standby (DATABASE_REPLICA_URL). Both servers log every statement,
so a test sees which server answered a request's queries."""

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.faults.harness import PG_BIN, Portal, PrivatePostgres, PrivateRedis, PrivateReplica, services_available

PASSWORD = "Xy7!credit-pass"
LOGGED = "-c log_statement=all"

# Three published penalties of one company, decided 40 days ago (inside the publicity window): one for the
# stale-read control, one to revoke, one for reports. Names and numbers are written to files for the tests.
SEED = f"""
import datetime, pathlib
from django.utils import timezone
from apps.accounts.choices import Role
from apps.accounts.models import Department, Power, User
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row

out = pathlib.Path("{{out}}")
power = Power.objects.get_or_create(code="penalty", defaults={{"name": "行政处罚"}})[0]
dept, _ = Department.objects.get_or_create(
    code="scjgj", defaults=dict(name="乳山市市场监督管理局", uscc="11371083MB1234562X", region_code="371083")
)
dept.powers.add(power)
user = User(username="center", role=Role.CENTER, full_name="center")
user.set_password({PASSWORD!r})
user.save()
decided = (timezone.localdate() - datetime.timedelta(days=40)).isoformat()
for n, name in [(1, "control"), (2, "revoke"), (3, "report")]:
    row = penalty_row(dept, 1, CF_JDRQ=decided, CF_WSH=f"乳市监罚〔2026〕{{n}}号")
    summary = records_ingest(record_type="penalty", department=dept, rows=[(2, row)])
    outcome = summary.outcomes[0]
    assert outcome.outcome == "accepted", outcome.problems
    record = Record.objects.get(pk=outcome.record_id)
    assert record.status == "published", record.status
    (out / name).write_text(f"{{record.pk}} {{record.subject_id}} {{record.decision_number}}")

# A fourth, decided 150 days ago (past the 3-month minimum, still public): a repair application for it
# accepted and verified, waiting for the credit center's approval, which the test gives.
import io
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from apps.accounts.choices import SubjectAccountKind
from apps.repair.services.applications import (
    repair_application_accept, repair_application_submit, repair_application_verify,
)
decided = (timezone.localdate() - datetime.timedelta(days=150)).isoformat()
row = penalty_row(dept, 1, CF_JDRQ=decided, CF_WSH="乳市监罚〔2026〕4号")
record = Record.objects.get(pk=records_ingest(record_type="penalty", department=dept, rows=[(2, row)]).outcomes[0].record_id)
owner = User(username="owner", role=Role.SUBJECT, account_kind=SubjectAccountKind.ENTERPRISE, subject=record.subject)
owner.set_password({PASSWORD!r})
owner.save()
reviewer = User(username="reviewer", role=Role.REVIEWER, department=dept, full_name="reviewer")
reviewer.set_password({PASSWORD!r})
reviewer.save()
png = io.BytesIO()
Image.new("RGB", (8, 8), "white").save(png, format="PNG")
materials = [
    ("commitment", SimpleUploadedFile("承诺书.pdf", chr(10).join(["%PDF-1.4", "1 0 obj<<>>endobj", "trailer<<>>", "%%EOF", ""]).encode(), content_type="application/pdf")),
    ("fulfilment", SimpleUploadedFile("缴款凭证.png", png.getvalue(), content_type="image/png")),
]
(application,) = repair_application_submit(
    records=[record], subject=record.subject, applicant=owner, contact_name="张伟", contact_phone="13800000000",
    statement="罚款已缴清。", materials=materials,
)
repair_application_accept(application=application, actor=user)
repair_application_verify(application=application, actor=reviewer, agrees=True, opinion="整改到位。")
(out / "repair").write_text(f"{{application.pk}} {{record.subject_id}} {{record.decision_number}}")
"""


@pytest.fixture(scope="package")
def pair():
    reason = services_available() or (None if (PG_BIN / "pg_basebackup").exists() else "pg_basebackup not found")
    if reason:
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="credit-replica-"))
    redis = PrivateRedis(workdir).start()
    primary = PrivatePostgres(workdir, settings=LOGGED).init()
    replica = PrivateReplica(workdir, primary, settings=LOGGED)
    portal = None
    try:
        replica.init()
        portal = Portal(
            workdir,
            database_url=primary.url,
            redis_url=redis.url,
            extra_env={
                "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{replica.port}/credit",
                "DB_REPLICA_RETRY_SECONDS": "2",
                "CELERY_TASK_ALWAYS_EAGER": "1",
                "PORTAL_RATE_SEARCH": "100000/m",
                "PORTAL_RATE_PROFILE": "100000/m",
                "PORTAL_RATE_REPORT": "100000/h",
                "PORTAL_RATE_VERIFY": "100000/m",
            },
        )
        portal.prepare(SEED.replace("{out}", str(portal.dir)))
        portal.start()
        yield {"primary": primary, "replica": replica, "portal": portal, "redis": redis, "dir": portal.dir}
    finally:
        if portal is not None:
            portal.stop()
        redis.stop()
        replica.stop(mode="immediate")
        primary.stop(mode="immediate")
        shutil.rmtree(workdir, ignore_errors=True)


def sql(server, query, params=()):
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=credit", autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []
