import shutil
import tempfile
from pathlib import Path

import pytest

from .harness import Portal, PrivatePostgres, PrivateRedis, services_available

PASSWORD = "Xy7!credit-pass"

SEED = f"""
from apps.accounts.choices import Role
from apps.accounts.models import Department, Power, User
from apps.records.tests.upload_support import labels, penalty_cells, xlsx_bytes

power = Power.objects.get_or_create(code="penalty", defaults={{"name": "行政处罚"}})[0]
dept, _ = Department.objects.get_or_create(
    code="scjgj", defaults=dict(name="乳山市市场监督管理局", uscc="11371083MB1234562X", region_code="371083")
)
dept.powers.add(power)
for name, role, department in [("clerk_a", Role.CLERK, dept), ("center", Role.CENTER, None)]:
    user = User.objects.filter(username=name).first() or User(username=name, role=role, department=department, full_name=name)
    user.set_password({PASSWORD!r})
    user.save()
import pathlib
out = pathlib.Path("{{out}}")
"""


def seed_script(out_dir: Path) -> str:
    return (
        SEED.replace("{out}", str(out_dir))
        + """
for n in (1, 2):
    (out / f"upload{n}.xlsx").write_bytes(xlsx_bytes([labels(), penalty_cells(dept, 100 + n)]))
from apps.subjects.models import Subject
subject = Subject.objects.get_or_create(uscc="91371083MA3D00011X", defaults=dict(name="乳山市故障测试商贸有限公司", kind="legal"))[0]
(out / "subject_pk").write_text(str(subject.pk))
"""
    )


@pytest.fixture(scope="package")
def stack():
    """Private PostgreSQL + Redis + the portal under gunicorn (2 workers), shared by the fault tests."""
    reason = services_available()
    if reason:
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="credit-fault-"))
    redis = PrivateRedis(workdir).start()
    pg = PrivatePostgres(workdir).init()
    portal = Portal(workdir, database_url=pg.url, redis_url=redis.url)
    try:
        portal.prepare(seed_script(portal.dir))
        portal.start()
        yield {"redis": redis, "pg": pg, "portal": portal, "dir": portal.dir}
    finally:
        portal.stop()
        redis.stop()
        pg.stop(mode="immediate")
        shutil.rmtree(workdir, ignore_errors=True)
