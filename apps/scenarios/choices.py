from django.db import models


class Category(models.TextChoices):
    LOAN = "loan", "信易贷"
    RENT = "rent", "信易租"
    TRAVEL = "travel", "信易行"
    TOURISM = "tourism", "信易游"
    READING = "reading", "信易阅"
    APPROVAL = "approval", "信易批"
    SHOPPING = "shopping", "信易购"
    MEDICAL = "medical", "信易医"
    HOUSEKEEPING = "housekeeping", "信用家政"
    HOUSING = "housing", "信易居"
    EMPLOYMENT = "employment", "信易聘"
    OTHER = "other", "其他"


class UseChannel(models.TextChoices):
    SELF = "self", "主体自查"
    API = "api", "合作方接口"


class NeedStatus(models.TextChoices):
    OPEN = "open", "对接中"
    MATCHED = "matched", "已获授信"
    CLOSED = "closed", "已关闭"


class OfferStatus(models.TextChoices):
    OFFERED = "offered", "已对接"
    GRANTED = "granted", "已授信"
    LENT = "lent", "已放款"
    DECLINED = "declined", "未通过"
