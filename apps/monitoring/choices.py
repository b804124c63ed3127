from django.db import models


class ScoreRule(models.TextChoices):
    """How a measured value turns into points (the shapes of the scoring table in seed 001)."""

    LINEAR = "linear", "线性计分（zero_at 不得分，full_at 得满分，之间按比例）"
    ABOVE = "above", "超过阈值得满分（above），否则不得分"
    STEPS = "steps", "分档计分（steps: [[阈值, 分值], …]，超过即得该档）"
    SHORTFALL = "shortfall", "数量达标得满分，每少一个扣分（required, per_missing）"
    PER_CATEGORY = "per_category", "每类达标得分（minimum, each）"
    MONTHLY = "monthly", "按月计分：达标月加分、未达标月扣分（each）"
    DEDUCT_EACH = "deduct_each", "满分起扣：每出现一个扣分（each），扣完为止"
    MANUAL = "manual", "人工评分（无法由数据计算）"
    DEDUCTION = "deduction", "扣分事项：按人工登记的事项扣分（items）"
    INFO = "info", "仅监测，不计分"


# The parameters each rule needs, checked when an indicator is saved.
RULE_PARAMS = {
    ScoreRule.LINEAR: {"zero_at", "full_at"},
    ScoreRule.ABOVE: {"above"},
    ScoreRule.STEPS: {"steps"},
    ScoreRule.SHORTFALL: {"required", "per_missing"},
    ScoreRule.PER_CATEGORY: {"minimum", "each"},
    ScoreRule.MONTHLY: {"each"},
    ScoreRule.DEDUCT_EACH: {"each"},
    ScoreRule.MANUAL: set(),
    ScoreRule.DEDUCTION: {"items"},
    ScoreRule.INFO: set(),
}
