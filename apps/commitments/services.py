"""Commitment workflows: signing (online, paper, bulk), the code, fulfilment and breach.

A breach (部分履行 / 全部未履行) becomes a dishonesty record of the subject
through the shared records pipeline (``records_ingest`` with the
``commitment_breach`` catalog type), so it is validated, published and
counted like every other record.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.catalog.models import Policy, RecordType
from apps.catalog.normalise import ValueProblem, parse_date
from apps.records.choices import Severity, Source
from apps.records.services import records_ingest
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.codes import normalise_code
from apps.subjects.models import Subject
from apps.subjects.pii import decrypt
from apps.workdays.services import workdays_add

from .choices import Channel, CommitmentStatus, CommitmentType, Outcome
from .models import Commitment, CommitmentSerial, CommitmentTemplate, Fulfilment

BREACH_TYPE = "commitment_breach"


def template_render(template: CommitmentTemplate, *, subject: Subject, signed_on, due_on, matter: str = "") -> str:
    values = {
        "主体名称": subject.name,
        "主体代码": subject.public_code,
        "承诺事项": matter or template.matter,
        "承诺日期": f"{signed_on:%Y年%m月%d日}",
        "履约期限": f"{due_on:%Y年%m月%d日}",
        "监管部门": template.supervising_department.name if template.supervising_department else "",
    }
    return template.body.format_map(values)


def commitment_code_next(*, on: datetime.date, region: str | None = None) -> str:
    """6-digit region + 8-digit date + 6-digit serial; one atomic upsert, so concurrent signers never collide."""
    region = region or settings.PLATFORM_REGION_CODE
    day = f"{on:%Y%m%d}"
    table = connection.ops.quote_name(CommitmentSerial._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (region, day, last) VALUES (%s, %s, 1) "  # noqa: S608 — table name from _meta, quoted
            f"ON CONFLICT (region, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [region, day],
        )
        serial = cur.fetchone()[0]
    if serial > 999_999:
        raise ValidationError("当日承诺编号已用尽。")
    return f"{region}{day}{serial:06d}"


def _commitment_deadline(start: datetime.date):
    """``start`` plus the working days of ``report_deadline_days`` in force on it: a row for the commitment
    catalog type (违诺信息) where the credit center sets one for commitments, else the general row."""
    record_type = RecordType.objects.filter(code=BREACH_TYPE).first()
    policy = Policy.objects.in_force("report_deadline_days", on=start, record_type=record_type)
    if policy is None:
        raise ValidationError("缺少政策参数“上报时限（工作日）”，请信用中心补充。")
    return workdays_add(start=start, days=int(policy.value))


def _fulfilment_deadline(due_on: datetime.date):
    return _commitment_deadline(due_on)


def _entry_deadline(signed_on: datetime.date):
    """A commitment signed off the platform is credit information like any other: entered within the
    policy's working days of its signing (the day of signing not counted)."""
    return _commitment_deadline(signed_on)


def _entry_fields(channel: str, signed_on: datetime.date) -> dict:
    if channel == Channel.ONLINE:
        # Signed on the platform: it is there the moment it is made, nothing to be late with.
        return {}
    deadline = _entry_deadline(signed_on)
    return {
        "entry_deadline": deadline.deadline,
        "entry_calendar": deadline.calendar,
        "entry_timely": timezone.localdate() <= deadline.deadline,
    }


def commitment_sign(
    *,
    template: CommitmentTemplate,
    subject: Subject,
    user,
    channel: str = Channel.ONLINE,
    signed_on: datetime.date | None = None,
    department=None,
) -> Commitment:
    """A subject signs (online), or a department records a signed paper one / an imported row."""
    problems = []
    if not template.is_active:
        problems.append("该承诺书模板已停用。")
    if template.supervising_department_id is None:
        problems.append("该承诺书模板尚未指定监管部门，暂不能签署，请联系信用中心。")
    if channel == Channel.ONLINE and getattr(user, "subject_id", None) != subject.pk:
        problems.append("只能以本账号认领的主体签署信用承诺。")
    if channel != Channel.ONLINE and (department is None or getattr(user, "department_id", None) != department.pk):
        problems.append("纸质承诺只能由部门工作人员录入。")
    elif channel != Channel.ONLINE and template.supervising_department_id not in (None, department.pk):
        # A department answers for the commitments it supervises (it records their fulfilment and
        # breach); entering one in another department's name would publish it under that name.
        problems.append(
            f"“{template.matter}”承诺由{template.supervising_department.name}监管，只能由该部门录入；"
            "请选择本部门监管的承诺事项。"
        )
    if Commitment.objects.filter(
        subject=subject, type=template.type, matter=template.matter, status=CommitmentStatus.SIGNED
    ).exists():
        problems.append(f"该主体已就“{template.matter}”作出信用承诺且尚未核实履约，不能重复签署。")
    if problems:
        raise ValidationError(problems)
    signed_on = signed_on or timezone.localdate()
    if signed_on > timezone.localdate():
        raise ValidationError("承诺日期不能晚于今天。")
    due_on = signed_on + datetime.timedelta(days=template.term_days)
    deadline = _fulfilment_deadline(due_on)
    try:
        with transaction.atomic():
            return Commitment.objects.create(
                code=commitment_code_next(on=signed_on),
                template=template,
                type=template.type,
                matter=template.matter,
                subject=subject,
                text=template_render(template, subject=subject, signed_on=signed_on, due_on=due_on),
                signed_on=signed_on,
                due_on=due_on,
                channel=channel,
                signed_by=user if channel == Channel.ONLINE else None,
                entered_by=user if channel != Channel.ONLINE else None,
                supervising_department=template.supervising_department,
                fulfilment_deadline=deadline.deadline,
                deadline_calendar=deadline.calendar,
                **_entry_fields(channel, signed_on),
            )
    except IntegrityError:
        # Two simultaneous signings: the partial unique constraint lets only one through.
        raise ValidationError(f"该主体已就“{template.matter}”作出信用承诺且尚未核实履约，不能重复签署。") from None


def _breach_row(commitment: Commitment, fulfilment_outcome: str, unfulfilled: str, follow_up: str, department, on):
    subject = commitment.subject
    row = {
        "CN_XDR_MC": subject.name,
        "CN_XDR_LB": SubjectKind(subject.kind).label,
        "CN_WNBH": f"{commitment.code}-WN",
        "CN_CNBH": commitment.code,
        "CN_CNLX": commitment.get_type_display(),
        "CN_CNSX": commitment.matter,
        "CN_LYQK": Outcome(fulfilment_outcome).label,
        "CN_WLXNR": unfulfilled,
        "CN_HXCL": follow_up,
        "CN_RDRQ": on.isoformat(),
        "CN_JG": department.name,
        "CN_JGDM": department.uscc,
        "CN_SJLY": department.name,
        "CN_SJLYDM": department.uscc,
    }
    if subject.kind == SubjectKind.PERSON:
        row["CN_XDR_ZJLX"] = "身份证"
        row["CN_XDR_ZJHM"] = decrypt(subject.id_number_encrypted)
    else:
        row["CN_XDR_SHXYM"] = subject.uscc
    return row


def commitment_fulfil(
    *,
    commitment: Commitment,
    outcome: str,
    user,
    unfulfilled: str = "",
    follow_up: str = "",
    on: datetime.date | None = None,
    severity: str = "",
) -> Fulfilment:
    """The supervising department records 全部履行 / 部分履行 / 全部未履行; a breach becomes a record.

    The department states how grave the breach is (轻微 / 一般 / 严重, as it would for a penalty): the
    breach record's publicity window and repair path then follow the policy rows of that severity.
    """
    on = on or timezone.localdate()
    problems = []
    if outcome in Outcome.values and outcome != Outcome.FULFILLED and severity not in Severity.values:
        problems.append(f"部分履行或全部未履行时，必须选择失信程度（{'、'.join(Severity.labels)}）。")
    if getattr(user, "department_id", None) != commitment.supervising_department_id:
        problems.append("只有该承诺的监管部门可以录入履约情况。")
    if outcome not in Outcome.values:
        problems.append("请选择履约情况。")
    elif outcome != Outcome.FULFILLED and not unfulfilled.strip():
        problems.append("部分履行或全部未履行时，必须填写未履行的内容。")
    if outcome == Outcome.BREACHED and not follow_up.strip():
        problems.append("全部未履行时，必须填写后续处理（如撤销许可、记入失信记录）。")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if commitment.status != CommitmentStatus.SIGNED:
            raise ValidationError("该承诺的履约情况已录入。")
        breach_record = None
        if outcome != Outcome.FULFILLED:
            summary = records_ingest(
                record_type=RecordType.objects.get(code=BREACH_TYPE),
                department=user.department,
                rows=[(None, _breach_row(commitment, outcome, unfulfilled, follow_up, user.department, on))],
                source=Source.FORM,
                actor=user,
                severity=severity,
            )
            result = summary.outcomes[0]
            if result.record_id is None:
                raise ValidationError([f"违诺信息未能形成失信记录：{p.label}{p.message}" for p in result.problems])
            breach_record_id = result.record_id
            breach_record = breach_record_id
        fulfilment = Fulfilment.objects.create(
            commitment=commitment,
            outcome=outcome,
            unfulfilled=unfulfilled,
            follow_up=follow_up,
            department=user.department,
            recorded_by=user,
            recorded_on=on,
            timely=on <= commitment.fulfilment_deadline,
            breach_record_id=breach_record,
        )
        commitment.status = outcome
        commitment.save(update_fields=["status"])
    return fulfilment


def repair_matter(record) -> str:
    """The matter of a 信用修复型 commitment: the repair of one record, named by its public decision number."""
    return f"{record.record_type.name}信用修复（{record.decision_number}）"[:200]


def repair_commitment_publish(
    *, record, subject: Subject, on: datetime.date, signed_by=None, entered_by=None
) -> Commitment:
    """The 信用修复承诺 of a repair application, made and published on the 信用承诺公示 when it is filed.

    Called inside the filing's transaction, so a filing that fails leaves no commitment. Idempotent: a
    filing retried (or filed again after a refusal or withdrawal) finds the subject's open commitment for
    the same record and returns it, so each record's repair has one commitment on the public list.

    A refused or withdrawn application leaves the commitment published: the subject made it (its text says
    it will be made public) and a refusal decides the application, not the statement; the supervising
    department still records its fulfilment or breach.
    """
    existing = (
        Commitment.objects.select_for_update()
        .filter(subject=subject, type=CommitmentType.REPAIR, repair_record=record, status=CommitmentStatus.SIGNED)
        .first()
    )
    if existing is not None:
        return existing
    template = CommitmentTemplate.objects.filter(type=CommitmentType.REPAIR, is_active=True).order_by("pk").first()
    if template is None:
        raise ValidationError("缺少启用的“信用修复型”承诺书模板，请信用中心在承诺书模板中补充。")
    matter = repair_matter(record)
    due_on = on + datetime.timedelta(days=template.term_days)
    deadline = _fulfilment_deadline(due_on)
    # Filed at the window on the subject's behalf: a paper commitment the window enters the same day.
    channel = Channel.PAPER if getattr(entered_by, "pk", None) else Channel.ONLINE
    return Commitment.objects.create(
        code=commitment_code_next(on=on),
        template=template,
        type=CommitmentType.REPAIR,
        matter=matter,
        subject=subject,
        text=template_render(template, subject=subject, signed_on=on, due_on=due_on, matter=matter),
        signed_on=on,
        due_on=due_on,
        channel=channel,
        signed_by=signed_by if channel == Channel.ONLINE and getattr(signed_by, "pk", None) else None,
        entered_by=entered_by if channel == Channel.PAPER else None,
        # 谁认定、谁修复: the department that recognised the record checks the promise made to repair it.
        supervising_department=record.department,
        fulfilment_deadline=deadline.deadline,
        deadline_calendar=deadline.calendar,
        repair_record=record,
        **_entry_fields(channel, on),
    )


def commitment_coverage(*, on: datetime.date | None = None) -> dict:
    """Coverage = operating enterprises with a commitment record / operating enterprises (target from policy)."""
    on = on or timezone.localdate()
    target = Policy.objects.in_force("commitment_coverage_target", on=on)
    enterprises = Subject.objects.market_subjects().filter(status=OperatingStatus.OPERATING)
    total = enterprises.count()
    covered = enterprises.filter(commitments__isnull=False).distinct().count()
    return {
        "enterprises": total,
        "covered": covered,
        "coverage": (covered / total) if total else None,
        "target": float(target.value) if target is not None and target.value is not None else None,
        "target_percent": f"{float(target.value) * 100:g}" if target is not None and target.value is not None else "",
    }


def commitments_import(*, rows: list[dict], user, department) -> list[Commitment]:
    """Bulk entry of signed commitments (rows: 统一社会信用代码, 承诺类型, 承诺事项, 承诺日期).

    Every row is checked first and all problems are reported at once, row by
    row; nothing is written unless every row is good. A row may carry its sheet
    row number under ``_row`` (else rows are numbered from 2, under a header).
    """

    if department is None or getattr(user, "department_id", None) != department.pk:
        raise ValidationError("批量导入只能由部门工作人员以本部门名义进行。")
    type_by_label = {label: value for value, label in CommitmentType.choices}
    type_by_label |= {value: value for value in CommitmentType.values}
    templates = {
        (t.type, t.matter): t
        for t in CommitmentTemplate.objects.filter(is_active=True).select_related("supervising_department")
    }
    codes = [normalise_code(str(r.get("统一社会信用代码") or "")) for r in rows]
    subjects = {s.uscc: s for s in Subject.objects.filter(uscc__in=[c for c in codes if c])}
    open_keys = set(
        Commitment.objects.filter(subject__in=subjects.values(), status=CommitmentStatus.SIGNED).values_list(
            "subject_id", "type", "matter"
        )
    )
    today = timezone.localdate()
    prepared, problems, seen = [], [], {}
    for index, (row, uscc) in enumerate(zip(rows, codes, strict=True)):
        n = row.get("_row") or index + 2
        row_problems = list(row.get("_problems") or ())
        subject = subjects.get(uscc)
        if not uscc:
            row_problems.append("统一社会信用代码为空")
        elif subject is None:
            row_problems.append(f"平台中没有统一社会信用代码为“{uscc}”的主体")
        type_text = str(row.get("承诺类型") or "").strip()
        matter = str(row.get("承诺事项") or "").strip()
        kind = type_by_label.get(type_text)
        template = templates.get((kind, matter))
        if kind is None:
            row_problems.append(f"承诺类型“{type_text}”不是七类之一（{'、'.join(CommitmentType.labels)}）")
        elif template is None:
            row_problems.append(f"没有启用的“{type_text}｜{matter}”承诺书模板")
        elif template.supervising_department_id is None:
            row_problems.append(f"“{matter}”承诺书模板尚未指定监管部门")
        elif template.supervising_department_id != department.pk:
            row_problems.append(f"“{matter}”承诺由{template.supervising_department.name}监管，只能由该部门导入")
        signed_on = None
        try:
            signed_on = parse_date(row.get("承诺日期") or "")
        except ValueProblem as exc:
            row_problems.append(f"承诺日期：{exc}")
        else:
            if signed_on > today:
                row_problems.append("承诺日期不能晚于今天")
        if subject is not None and template is not None:
            key = (subject.pk, template.type, template.matter)
            if key in seen:
                row_problems.append(f"与第{seen[key]}行重复（同一主体同一承诺事项）")
            elif key in open_keys:
                row_problems.append(f"该主体已就“{template.matter}”作出信用承诺且尚未核实履约，不能重复签署")
            seen.setdefault(key, n)
        if row_problems:
            problems.append(f"第{n}行：" + "；".join(row_problems) + "。")
        else:
            prepared.append((n, subject, template, signed_on))
    if problems:
        raise ValidationError(problems)
    created = []
    with transaction.atomic():
        for n, subject, template, signed_on in prepared:
            try:
                with transaction.atomic():
                    created.append(
                        commitment_sign(
                            template=template,
                            subject=subject,
                            user=user,
                            channel=Channel.IMPORT,
                            signed_on=signed_on,
                            department=department,
                        )
                    )
            except ValidationError as exc:
                problems.append(f"第{n}行：" + "；".join(exc.messages))
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ValidationError(problems)
    return created
