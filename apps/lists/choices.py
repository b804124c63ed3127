from django.db import models


class ListColor(models.TextChoices):
    RED = "red", "守信激励名单"
    BLACK = "black", "严重失信主体名单"
    WATCH = "watch", "重点关注名单"


class EntryState(models.TextChoices):
    LISTED = "listed", "在列"
    REMOVED = "removed", "已移出"


# Record statuses under which a list entry can count: reported (published), or reported and since withdrawn
# from publicity (expired). Drafts, entries awaiting review and revoked records never count.
COUNTING_RECORD_STATUSES = ("published", "expired")


class MeasureKind(models.TextChoices):
    REWARD = "reward", "守信激励措施"
    PUNISHMENT = "punishment", "失信惩戒措施"


class CheckChannel(models.TextChoices):
    WEB = "web", "窗口页面"
    API = "api", "系统接口"
    BATCH = "batch", "批量核查"
