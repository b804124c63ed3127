"""Query strings every view can trust: no NUL, no control characters, valid UTF-8, bounded.

Each of these used to reach a view and end in a 500 somewhere deep: a NUL in
``q`` is refused by PostgreSQL ("A string literal cannot contain NUL"), a
20-digit ``limit`` or ``offset`` overflows a bigint, and Django silently turns
invalid UTF-8 into U+FFFD, so a search ran on text nobody typed. Checking the
query string once, before any view, answers all of them alike with a 400 that
says what is wrong, in Chinese (JSON under ``/api/``).

Numbers inside the range are the views' business (a page past the end, a
negative limit); this only refuses what no parameter of this portal can mean.
"""

import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

# C0 controls except tab, LF and CR (a pasted search text may carry those), DEL and the C1 block.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# More digits than any bigint. Only for the parameters that are counts or positions: a 20-digit
# commitment code is a legitimate search term.
_HUGE_NUMBER = re.compile(r"^\s*[+-]?\d{19,}\s*$")
INTEGER_PARAMETERS = frozenset({"page", "limit", "offset", "page_size", "days", "year", "month", "pk", "id"})


def query_problem(query_string: str) -> str | None:
    """Why this raw query string is refused, or None."""
    if len(query_string) > settings.QUERY_STRING_MAX_CHARS:
        return f"查询参数过长（超过 {settings.QUERY_STRING_MAX_CHARS} 个字符）。"
    # WSGI hands the raw bytes over as latin-1 text; get them back to decode them strictly.
    try:
        raw = query_string.encode("iso-8859-1")
    except UnicodeEncodeError:
        raw = query_string.encode("utf-8")
    pairs = []
    for part in re.split(rb"[&;]", raw):
        key, _, value = part.partition(b"=")
        try:
            pairs.append(tuple(unquote_to_bytes(x.replace(b"+", b" ")).decode("utf-8") for x in (key, value)))
        except UnicodeDecodeError:
            return "查询参数不是有效的 UTF-8 编码文字。"
    for key, value in pairs:
        if _CONTROL.search(key) or _CONTROL.search(value):
            return f"查询参数“{_CONTROL.sub('', key)[:40]}”含有不可见的控制字符。"
        if key in INTEGER_PARAMETERS and _HUGE_NUMBER.match(value):
            return f"查询参数“{key[:40]}”的数值超出范围。"
    return None


class QueryStringGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = query_problem(request.META.get("QUERY_STRING", ""))
        if problem is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": problem}, status=400)
        return render(request, "bad_request.html", {"message": problem}, status=400)
