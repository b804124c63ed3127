"""The whole seed-001 scorecard on a constructed data set, every line worked out by hand from the table.

Assessed on 30 November 2022 (the seed: "相关情况及数据截至2022年11月30日"), so the assessment period
(创建期, "最近一年") is 1 December 2021 – 30 November 2022.

Subjects (all codes valid and distinct, so 重错码率 is 0 today):
- 494 operating enterprises (USCC 91…): E1…E8 named below plus 486 more; E9 revoked (吊销); E10 cancelled (注销);
- 2 operating 个体工商户 (92…); 1 operating social organisation (51…);
- 3 operating public bodies: B1 (11…, a 机关 by its code, not flagged), B2 (12…, a 事业单位 by its code),
  B3 (no USCC, flagged 机关 by staff).
在营市场主体 (法人及非法人组织 + 个体工商户, operating; 机关/事业单位 are no market subjects) = 494 + 2 + 1 = 497.
在营企业 = 494.  企业总数 (not cancelled, not moved out) = 494 + E9 = 495.

Line by line (points in brackets are the table's):
 1 国家城市信用监测排名 [20]: entered 14 in October 2022, corrected to 16 (月均第25名: 前10名 20, 每后10名 −2)
   in November → the latest counts: 16.00. An entry of 20 in the previous period (May 2021) does not count.
   扣分事项: 意识形态责任事故 June 2022 (当月 −2) + 医疗负面舆情 September 2022 entered at 1.5 (最多 −5)
   → −3.50. A 弄虚作假 entry of May 2021 (previous period) does not count.
 2 机构失信被执行情况 [10]: on the 失信被执行人 list in the period: B1 (listed 2022-03-01, still listed) and
   B3 (listed 2021-06-01, removed 2022-01-10, i.e. inside the period); B2 left the list 2021-09-01, before
   it; E1 is listed but is an enterprise. 2 bodies → 10 − 2 × 1 = 8.00.
   市场主体黑名单清理 [4]: black-list market subjects now: E1 (B1 is listed too, but a 机关) → 1 / 497 = 0.2012%
   → below 0.3% → 4.00.
   信用代码重错码率 [2.4]: month-end readings Dec 2021 … Oct 2022 are 0 except February 2022; November is 0
   today → 11 months at 0, 1 not → 11 × 0.2 − 1 × 0.2 = 2.00.
   信用核查 [4]: 450 checks in the period + 100 in June 2021 → 450 / 497 = 90.54%, not above 100% → 0.00
   (all-time 550 / 497 would have given 4: the period matters).
 3 双公示 [4.8]: 24 items (12 months × 及时率, 合规率). May 2022: 2 penalties reported, 1 on time → 及时率
   50% → 1 item missed; every other month nothing or nothing missed, the 11 quiet months included →
   23 × 0.2 − 1 × 0.2 = 4.40.
   数据归集 [10]: records passed to the provincial platform = published/expired records: 2 penalties + 4 list
   records + 3 specific records = 9 (a draft and a record awaiting review are not sent) → under 8000万 → 0.00.
   特定领域数据归集 [4]: the 8 named types (水 2 records; 不动产 1 is not one of the 8) → none reaches
   200,000 → 0.00.
 4 信易+应用情况 [4]: the 33 catalog scenarios are in 12 fields → 4 − (30 − 12) × 0.2 = 0.40.
   “信易贷”注册企业数量 [6]: needs registered by 10 operating enterprises, plus one 个体工商户 and the cancelled
   E10, which are not 在营企业 → 10 / 494 = 2.0243%; 6 × (2.0243 − 1) / (3 − 1) = 3.0729 → 3.07.
   “信易贷”授信放款规模 [6]: in the period granted 40,000 + 25,000 = 65,000 万元 (6.5亿), lent 30,000 + 25,000
   = 55,000 万元; an offer granted in June 2021 (50,000 万元) is outside → max = 6.5亿 →
   6 × (6.5 − 3) / (10 − 3) = 3.00.
 5 信用承诺 [6]: 320 commitment records + 40 fulfilment records = 360 over 495 enterprises = 72.727% →
   6 × (72.727 − 50) / (80 − 50) = 4.5454 → 4.55.
   分级分类监管 [4]: drawn inspections in 2 supervision fields → 4 − (20 − 2) × 0.2 = 0.40.
 6 机制建设 [2.8]: entered 2.1.  地方信用建设创新做法 [2]: entered 1 (one practice recognised).
 7 风险防范 [10]: entered 9.
 信用修复办理 is a monitoring line without points.

Total = 16 − 3.5 + 8 + 4 + 2 + 0 + 4.4 + 0 + 0 + 0.4 + 3.07 + 3 + 4.55 + 0.4 + 2.1 + 1 + 9 = 54.42 of 100.
"""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.catalog.models import RecordType
from apps.commitments.models import Commitment, CommitmentTemplate, Fulfilment
from apps.evaluation.models import InspectionTask, SupervisionField
from apps.lists.models import CreditCheck, ListEntry, ListType
from apps.monitoring.models import Indicator, IndicatorReading, ManualEntry
from apps.monitoring.scorecard import scorecard_build
from apps.monitoring.selectors import Month
from apps.monitoring.services import manual_entry_record
from apps.records.models import Record
from apps.scenarios.models import Bank, FinancingNeed, LoanOffer
from apps.subjects.choices import PublicBody
from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject

from .conftest import at

pytestmark = pytest.mark.django_db

ON = datetime.date(2022, 11, 30)
EXPECTED = {
    "city_ranking": "16.00",
    "deductions": "-3.50",
    "public_body_debtors": "8.00",
    "serious_share": "4.00",
    "code_error_rate": "2.00",
    "check_ratio": "0.00",
    "double_publicity": "4.40",
    "data_volume": "0.00",
    "specific_categories": "0.00",
    "xinyi_fields": "0.40",
    "xinyidai_share": "3.07",
    "xinyidai_amount": "3.00",
    "commitment_coverage": "4.55",
    "graded_fields": "0.40",
    "mechanism": "2.10",
    "innovation": "1.00",
    "risk_prevention": "9.00",
}
# The seed table: every line and its points, 100 in all (扣分事项 has none of its own).
SEED_POINTS = {
    "city_ranking": "20",
    "deductions": "0",
    "public_body_debtors": "10",
    "serious_share": "4",
    "code_error_rate": "2.4",
    "check_ratio": "4",
    "double_publicity": "4.8",
    "data_volume": "10",
    "specific_categories": "4",
    "xinyi_fields": "4",
    "xinyidai_share": "6",
    "xinyidai_amount": "6",
    "commitment_coverage": "6",
    "graded_fields": "4",
    "mechanism": "2.8",
    "innovation": "2",
    "risk_prevention": "10",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_n = itertools.count(1)


def evidence(name="佐证.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def org(prefix, name, kind="legal", status="operating", uscc=None, **fields):
    code = build_uscc(prefix, "371083", f"MA{next(_n):06d}") if uscc is None else uscc
    return Subject.objects.create(kind=kind, name=name, uscc=code, status=status, **fields)


def record(subject, dept, type_code, *, reported, status="published", **fields):
    return Record.objects.create(
        record_type=RecordType.objects.get(code=type_code),
        catalog_version=1,
        department=dept,
        data={},
        subject=subject,
        subject_name=subject.name,
        subject_kind="法人及非法人组织",
        subject_code=subject.uscc,
        decision_number=f"H-{next(_n)}",
        decision_date=reported.date(),
        status=status,
        source="form",
        content_hash=f"h{next(_n)}",
        reported_at=reported,
        **fields,
    )


def moment(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def listed(subject, dept, recognised, *, removed=None):
    entry_record = record(subject, dept, "list_entry", reported=moment(recognised))
    return ListEntry.objects.create(
        record=entry_record,
        list_type=ListType.objects.get(code="dishonest_judgment_debtor"),
        subject=subject,
        department=dept,
        recognised_on=recognised,
        state="removed" if removed else "listed",
        removed_on=removed,
    )


@pytest.fixture
def constructed(dept_a, center):
    with at(2022, 11, 30, 9, 0):
        enterprises = [org("91", f"测试企业E{i}") for i in range(1, 9)]
        Subject.objects.bulk_create(
            Subject(kind="legal", name=f"填充企业{i}", uscc=build_uscc("91", "371083", f"MB{i:06d}"))
            for i in range(486)
        )
        org("91", "测试企业E9（吊销）", status="revoked")
        e10 = org("91", "测试企业E10（注销）", status="cancelled")
        individual = org("92", "测试个体户1", kind="individual_business")
        org("92", "测试个体户2", kind="individual_business")
        org("51", "测试协会")
        b1 = org("11", "乳山市测试局")
        b2 = org("12", "乳山市测试中心")
        b3 = org("", "乳山市测试办公室", uscc="", public_body=PublicBody.ORGAN)

        # 失信被执行人: B1, B3 (removed inside the period), B2 (removed before it), E1 (an enterprise).
        listed(b1, dept_a, datetime.date(2022, 3, 1))
        listed(b3, dept_a, datetime.date(2021, 6, 1), removed=datetime.date(2022, 1, 10))
        listed(b2, dept_a, datetime.date(2021, 1, 5), removed=datetime.date(2021, 9, 1))
        listed(enterprises[0], dept_a, datetime.date(2022, 4, 1))

        # 双公示: May 2022, one penalty on time and one late.
        record(enterprises[1], dept_a, "penalty", reported=moment(datetime.date(2022, 5, 10)), timely=True)
        record(enterprises[2], dept_a, "penalty", reported=moment(datetime.date(2022, 5, 20)), timely=False)
        # Specific information: 水 ×2 (one of the eight), 不动产 ×1 (not); a draft and a pending record are not sent.
        record(enterprises[3], dept_a, "water", reported=moment(datetime.date(2022, 7, 1)))
        record(enterprises[4], dept_a, "water", reported=moment(datetime.date(2022, 7, 2)))
        record(enterprises[5], dept_a, "real_estate", reported=moment(datetime.date(2022, 7, 3)))
        record(enterprises[6], dept_a, "water", reported=moment(datetime.date(2022, 7, 4)), status="draft")
        record(enterprises[7], dept_a, "water", reported=moment(datetime.date(2022, 7, 5)), status="pending_review")

        # 重错码率 month-end readings: 0 except February 2022.
        for month in Month.of(datetime.date(2021, 12, 1)), *[Month(datetime.date(2022, m, 1)) for m in range(1, 11)]:
            last_day = month.next.first - datetime.timedelta(days=1)
            value = 0.01 if month.param == "2022-02" else 0.0
            IndicatorReading.objects.create(code="code_error_rate", day=last_day, value=value)

        # 信用承诺: 320 commitments, 40 of them with a fulfilment.
        template = CommitmentTemplate.objects.create(
            type="certificate", matter="测试事项", title="测试承诺书", body="承诺", supervising_department=dept_a
        )
        all_enterprises = list(Subject.objects.filter(uscc__startswith="91", status="operating").order_by("pk"))
        commitments = Commitment.objects.bulk_create(
            Commitment(
                code=f"37108320220101{i:06d}",
                template=template,
                type="certificate",
                matter="测试事项",
                subject=all_enterprises[i],
                text="承诺",
                signed_on=datetime.date(2022, 6, 1),
                due_on=datetime.date(2022, 7, 1),
                channel="online",
                supervising_department=dept_a,
                fulfilment_deadline=datetime.date(2022, 7, 10),
            )
            for i in range(320)
        )
        Fulfilment.objects.bulk_create(
            Fulfilment(
                commitment=c, outcome="fulfilled", department=dept_a, recorded_on=datetime.date(2022, 7, 5), timely=True
            )
            for c in commitments[:40]
        )

        # 信易贷: 10 operating enterprises registered, plus a 个体工商户 and the cancelled E10 (not 在营企业).
        needs = [
            FinancingNeed.objects.create(subject=s, amount=100, term_months=12, purpose="流动资金")
            for s in [*all_enterprises[:10], individual, e10]
        ]
        bank = Bank.objects.create(name="测试银行")
        bank2 = Bank.objects.create(name="测试银行二")
        LoanOffer.objects.create(need=needs[0], bank=bank, status="lent", granted_amount=40000, lent_amount=30000)
        LoanOffer.objects.create(need=needs[1], bank=bank, status="lent", granted_amount=25000, lent_amount=25000)

        # 分级分类监管: inspections drawn in two fields (one drawn twice), one task never drawn.
        fields = list(SupervisionField.objects.order_by("code")[:3])
        for field, drawn in ((fields[0], True), (fields[0], True), (fields[1], True), (fields[2], False)):
            InspectionTask.objects.create(
                name="测试抽查",
                department=dept_a,
                field=field,
                basis="size",
                size=1,
                drawn_at=timezone.now() if drawn else None,
            )

        CreditCheck.objects.bulk_create(
            CreditCheck(channel="web", query=f"q{i}", found=False, result={}) for i in range(450)
        )

    # Before the period (June 2021): checks, an offer, entries of the previous assessment.
    with at(2021, 6, 15, 10, 0):
        CreditCheck.objects.bulk_create(
            CreditCheck(channel="web", query=f"old{i}", found=False, result={}) for i in range(100)
        )
        LoanOffer.objects.create(need=needs[2], bank=bank2, status="granted", granted_amount=50000)
        manual_entry_record(
            user=center,
            indicator=_line("city_ranking"),
            month=Month(datetime.date(2021, 5, 1)),
            note="上一创建期",
            uploaded=evidence(),
            points=20,
        )
        manual_entry_record(
            user=center,
            indicator=_line("deductions"),
            month=Month(datetime.date(2021, 5, 1)),
            note="上一创建期弄虚作假",
            uploaded=evidence(),
            item="false_material",
        )

    with at(2022, 10, 31, 10, 0):
        manual_entry_record(
            user=center,
            indicator=_line("city_ranking"),
            month=Month(datetime.date(2022, 10, 1)),
            note="月均第35名",
            uploaded=evidence(),
            points=14,
        )
    with at(2022, 11, 30, 10, 0):
        for code, points in (("city_ranking", 16), ("mechanism", "2.1"), ("innovation", 1), ("risk_prevention", 9)):
            manual_entry_record(
                user=center,
                indicator=_line(code),
                month=Month(datetime.date(2022, 11, 1)),
                note=f"{code} 评分依据",
                uploaded=evidence(),
                points=points,
            )
        manual_entry_record(
            user=center,
            indicator=_line("deductions"),
            month=Month(datetime.date(2022, 6, 1)),
            note="网站宣传事故",
            uploaded=evidence(),
            item="ideology",
        )
        manual_entry_record(
            user=center,
            indicator=_line("deductions"),
            month=Month(datetime.date(2022, 9, 1)),
            note="涉医疗负面舆情 1 起",
            uploaded=evidence(),
            item="medical",
            points="1.5",
        )


def _line(code):
    return Indicator.objects.filter(code=code).order_by("-effective_from").first()


def test_every_seed_line_scores_as_worked_out_by_hand(constructed):
    with at(2022, 11, 30, 12, 0):
        card = scorecard_build()
    lines = {line.indicator.code: line for line in card.lines}
    assert card.period.first == datetime.date(2021, 12, 1) and card.period.last == ON

    scored = {code: str(line.score) for code, line in lines.items() if line.score is not None}
    assert scored == EXPECTED
    assert lines["repair_overdue"].score is None  # monitoring only
    assert {code: lines[code].indicator.points for code in SEED_POINTS} == {
        k: Decimal(v) for k, v in SEED_POINTS.items()
    }
    assert card.full_points == Decimal("100")
    assert card.total == Decimal("54.42")
    assert card.deducted == Decimal("3.50")

    # The inputs behind the hand computation, as measured.
    assert lines["public_body_debtors"].measured.value == 2
    assert lines["serious_share"].measured.detail == {"serious": 1, "market": 497}
    assert lines["check_ratio"].measured.detail == {"checks": 450, "market": 497}
    assert (
        lines["double_publicity"].measured.value.count(False) == 1
        and len(lines["double_publicity"].measured.value) == 24
    )
    assert lines["code_error_rate"].measured.value == [True] * 2 + [False] + [True] * 9
    assert lines["data_volume"].measured.value == 9
    assert len(lines["specific_categories"].measured.value) == 8
    assert lines["specific_categories"].measured.value["用水缴费信息"] == 2
    assert lines["xinyi_fields"].measured.value == 12
    assert lines["xinyidai_share"].measured.detail == {"registered": 10, "operating": 494}
    assert lines["xinyidai_amount"].measured.value == 650_000_000.0
    assert lines["commitment_coverage"].measured.detail == {"commitments": 320, "fulfilments": 40, "enterprises": 495}
    assert lines["graded_fields"].measured.value == 2
    assert SupervisionField.objects.count() >= 20  # the catalog of fields lets 分级分类 reach its 4 points
    assert lines["deductions"].measured.value == Decimal("3.50")

    # Each line says how it is computed, over which span, and where its rows are.
    for line in card.lines:
        assert line.measured.formula and line.measured.span and line.rule_text, line.indicator.code
        assert line.indicator.source.startswith("邹政办字〔2022〕7号") or line.indicator.rule == "info"
    assert "创建期内" in lines["check_ratio"].measured.span and "创建期末" in lines["serious_share"].measured.span
    assert all(i.href for i in lines["city_ranking"].measured.inputs)  # each entry links to its evidence


def test_the_page_shows_every_seed_line_out_of_100(constructed, client_for, center):
    with at(2022, 11, 30, 12, 0):
        html = client_for(center).get("/monitoring/dashboard/").content.decode()
    for code in SEED_POINTS:
        assert f'data-code="{code}"' in html
    for name in ("机构失信被执行情况", "风险防范", "地方信用建设创新做法", "扣分事项", "信用承诺", "特定领域数据归集"):
        assert name in html
    assert "2021年12月1日至2022年11月30日" in html
    assert 'id="scorecard-sum">54.42 / 100.00<' in html
    assert "（信用承诺信息数 + 履约践诺情况信息数）/ 辖区内企业总数" in html


def test_a_manual_entry_needs_evidence_a_note_and_a_score_in_range(center, clerk_a):
    from django.core.exceptions import PermissionDenied, ValidationError

    line = _line("risk_prevention")
    with at(2022, 11, 30, 10, 0):
        with pytest.raises(ValidationError) as caught:
            manual_entry_record(
                user=center,
                indicator=line,
                month=Month(datetime.date(2022, 11, 1)),
                note=" ",
                uploaded=SimpleUploadedFile("x.pdf", b"not a pdf"),
                points=11,
            )
        problems = " ".join(caught.value.messages)
        assert (
            "请填写说明" in problems
            and "得分应在 0 到 10.00 之间" in problems
            and "不是 PDF、JPG、PNG 文件" in problems
        )
        with pytest.raises(ValidationError, match="所属月份应在本创建期内"):
            manual_entry_record(
                user=center,
                indicator=line,
                month=Month(datetime.date(2021, 11, 1)),
                note="x",
                uploaded=evidence(),
                points=5,
            )
        with pytest.raises(ValidationError, match="由数据计算，不能人工录入"):
            manual_entry_record(
                user=center,
                indicator=_line("check_ratio"),
                month=Month(datetime.date(2022, 11, 1)),
                note="x",
                uploaded=evidence(),
                points=4,
            )
        with pytest.raises(ValidationError, match="最多|不超过 5"):
            manual_entry_record(
                user=center,
                indicator=_line("deductions"),
                month=Month(datetime.date(2022, 11, 1)),
                note="x",
                uploaded=evidence(),
                item="medical",
                points=6,
            )
        with pytest.raises(PermissionDenied):
            manual_entry_record(
                user=clerk_a,
                indicator=line,
                month=Month(datetime.date(2022, 11, 1)),
                note="x",
                uploaded=evidence(),
                points=5,
            )
        entry = manual_entry_record(
            user=center,
            indicator=_line("deductions"),
            month=Month(datetime.date(2022, 11, 1)),
            note="弄虚作假",
            uploaded=evidence(),
            item="false_material",
        )
    assert entry.points == Decimal("6")  # 3 months × 2
    assert ManualEntry.objects.count() == 1  # nothing written by the refused attempts
    with pytest.raises(ValidationError):
        entry.note = "改"
        entry.save()


def test_the_entry_form_and_the_evidence_download(client_for, center):
    client = client_for(center)
    with at(2022, 11, 30, 10, 0):
        response = client.post(
            "/monitoring/dashboard/entries/",
            {
                "code": "innovation",
                "month": "2022-11",
                "points": "1",
                "note": "获国家发展改革委推广",
                "evidence": evidence("推广通知.pdf"),
            },
        )
        assert response.status_code == 302
        entry = ManualEntry.objects.get()
        assert (entry.code, entry.points, entry.entered_by, entry.original_name) == (
            "innovation",
            1,
            center,
            "推广通知.pdf",
        )
        download = client.get(f"/monitoring/dashboard/entries/{entry.pk}/evidence/")
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
        assert "attachment" in download["Content-Disposition"]
        bad = client.post(
            "/monitoring/dashboard/entries/",
            {"code": "innovation", "month": "2022-11", "points": "1", "note": "x"},
            follow=True,
        )
        assert "请上传佐证材料" in bad.content.decode()
    assert ManualEntry.objects.count() == 1
