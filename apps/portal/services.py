"""Writes of the portal: the credit center's articles."""

from django.db import transaction
from django.utils import timezone

from .models import Article


def article_save(*, article: Article, user) -> Article:
    """Create or update an article; publishing without a date publishes it today."""
    if article.is_published and article.published_on is None:
        article.published_on = timezone.localdate()
    if article.pk is None:
        article.created_by = user
    article.updated_by = user
    with transaction.atomic():
        article.save()
    return article


def article_unpublish(*, article: Article, user) -> Article:
    """Take an article off the public site; it stays for staff and can be published again."""
    article.is_published = False
    article.updated_by = user
    with transaction.atomic():
        article.save(update_fields=["is_published", "updated_by", "updated_at"])
    return article
