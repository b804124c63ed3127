from django.db import models


class OverrideKind(models.TextChoices):
    HOLIDAY = "holiday", "放假（非工作日）"
    WORKDAY = "workday", "调休上班（工作日）"


class CalendarSource(models.TextChoices):
    OFFICIAL = "official", "官方日历"
    ESTIMATED = "estimated", "预估日历（法定节假日推算，未含调休）"
    FALLBACK = "fallback", "推定日历（周一至周五）"
