from django.conf import settings
from django.db import models

from .choices import OverrideKind


class CalendarOverride(models.Model):
    """A day whose status staff set by hand: a holiday notice for a year the
    library does not cover yet, or a local correction. Overrides win over the
    library."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=OverrideKind.choices)
    note = models.CharField(
        "说明", max_length=200, blank=True, help_text="如：国务院办公厅关于2027年部分节假日安排的通知"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "日历调整"
        verbose_name_plural = "日历调整"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"
