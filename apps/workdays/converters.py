import datetime

from django.urls import register_converter


class IsoDateConverter:
    """``YYYY-MM-DD`` in a URL. An impossible date (2024-13-01) does not match,
    so the URL answers 404 instead of raising."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> datetime.date:
        return datetime.date.fromisoformat(value)  # ValueError means "no match" to the resolver

    def to_url(self, value) -> str:
        return value.isoformat() if isinstance(value, datetime.date) else str(value)


# Registered here, once: both the API and the HTML URLconfs import this module,
# and registering the same name twice is deprecated in Django 5.1+.
register_converter(IsoDateConverter, "isodate")
