from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """Look up a dict entry by a variable key (field codes in templates)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
