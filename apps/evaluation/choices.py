from django.db import models


class IndicatorSource(models.TextChoices):
    RECORDS = "records", "信用信息记录"
    LISTS = "lists", "红黑名单"
    COMMITMENTS = "commitments", "信用承诺与履约"


class GradeSource(models.TextChoices):
    MODEL = "model", "本平台评价模型"
    PROVINCIAL = "provincial", "省级评价结果"


class RunMethod(models.TextChoices):
    SQL = "sql", "集合运算（PostgreSQL）"
    PYTHON = "python", "逐批计算"


class RunStatus(models.TextChoices):
    RUNNING = "running", "运行中"
    DONE = "done", "完成"
    FAILED = "failed", "失败"


class SampleBasis(models.TextChoices):
    RATE = "rate", "按比例"
    SIZE = "size", "按数量"


class InterviewStatus(models.TextChoices):
    PENDING = "pending", "待约谈"
    HELD = "held", "已约谈"
