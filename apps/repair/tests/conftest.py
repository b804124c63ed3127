"""Fixtures of the repair tests: a published penalty past its minimum period, its subject's account, files."""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row

# A penalty decided 2024-09-27 (一般失信: minimum 3 months → 2024-12-27, maximum 1 year → 2025-09-27).
DECIDED = "2024-09-27"
TODAY = datetime.date(2025, 3, 3)  # a Monday, past the minimum period
NOW = datetime.datetime(2025, 3, 3, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


def travel(when=NOW):
    return time_machine.travel(when, tick=False)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Uploaded materials go to a throw-away private root, never into the project."""
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }
    return tmp_path


def ingest_penalty(department, n=1, today=None, **overrides):
    summary = records_ingest(
        record_type="penalty",
        department=department,
        rows=[(2, penalty_row(department, n, **overrides))],
        today=today,
    )
    outcome = summary.outcomes[0]
    assert outcome.outcome == "accepted", outcome.problems
    return Record.objects.select_related("record_type", "department", "subject").get(pk=outcome.record_id)


@pytest.fixture
def penalty(dept_a):
    """A published penalty of department A, reported on its decision day."""
    with time_machine.travel(datetime.datetime(2024, 9, 27, 2, 0, tzinfo=datetime.UTC), tick=False):
        return ingest_penalty(dept_a, 1)


@pytest.fixture
def owner(subject_user, penalty):
    """The subject's account, its claim approved."""
    subject_user.subject = penalty.subject
    subject_user.email = "owner@example.com"
    subject_user.save()
    return subject_user


def pdf_file(name="file.pdf", size=0):
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"0" * size + b"\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def png_file(name="scan.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def materials():
    return [("commitment", pdf_file("承诺书.pdf")), ("fulfilment", png_file("缴款凭证.png"))]


# The real-worker fixture of the platform's Celery integration test, reused as is.
from tests.test_celery_worker import worker  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the shared cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def owner_files(owner, record) -> dict:
    """The arguments of ``owner``'s ordinary, complete repair application for ``record``."""
    return {
        "records": [record], "subject": owner.subject, "applicant": owner, "contact_name": "张伟",
        "contact_phone": "13800000000", "statement": "罚款已缴清。", "materials": materials(),
    }  # fmt: skip
