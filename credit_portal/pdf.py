"""The CJK font every generated PDF embeds (credit repair notices, credit reports …).

reportlab's built-in fonts have no Chinese glyphs; a TrueType font is embedded
(subset) instead. Which font file is a deployment matter: ``PDF_CJK_FONT`` in
the environment, defaulting to Debian's WenQuanYi Micro Hei. A ``.ttc``
collection is read at its first face.

    from credit_portal.pdf import cjk_font_name
    canvas.setFont(cjk_font_name(), 12)
"""

import functools
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT_NAME = "CJK"


@functools.cache
def cjk_font_name() -> str:
    """Register the CJK font with reportlab once per process and return its registered name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = Path(settings.PDF_CJK_FONT)
    if not path.is_file():
        raise ImproperlyConfigured(f"PDF 中文字体文件不存在：{path}（请设置环境变量 PDF_CJK_FONT）")
    options = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), **options))
    return FONT_NAME
