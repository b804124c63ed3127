"""Articles the credit center publishes on the portal: 政策法规, 信用动态 and 诚信典型."""

from django.conf import settings
from django.db import models

from .choices import ArticleCategory


class ArticleQuerySet(models.QuerySet):
    def published(self, *, on):
        """What the public sees: published, dated today or earlier, newest first."""
        return self.filter(is_published=True, published_on__lte=on).order_by("-published_on", "-pk")


class Article(models.Model):
    title = models.CharField("标题", max_length=200)
    category = models.CharField("栏目", max_length=20, choices=ArticleCategory.choices, db_index=True)
    body = models.TextField("正文", help_text="纯文本；空一行分段。")
    is_published = models.BooleanField("发布", default=False)
    published_on = models.DateField(
        "发布日期", null=True, blank=True, help_text="发布时不填则为今天；晚于今天的到期才公开。"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = "门户文章"
        verbose_name_plural = "门户文章"
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["is_published", "category", "published_on"])]

    def __str__(self):
        return self.title
