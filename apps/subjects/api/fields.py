"""Serializer fields for public API answers."""

from rest_framework import serializers

from apps.subjects.masking import mask_personal_numbers


class MaskedCharField(serializers.CharField):
    """Read-only text with ID and mobile numbers masked: names, document numbers, free text in anonymous answers."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return mask_personal_numbers(super().to_representation(value))
