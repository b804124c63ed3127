"""Generated documents: the 信用修复告知书 (两书同达) and the 信用修复承诺书, as PDF.

The wording lives in text templates (``templates/repair/*.txt``) so it can be
changed without code; reportlab lays it out with the embedded CJK font.
Paragraphs are separated by blank lines; a line starting with ``#`` is a heading.
"""

import io
import zipfile
from xml.sax.saxutils import escape

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from apps.records.models import Record
from credit_portal.pdf import cjk_font_name
from credit_portal.site_url import public_url

from .choices import MaterialKind
from .policy import repair_allowed, repair_earliest, required_materials

NOTICE_TEMPLATE = "repair/notice.txt"
COMMITMENT_TEMPLATE = "repair/commitment.txt"
BULK_MAX = 200  # rows listed on the notices page; the zip itself is built by a Celery task (NoticeBatch)


def text_pdf(*, title: str, text: str, author: str = "") -> bytes:
    font = cjk_font_name()
    title_style = ParagraphStyle("title", fontName=font, fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=12)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12.5, leading=20, spaceBefore=6, spaceAfter=2)
    body = ParagraphStyle("body", fontName=font, fontSize=11.5, leading=20, wordWrap="CJK", firstLineIndent=23)
    plain = ParagraphStyle("plain", parent=body, firstLineIndent=0)
    flow = [Paragraph(escape(title), title_style)]
    for block in text.strip().split("\n\n"):
        block = block.strip("\n")
        if not block.strip():
            continue
        if block.startswith("#"):
            flow.append(Paragraph(escape(block.lstrip("# ")), heading))
        elif block.startswith(">"):
            lines = [escape(line.lstrip("> ")) for line in block.splitlines()]
            flow.append(Paragraph("<br/>".join(lines), plain))
        else:
            flow.append(Paragraph(escape(" ".join(line.strip() for line in block.splitlines())), body))
        flow.append(Spacer(1, 2 * mm))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=author or settings.SITE_NAME,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
    )
    doc.build(flow)
    return buffer.getvalue()


def _data(record: Record, code: str) -> str:
    value = (record.data or {}).get(code) or ""
    return "、".join(value) if isinstance(value, list) else str(value)


def notice_context(record: Record) -> dict:
    today = timezone.localdate()
    base = public_url("")
    start = record.publicity_start or today
    materials = [MaterialKind(k).label for k in required_materials(record=record, on=today)]
    return {
        "record": record,
        "site_name": settings.SITE_NAME,
        "site_url": base,
        "record_url": f"{base}/publicity/{record.pk}/",
        "apply_url": f"{base}/repair/apply/",
        "office": settings.REPAIR_OFFICE,
        "region": settings.PLATFORM_REGION_NAME,
        "violation": _data(record, "CF_WFXW"),
        "penalty_kinds": _data(record, "CF_CFLB"),
        "start": start,
        "min_end": record.publicity_min_end,
        "earliest": repair_earliest(record=record, on=today),
        "end": record.publicity_end,
        "repairable": repair_allowed(record_type=record.record_type, on=today),
        "materials": materials,
        "today": today,
    }


def notice_filename(record: Record) -> str:
    safe = "".join(c for c in record.decision_number if c not in '\\/:*?"<>|')
    return f"信用修复告知书-{safe}.pdf"


def repair_notice_pdf(*, record: Record) -> bytes:
    text = render_to_string(NOTICE_TEMPLATE, notice_context(record))
    return text_pdf(title="信用修复告知书", text=text, author=record.department.name)


def repair_notices_zip(*, records, fileobj=None, progress=None) -> bytes | None:
    """Every record's 告知书 in one zip: returned as bytes, or written to ``fileobj`` (then None).

    ``progress(n)`` is called after each notice with the number written so far.
    """
    buffer = fileobj if fileobj is not None else io.BytesIO()
    names = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, record in enumerate(records, start=1):
            name = notice_filename(record)
            if name in names:
                name = name.replace(".pdf", f"-{record.pk}.pdf")
            names.add(name)
            archive.writestr(name, repair_notice_pdf(record=record))
            if progress is not None:
                progress(n)
    return buffer.getvalue() if fileobj is None else None


def commitment_pdf(*, record: Record, subject) -> bytes:
    context = notice_context(record) | {"subject": subject, "subject_code": getattr(subject, "public_code", "")}
    text = render_to_string(COMMITMENT_TEMPLATE, context)
    return text_pdf(title="信用修复承诺书", text=text)
