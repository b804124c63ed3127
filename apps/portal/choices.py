from django.db import models


class ArticleCategory(models.TextChoices):
    POLICY = "policy", "政策法规"
    NEWS = "news", "信用动态"
    EXEMPLAR = "exemplar", "诚信典型"
