"""Reads of the 信易+ catalog."""

from django.db.models import QuerySet

from .models import Scenario


def catalog_scenarios() -> QuerySet:
    """The scenarios the public catalog lists: the active ones, in catalog order."""
    return Scenario.objects.filter(is_active=True)
