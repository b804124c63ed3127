"""Checking uploaded materials by what they contain, not by what they are called."""

import hashlib
import io
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Material

# Signature → (content type, extension). Office documents are not accepted:
# they can carry macros; scans and PDFs are what the rules ask for.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
ACCEPTED_LABEL = "PDF、JPG、PNG"
logger = logging.getLogger(__name__)
_guard = threading.local()


@dataclass
class CheckedFile:
    name: str
    data: bytes
    content_type: str
    extension: str


def material_check(uploaded) -> tuple[CheckedFile | None, list[str]]:
    """Read and check one upload; returns the file or the problems (中文, naming the file)."""
    name = (getattr(uploaded, "name", "") or "文件").rsplit("/", 1)[-1][:255]
    limit = settings.REPAIR_MATERIAL_MAX_MB * 1024 * 1024
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        return None, [f"“{name}”大小 {size / 1024 / 1024:.1f} MB，超过 {settings.REPAIR_MATERIAL_MAX_MB} MB 上限。"]
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)  # a form may have checked it already
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        return None, [f"“{name}”超过 {settings.REPAIR_MATERIAL_MAX_MB} MB 上限。"]
    if not data:
        return None, [f"“{name}”是空文件。"]
    found = next((sig for sig in _SIGNATURES if data.startswith(sig[0])), None)
    if found is None:
        return None, [f"“{name}”不是 {ACCEPTED_LABEL} 文件（按文件内容判断，与扩展名无关），请上传扫描件或 PDF。"]
    _signature, content_type, extension = found
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            return None, [f"“{name}”不是完整的 PDF 文件（文件可能已损坏或未上传完整）。"]
    else:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except Exception:  # untrusted bytes: any decoder error means a broken image
            return None, [f"“{name}”图片已损坏，无法打开。"]
    return CheckedFile(name, data, content_type, extension), []


def material_store(*, checked: CheckedFile, kind: str, user=None, application=None, objection=None) -> Material:
    from django.core.files.base import ContentFile

    material = Material(
        application=application,
        objection=objection,
        kind=kind,
        original_name=checked.name,
        content_type=checked.content_type,
        extension=checked.extension,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        uploaded_by=user if getattr(user, "pk", None) else None,
        uploaded_at=timezone.now(),
    )
    material.file.save(f"material{checked.extension}", ContentFile(checked.data), save=False)
    written = getattr(_guard, "written", None)
    if written is not None:
        written.append((material.file.storage, material.file.name))
    material.save()
    return material


@contextmanager
def materials_atomic():
    """``transaction.atomic()`` that also deletes the material files written inside it when it rolls back.

    Files are written inside the transaction (a full disk aborts the submission), so a submission that fails
    afterwards would otherwise leave orphan files in private storage. Nested guards hand their files to the
    enclosing one, so the outermost guard's rollback removes everything written under it.
    """
    outer = getattr(_guard, "written", None)
    written: list = []
    _guard.written = written
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for storage, name in written:
            try:
                storage.delete(name)
            except OSError:  # never mask the error that rolled the transaction back
                logger.exception("could not remove material file %s after a rollback", name)
        raise
    else:
        if outer is not None:
            outer.extend(written)
    finally:
        _guard.written = outer
