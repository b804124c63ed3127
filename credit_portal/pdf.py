"""The CJK font embedded in every PDF the platform renders (reportlab).

``settings.PDF_CJK_FONT`` points at a TrueType collection (default: WenQuanYi
Micro Hei); its first face is registered once per process under one name.
"""

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_FONT_NAME = "CJK"


def cjk_font_name() -> str:
    """Register the CJK font if needed and return the name to use in styles."""
    if CJK_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, settings.PDF_CJK_FONT, subfontIndex=0))
    return CJK_FONT_NAME
