from django.db import models


class OutboxStatus(models.TextChoices):
    PREPARING = "preparing", "生成中"
    PENDING = "pending", "待发送"
    RETRYING = "retrying", "发送失败，等待重试"
    ACKNOWLEDGED = "acknowledged", "上级平台已确认"
    FAILED = "failed", "多次失败，已停止重试"


class Identifiers(models.TextChoices):
    MASKED = "masked", "脱敏（身份证号码隐去中间位）"
    FULL = "full", "完整（政务共享，仅限上报省市平台）"
