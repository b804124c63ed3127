"""``{{ pk|pk_url:"records_public:detail" }}``: ``{% url name pk %}`` for the rows of the public pages.

A profile lists up to ``PORTAL_PROFILE_MAX_RECORDS`` records, each with a link; ``{% url %}``
resolves the pattern again for every row (~20 µs each). Here the URL is reversed once per
process and script prefix with a placeholder id, and each row only puts its own id in.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

_PLACEHOLDER = 918_273_645


@lru_cache(maxsize=64)
def _pattern(name: str, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[_PLACEHOLDER])
    head, found, tail = url.partition(str(_PLACEHOLDER))
    if not found or str(_PLACEHOLDER) in tail:
        raise ValueError(f"{name} does not take a single integer id")
    return head, tail


@register.filter
def pk_url(pk, name: str) -> str:
    head, tail = _pattern(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"
