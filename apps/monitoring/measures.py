"""The scorecard's measures: what each line of the seed-001 table reads from the platform (``@measure``, one
function per data source, registered in ``models.MEASURES``). The figures they share are in ``measuring.py``."""

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from apps.catalog.choices import Family
from apps.catalog.models import RecordType
from apps.commitments.models import Commitment, Fulfilment
from apps.evaluation.models import SupervisionField
from apps.lists.choices import COUNTING_RECORD_STATUSES
from apps.lists.models import ListEntry, ListType
from apps.records.models import Record
from apps.records.selectors import EXPORT_STATUSES
from apps.repair.selectors import case_figures
from apps.scenarios.choices import Category, OfferStatus
from apps.scenarios.models import FinancingNeed, LoanOffer, Scenario
from apps.subjects.models import Subject
from apps.subjects.selectors import code_quality_summary

from .measuring import Input, Measured, measure, month_end_readings
from .selectors import Month, month_figures


def _percent(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{places}f}%"


def _href(name: str, **query) -> str:
    url = reverse(name)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- measures ------------------------------------------------------------------------------


@measure("double_publicity", "双公示合规率、及时率（按月）")
def _double_publicity(live, indicator):
    months = live.period.months
    cells = month_figures(months=months)
    monthly, flags, inputs = [], [], []
    for month in months:
        figures = cells.family(Family.DOUBLE_PUBLICITY, month)
        # Every month of the period is assessed, one with nothing to report included: nothing was late
        # and nothing was non-compliant, so both items stand at 100% (no rate = nothing missed).
        timely_ok = figures.timely_rate in (None, 100.0)
        compliant_ok = figures.compliance_rate in (None, 100.0)
        flags += [timely_ok, compliant_ok]
        monthly.append(
            {"month": month.param, "timely_rate": figures.timely_rate, "compliance_rate": figures.compliance_rate}
        )
        inputs.append(
            Input(
                f"{month.label} 及时率 / 合规率",
                f"{_rate_text(figures.timely_rate)} / {_rate_text(figures.compliance_rate)}",
                _href("monitoring:ranking", month=month.param),
            )
        )
    current = cells.family(Family.DOUBLE_PUBLICITY, months[-1])
    rates = [r for r in (current.timely_rate, current.compliance_rate) if r is not None]
    number = min(rates) / 100 if rates else None
    text = f"本月及时率 {_rate_text(current.timely_rate)}，合规率 {_rate_text(current.compliance_rate)}；{len(months)}个月 {len(flags)} 项中达标 {sum(flags)} 项"
    return Measured(
        flags,
        number,
        text,
        {"months": monthly},
        inputs,
        formula="每月分别判断行政许可、行政处罚信息的及时率、合规率是否达到 100%（当月无报送也计为一个月，视为达标）",
        span=live.within,
    )


def _rate_text(rate) -> str:
    return "—" if rate is None else f"{rate}%"


@measure("code_error_rate", "重错码率（按月）")
def _code_error_rate(live, indicator):
    on = live.on

    summary = code_quality_summary()
    month_flags = _monthly_flags_from_readings("code_error_rate", on, current=summary.rate == 0)
    text = f"当前 {summary.rate_percent}（{summary.affected_subjects} 个主体受影响）；近{len(month_flags)}个月为零 {sum(month_flags)} 个月"
    inputs = [
        Input("受影响主体数", summary.affected_subjects, _href("subjects:code_quality")),
        Input("主体总数", summary.subjects, _href("subjects:list")),
        Input("有月末读数的月份", len(month_flags) - 1),
    ]
    return Measured(
        month_flags,
        summary.rate,
        text,
        summary.as_dict(),
        inputs,
        formula="重错码率 = 重码、错码主体数 / 主体总数；往月取月末夜间读数，本月取实时数",
        span=live.within,
    )


@measure("serious_share", "严重失信主体占在营市场主体比例")
def _serious_share(live, indicator):
    figures = live.check_figures
    share = float(figures.serious_share) if figures.serious_share is not None else None
    text = f"{_percent(share, 4)}（{figures.serious_subjects} / {figures.market_subjects}）"
    inputs = [
        Input("列入严重失信主体名单的在营市场主体", figures.serious_subjects, _href("lists:entries", color="black")),
        Input(
            "在营市场主体（法人及非法人组织、个体工商户，不含机关、事业单位）",
            figures.market_subjects,
            _href("subjects:list"),
        ),
    ]
    return Measured(
        share,
        share,
        text,
        {"serious": figures.serious_subjects, "market": figures.market_subjects},
        inputs,
        formula="严重失信名单主体数 / 在营市场主体数",
        span=live.at_end,
    )


@measure("check_ratio", "信用核查应用比例（创建期内核查次数 / 市场主体数）")
def _check_ratio(live, indicator):
    figures = live.check_figures
    ratio = float(figures.check_ratio) if figures.check_ratio is not None else None
    text = f"{_percent(ratio)}（{figures.checks} 次 / {figures.market_subjects} 个主体）"
    inputs = [
        Input("创建期内信用核查次数", figures.checks, _href("credit_checks:figures")),
        Input("在营市场主体数", figures.market_subjects, _href("subjects:list")),
    ]
    return Measured(
        ratio,
        ratio,
        text,
        {"checks": figures.checks, "market": figures.market_subjects},
        inputs,
        formula="创建期内信用核查和联合奖惩系统应用次数 / 在营市场主体数",
        span=live.within,
    )


def _reported_records(on: datetime.date):
    """Records the platform passes on to the provincial platform, as of the end of ``on``.

    There is no record yet of what the provincial platform acknowledged (the exchange outbox is being
    built separately), so "报送至省平台" is measured as what the provincial export carries: records
    reported and published or past their publicity (``EXPORT_STATUSES``), by when they were reported.
    Drafts, records awaiting review and revoked records are not sent and do not count.
    """

    end = timezone.make_aware(datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min))
    return Record.objects.filter(status__in=EXPORT_STATUSES, reported_at__lt=end)


@measure("data_volume", "向省平台报送的数据总量（条）")
def _data_volume(live, indicator):
    by_family = dict(_reported_records(live.on).order_by().values_list("record_type__family").annotate(n=Count("pk")))
    total = sum(by_family.values())
    labels = dict(Family.choices)
    parts = "，".join(f"{labels.get(k, k)} {v:,}" for k, v in sorted(by_family.items(), key=lambda kv: -kv[1]))
    inputs = [
        Input(labels.get(k, k), v, _href("records:list", status="published"))
        for k, v in sorted(by_family.items(), key=lambda kv: -kv[1])
    ]
    return Measured(
        total,
        float(total),
        f"{total:,} 条" + (f"（{parts}）" if parts else ""),
        {"by_family": by_family},
        inputs,
        formula="累计报送省平台的记录数（已报送、公示期满的记录，即省平台交换文件所含记录；草稿、待审核、已撤销不计）",
        span=live.at_end,
    )


@measure("specific_categories", "特定领域信息（八类，每类条数）")
def _specific_categories(live, indicator):
    codes = list((indicator.params or {}).get("types") or [])
    types = RecordType.objects.filter(family=Family.SPECIFIC)
    if codes:  # the categories the table names; other specific types are collected but not scored
        types = types.filter(code__in=codes)
    names = dict(types.values_list("code", "name"))
    by_code = dict(
        _reported_records(live.on)
        .filter(record_type__code__in=list(names))
        .order_by()
        .values_list("record_type__code")
        .annotate(n=Count("pk"))
    )
    missing = [code for code in codes if code not in names]
    counts = {names[code]: by_code.get(code, 0) for code in (codes or sorted(names)) if code in names}
    counts |= {f"{code}（目录中无此类型）": 0 for code in missing}
    text = "，".join(f"{name} {n:,}" for name, n in counts.items())
    inputs = [
        Input(names[code], by_code.get(code, 0), _href("records:list", type=code))
        for code in codes or sorted(names)
        if code in names
    ]
    return Measured(
        counts,
        float(sum(counts.values())),
        text or "无特定领域信息类型",
        {"counts": counts},
        inputs,
        formula=f"分别统计{'、'.join(names[c] for c in codes if c in names) or '特定领域信息'}累计报送条数",
        span=live.at_end,
    )


@measure("public_body_debtors", "列入失信被执行人的政府机构数（创建期内）")
def _public_body_debtors(live, indicator):

    code = (indicator.params or {}).get("list_type", "dishonest_judgment_debtor")
    list_type = ListType.objects.filter(code=code).first()
    period = live.period
    # On the list at any time in the period: recognised by its end, not removed or expired before its start.
    # A repaired or removed entry still "appeared" in the period.
    entries = ListEntry.objects.filter(
        list_type__code=code,
        record__status__in=COUNTING_RECORD_STATUSES,
        recognised_on__lte=period.last,
        subject__in=Subject.objects.public_bodies(),
    ).filter(Q(removed_on__isnull=True) | Q(removed_on__gte=period.first))
    entries = entries.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=period.first))
    bodies = list(entries.order_by("subject__name").values_list("subject__name", flat=True).distinct())
    count = len(bodies)
    list_name = list_type.name if list_type else code
    text = f"{count} 家" + (f"（{'、'.join(bodies[:10])}{'等' if count > 10 else ''}）" if bodies else "")
    inputs = [
        Input(f"列入{list_name}的机关、事业单位", count, _href("lists:entries", type=list_type.pk if list_type else ""))
    ]
    inputs += [Input(name, "在列", _href("lists:entries", q=name)) for name in bodies[:10]]
    return Measured(
        count,
        float(count),
        text,
        {"bodies": bodies},
        inputs,
        formula=f"创建期内在“{list_name}”名单中的政府机关、事业单位家数（主体标注为机关/事业单位，或统一社会信用代码为 11、12 开头）",
        span=live.within,
    )


@measure("commitment_coverage", "信用承诺信息及履约践诺信息数 / 企业总数")
def _commitment_coverage(live, indicator):

    commitments = Commitment.objects.filter(signed_on__lte=live.on).count()
    fulfilments = Fulfilment.objects.filter(recorded_on__lte=live.on).count()
    enterprises = live.enterprises_total.count()
    share = _ratio(commitments + fulfilments, enterprises)
    text = f"{_percent(share)}（承诺 {commitments} + 履约践诺 {fulfilments} 条 / {enterprises} 家企业）"
    inputs = [
        Input("信用承诺信息", commitments, _href("commitments:staff_list")),
        Input("履约践诺情况信息", fulfilments, _href("commitments:staff_list")),
        Input("辖区内企业总数（不含注销、迁出）", enterprises, _href("subjects:list")),
    ]
    return Measured(
        share,
        share,
        text,
        {"commitments": commitments, "fulfilments": fulfilments, "enterprises": enterprises},
        inputs,
        formula="（信用承诺信息数 + 履约践诺情况信息数）/ 辖区内企业总数",
        span=live.at_end,
    )


@measure("xinyi_fields", "信易+应用领域数（启用场景所属的领域）")
def _xinyi_fields(live, indicator):

    by_field = dict(Scenario.objects.filter(is_active=True).order_by().values_list("category").annotate(n=Count("pk")))
    labels = dict(Category.choices)
    count = len(by_field)
    scenarios = sum(by_field.values())
    text = f"{count} 个领域（{scenarios} 个场景）：" + "、".join(labels.get(k, k) for k in sorted(by_field))
    inputs = [Input(labels.get(k, k), f"{n} 个场景", _href("scenarios:catalog")) for k, n in sorted(by_field.items())]
    return Measured(
        count,
        float(count),
        text,
        {"fields": by_field, "scenarios": scenarios},
        inputs,
        formula="启用的信易+场景所属领域（信易贷、信易租、信易行……）的个数；同一领域的多个场景只算一个领域，“其他”类合计算一个",
        span=live.at_end,
    )


@measure("xinyidai_share", "信易贷注册企业占在营企业比例")
def _xinyidai_share(live, indicator):

    operating = live.operating_enterprises
    end = timezone.make_aware(datetime.datetime.combine(live.on + datetime.timedelta(days=1), datetime.time.min))
    registered_ids = FinancingNeed.objects.filter(created_at__lt=end).values("subject_id")
    registered = operating.filter(pk__in=registered_ids).count()
    total = operating.count()
    share = _ratio(registered, total)
    text = f"{_percent(share)}（{registered} / {total}）"
    inputs = [
        Input("在信易贷平台登记融资需求的在营企业", registered, _href("scenarios:figures")),
        Input("在营企业数", total, _href("subjects:list")),
    ]
    return Measured(
        share,
        share,
        text,
        {"registered": registered, "operating": total},
        inputs,
        formula="信易贷平台注册的在营企业数 / 在营企业数（不含个体工商户、机关事业单位、社会组织）",
        span=live.at_end,
    )


@measure("xinyidai_amount", "信易贷授信或放款金额（元，创建期内）")
def _xinyidai_amount(live, indicator):

    # An offer is rewritten when the bank records the grant or the loan, so its last update is when
    # it was granted or lent: that day must fall in the period.
    offers = LoanOffer.objects.filter(updated_at__gte=live.period.start, updated_at__lt=live.period.end)
    sums = offers.aggregate(
        granted=Sum("granted_amount", filter=Q(status__in=[OfferStatus.GRANTED, OfferStatus.LENT])),
        lent=Sum("lent_amount", filter=Q(status=OfferStatus.LENT)),
    )
    granted, lent = sums["granted"] or Decimal(0), sums["lent"] or Decimal(0)
    # The scoring table counts 授信金额 or 放款金额, whichever is reached (amounts are kept in 万元).
    amount = float(max(granted, lent)) * 10_000
    text = f"授信 {granted:,} 万元，放款 {lent:,} 万元"
    inputs = [
        Input("创建期内授信金额（万元）", f"{granted:,}", _href("scenarios:figures")),
        Input("创建期内放款金额（万元）", f"{lent:,}", _href("scenarios:figures")),
    ]
    return Measured(
        amount,
        amount,
        text,
        {"granted": str(granted), "lent": str(lent)},
        inputs,
        formula="max(创建期内授信金额, 创建期内放款金额)",
        span=live.within,
    )


@measure("graded_fields", "开展分级分类监管的领域数（有双随机抽查任务的监管领域）")
def _graded_fields(live, indicator):

    fields = list(
        SupervisionField.objects.filter(tasks__drawn_at__isnull=False)
        .distinct()
        .order_by("code")
        .values_list("name", flat=True)
    )
    available = SupervisionField.objects.count()
    count = len(fields)
    inputs = [Input("已按信用等级抽查的监管领域", count, _href("evaluation:tasks")), Input("监管领域目录", available)]
    inputs += [Input(name, "已开展") for name in fields]
    return Measured(
        count,
        float(count),
        f"{count} 个领域" + (f"（{'、'.join(fields)}）" if fields else ""),
        {"fields": count},
        inputs,
        formula="按信用等级抽取过双随机抽查对象的监管领域个数",
        span=live.at_end,
    )


@measure("repair_overdue", "信用修复与异议：逾期未办结案件数（近一年受理与办结情况）")
def _repair_overdue(live, indicator):
    on = live.on

    figures = case_figures(date_from=on - datetime.timedelta(days=365), date_to=on, today=on)
    overdue = sum(f.overdue for f in figures)
    text = "；".join(
        f"{f.label}：受理 {f.received}，办结 {f.decided}，在办 {f.open}，逾期 {f.overdue}"
        + (f"，办理中位数 {f.median_days} 个工作日" if f.median_days is not None else "")
        for f in figures
    )
    return Measured(
        overdue,
        float(overdue),
        text,
        {"overdue": overdue},
        [Input("逾期未办结", overdue, _href("repair:figures"))],
        formula="近一年受理的修复、异议案件中逾期未办结的件数",
        span="近一年",
    )


def _monthly_flags_from_readings(code: str, on: datetime.date, *, current: bool) -> list[bool]:
    """Per past month of the window with a reading: was the figure zero at month end; then this month, live."""
    this_month = Month.of(on).param
    by_month = month_end_readings([code], on).get(code, {})
    flags = [reading.value == 0 for month, reading in by_month.items() if month != this_month]
    return flags + [current]
