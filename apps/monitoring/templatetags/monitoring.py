from django import template

register = template.Library()


@register.filter
def pct(value):
    """A rate in percent (``66.67``) as ``66.67%``; ``—`` when there is nothing to count."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}%"


@register.filter
def points(value):
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}"


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
