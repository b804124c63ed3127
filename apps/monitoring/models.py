from django.conf import settings
from django.db import models


class SnapshotFrozen(Exception):
    """A ranking snapshot's figures never change once taken."""


class RankingSnapshot(models.Model):
    """The monthly ranking as it stood when it was frozen (月末快照) and, once the
    credit center publishes it, as it was published.

    ``data`` holds the whole ranking (department rows, per-type and per-family
    figures, totals and the scoring formula) so a published ranking reads the
    same forever, whatever happens to the records afterwards. Only the
    publication columns may be written after creation.
    """

    month = models.DateField("月份", unique=True, help_text="当月第一天")
    data = models.JSONField("排名数据")
    created_at = models.DateTimeField("快照时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="快照生成人",
        help_text="空表示系统月初自动生成",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发布人",
    )

    PUBLICATION_FIELDS = frozenset({"published_at", "published_by"})

    class Meta:
        verbose_name = "月度排名快照"
        verbose_name_plural = "月度排名快照"
        ordering = ["-month"]

    def __str__(self):
        state = "已发布" if self.is_published else "待发布"
        return f"{self.month:%Y年%m月} 部门排名（{state}）"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not {f.removesuffix("_id") for f in fields} <= self.PUBLICATION_FIELDS:
                raise SnapshotFrozen("排名快照生成后不能修改，只能发布。")
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
