"""``{{ value|mask_personal }}``: the public pages' one way to show a name, document number or free text."""

from django import template

from apps.subjects.masking import mask_personal_numbers

register = template.Library()


@register.filter
def mask_personal(value) -> str:
    """ID and mobile numbers inside the value masked (``371083********123X``, ``138****5678``); "" for None."""
    return mask_personal_numbers(value)
