"""The scorecard lines the platform cannot measure: the credit center's own score (人工评分) and the
deductions (扣分事项), each entered with its evidence (``ManualEntry``) and read for the period."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from .measuring import Input, LiveFigures, Measured, Period
from .models import Indicator, ManualEntry


def _entries_in_period(code: str, period: Period):
    return (
        ManualEntry.objects.filter(code=code, month__gte=period.first, month__lte=period.last)
        .filter(entered_at__lt=period.end)
        .select_related("entered_by")
        .order_by("-entered_at", "-pk")
    )


def _entry_input(entry: ManualEntry, label: str) -> Input:
    who = entry.entered_by.get_full_name() or entry.entered_by.get_username()
    when = timezone.localtime(entry.entered_at)
    return Input(
        f"{label}：{entry.note}（{who} {when:%Y-%m-%d %H:%M} 录入，佐证：{entry.original_name}）",
        entry.points,
        reverse("monitoring:evidence", args=[entry.pk]),
    )


def manual_measured(indicator: Indicator, live: LiveFigures) -> Measured:
    """The latest score the credit center entered for the period; earlier entries stay as its history."""
    entries = list(_entries_in_period(indicator.code, live.period))
    inputs = [
        _entry_input(e, f"{e.month:%Y年%-m月}评分" + ("（现行）" if i == 0 else "（已被更正）"))
        for i, e in enumerate(entries)
    ]
    if not entries:
        return Measured(
            None,
            None,
            "尚未录入人工评分",
            {},
            [],
            formula="信用中心按评分标准评分，并上传佐证材料",
            span=live.within,
        )
    latest = entries[0]
    return Measured(
        latest.points,
        float(latest.points),
        f"人工评分 {latest.points} 分：{latest.note}",
        {"entry": latest.pk},
        inputs,
        formula="信用中心按评分标准评分，并上传佐证材料（以最近一次录入为准）",
        span=live.within,
    )


def deduction_items(indicator: Indicator) -> dict[str, dict]:
    return {item["code"]: item for item in (indicator.params or {}).get("items", [])}


def deduction_measured(indicator: Indicator, live: LiveFigures) -> Measured:
    items = deduction_items(indicator)
    entries = list(_entries_in_period(indicator.code, live.period))
    total = sum((e.points for e in entries), Decimal(0))
    inputs = [_entry_input(e, f"{e.month:%Y年%-m月} {items.get(e.item, {}).get('name', e.item)}") for e in entries]
    text = f"扣 {total} 分（{len(entries)} 项）" if entries else "创建期内无扣分事项"
    return Measured(
        total,
        float(total),
        text,
        {"entries": [e.pk for e in entries]},
        inputs,
        formula="创建期内登记的扣分事项合计：" + "；".join(f"{i['name']}：{i.get('note', '')}" for i in items.values()),
        span=live.within,
    )
