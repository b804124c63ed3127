"""The report PDF, rendered from the issued snapshot (reportlab, CJK font embedded, QR code by segno).

Rendering reads nothing but ``report.snapshot`` (through ``public_snapshot``,
which masks personal numbers in names and free text): a re-download months
later gives the same content as the first, whatever happened to the records since.
"""

import io
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from credit_portal.pdf import cjk_font_name

from .choices import ReportKind
from .services import public_snapshot


def _styles():
    font = cjk_font_name()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11),
    }


def _p(text, style):
    return Paragraph(escape(str(text or "")), style)


def _table(rows, widths, style_head=True):
    table = Table(rows, colWidths=widths, repeatRows=1 if style_head else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if style_head:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _record_cell(row, style):
    """A record's text: struck through while under repair, marked while under objection."""
    text = escape(f"{row['summary'] or row['record_type']}")
    if row["under_repair"]:
        text = f"<strike>{text}</strike> 【信用修复中】"
    if row["under_objection"]:
        text += " 【异议处理中】"
    return Paragraph(text, style)


def _records_table(rows, styles):
    cell = styles["cell"]
    head = [_p(h, cell) for h in ("信息类型", "决定文书号", "决定日期", "决定部门", "内容")]
    body = []
    for row in rows:
        number = escape(row["decision_number"])
        if row["under_repair"]:
            number = f"<strike>{number}</strike>"
        body.append(
            [
                _p(row["record_type"] + (f"（{row['severity']}）" if row["severity"] else ""), cell),
                Paragraph(number, cell),
                _p(row["decision_date"], cell),
                _p(row["department"], cell),
                _record_cell(row, cell),
            ]
        )
    return _table([head, *body], [26 * mm, 34 * mm, 20 * mm, 36 * mm, 64 * mm])


def _special_table(rows, styles):
    """The 专用版's penalties: each with its kind and its status, so the reader sees why an
    unpublished or repaired one is listed (snapshots from version 3; older ones had no status)."""
    cell = styles["cell"]
    head = [_p(h, cell) for h in ("决定日期", "决定文书号", "决定部门", "处罚类别", "内容", "状态")]
    body = [
        [
            _p(row["decision_date"], cell),
            _p(row["decision_number"], cell),
            _p(row["department"], cell),
            _p(row.get("kind") or row["record_type"], cell),
            _p(row["summary"], cell),
            _p(row.get("status_text") or row.get("status") or "", cell),
        ]
        for row in rows
    ]
    return _table([head, *body], [20 * mm, 36 * mm, 30 * mm, 22 * mm, 46 * mm, 26 * mm])


def _qr_image(url: str) -> Image:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    return Image(buffer, width=28 * mm, height=28 * mm)


def report_pdf(report) -> bytes:
    # Names, document numbers and free text with ID and mobile numbers masked (reports issued earlier too).
    snap = public_snapshot(report.snapshot)
    styles = _styles()
    body, small, h2 = styles["body"], styles["small"], styles["h2"]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"信用报告 {snap['number']}",
        author=snap["issuer"],
        invariant=True,
    )
    # A 专用版 from version 3 on reads every penalty of the period, not only those in publicity.
    every_penalty = report.kind == ReportKind.SPECIAL and snap.get("version", 1) >= 3
    story = [_p(snap["kind_label"], styles["title"])]
    meta = [
        [_p("报告编号", body), _p(snap["number"], body)],
        [_p("出具时间", body), _p(snap["issued_at"].replace("T", " ")[:19], body)],
        [_p("验证码", body), _p(report.verification_code, body)],
        [
            _p("报告用途", body),
            _p(snap["purpose"] + (f"（{snap['purpose_note']}）" if snap["purpose_note"] else ""), body),
        ],
        [_p("出具机构", body), _p(snap["issuer"], body)],
    ]
    header = Table(
        [[_table(meta, [24 * mm, 118 * mm], style_head=False), _qr_image(snap["verify_url"])]],
        colWidths=[146 * mm, 34 * mm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [
        header,
        _p("扫描二维码或访问本平台“信用报告验证”页面，输入报告编号和验证码，可核验本报告的真伪及内容。", small),
    ]

    subject = snap["subject"]
    story.append(_p("一、主体身份信息", h2))
    identity = [
        ["主体名称", subject["name"]],
        ["主体类别", subject["kind"]],
        [subject["code_label"], subject["code"] or "—"],
        *[[label, value] for label, value in subject["legacy_codes"]],
    ]
    if subject["legal_representative"]:
        identity.append(["法定代表人/负责人", subject["legal_representative"]])
    identity += [["登记地", subject["region"] or "—"], ["经营状态", subject["status"]]]
    story.append(_table([[_p(a, body), _p(b, body)] for a, b in identity], [40 * mm, 140 * mm], style_head=False))

    story.append(_p("二、信用评价", h2))
    story.append(_p(snap["grade"] or "暂无公开的公共信用综合评价结果。", body))

    story.append(_p("三、红黑名单信息", h2))
    if snap["entries"]:
        cell = styles["cell"]
        rows = [[_p(h, cell) for h in ("名单", "认定部门", "认定文书号", "认定日期", "有效期至")]]
        for e in snap["entries"]:
            mark = "【异议处理中】" if e["under_objection"] else ""
            rows.append(
                [
                    _p(f"{e['list_type']}（{e['color_label']}）{mark}", cell),
                    _p(e["department"], cell),
                    _p(e["decision_number"], cell),
                    _p(e["recognised_on"], cell),
                    _p(e["valid_until"] or "至移出之日", cell),
                ]
            )
        story.append(_table(rows, [54 * mm, 40 * mm, 38 * mm, 24 * mm, 24 * mm]))
    else:
        story.append(_p("无在列的红黑名单信息。", body))

    if report.kind == ReportKind.SPECIAL:
        special = snap["special"]
        story.append(_p("四、行政处罚信息查询结果（专用版）", h2))
        story.append(_p(special["statement"], body))
        penalties = special["penalties"]
        if penalties:
            story.append(Spacer(1, 4))
            if every_penalty:
                story.append(_special_table(penalties, styles))
            else:  # issued before version 3: publicised penalties only, no status column
                story.append(_records_table(penalties, styles))
    else:
        story.append(_p("四、公示期内的行政管理信息（双公示等）", h2))
        if snap["records"]:
            story.append(_records_table(snap["records"], styles))
            if snap.get("records_truncated"):
                story.append(_p("记录较多，仅列出最近的部分，完整信息请在本平台查询。", small))
        else:
            story.append(_p("无公示期内的行政管理信息。", body))

    story.append(_p("五、信用承诺", h2))
    commitments = snap["commitments"]
    if commitments and isinstance(commitments[0], str):  # snapshots of version 1 kept one line each
        story.append(_p("；".join(commitments), body))
    elif commitments:
        cell = styles["cell"]
        rows = [[_p(h, cell) for h in ("承诺编号", "承诺类型", "承诺事项", "承诺日期", "履约情况")]]
        rows += [
            [
                _p(c["code"], cell),
                _p(c["type"], cell),
                _p(c["matter"], cell),
                _p(c["signed_on"], cell),
                _p(c["status"], cell),
            ]
            for c in commitments
        ]
        story.append(_table(rows, [40 * mm, 30 * mm, 60 * mm, 24 * mm, 26 * mm]))
    else:
        story.append(_p("暂无公示的信用承诺信息。", body))

    story.append(_p("六、信用修复记录", h2))
    repairs = snap.get("repairs") or []
    if repairs:
        cell = styles["cell"]
        rows = [[_p(h, cell) for h in ("修复申请编号", "信息类型", "信息提供部门", "准予修复日期")]]
        rows += [
            [
                _p(r["number"], cell),
                _p(r["record_type"], cell),
                _p(r["department"], cell),
                _p(r["approved_on"] or "—", cell),
            ]
            for r in repairs
        ]
        story.append(_table(rows, [44 * mm, 40 * mm, 66 * mm, 30 * mm]))
        if every_penalty:  # the 专用版 lists a repaired penalty of the period, marked 已信用修复
            story.append(
                _p("已修复的信息依规停止公示；查询期间内的已修复行政处罚在第四部分列出并注明“已信用修复”。", small)
            )
        else:
            story.append(_p("已修复的信息依规停止公示，不在本报告中列出其内容。", small))
    else:
        story.append(_p("无信用修复记录。", body))

    if "declarations" in snap:  # snapshot version 4
        story.append(_p("七、自主申报信息（已核实）", h2))
        declarations = snap["declarations"]
        if declarations:
            cell = styles["cell"]
            rows = [[_p(h, cell) for h in ("类别", "名称", "颁发或认定单位", "取得日期", "核实部门及日期")]]
            rows += [
                [
                    _p(d["kind"], cell),
                    _p(d["title"], cell),
                    _p(d["issuer"] or "—", cell),
                    _p(d["occurred_on"], cell),
                    _p(f"{d['department']} {d['reviewed_on'] or ''}", cell),
                ]
                for d in declarations
            ]
            story.append(_table(rows, [24 * mm, 56 * mm, 40 * mm, 24 * mm, 36 * mm]))
        else:
            story.append(_p("无经核实的自主申报信息。", body))
        story.append(_p("主体自主申报并经主管部门核实的信息；未核实的申报信息仅在信用档案中标注公示。", small))
    if "interviews" in snap:  # reports the subject or the credit center issued (snapshot version 4)
        story.append(_p("八、约谈记录", h2))
        interviews = snap["interviews"]
        if interviews:
            cell = styles["cell"]
            rows = [[_p(h, cell) for h in ("日期", "类型", "事由", "约谈部门", "状态", "约谈内容")]]
            rows += [
                [
                    _p(r["date"] or "—", cell),
                    _p(r["kind"], cell),
                    _p(r["reason"], cell),
                    _p(r["department"], cell),
                    _p(r["status"], cell),
                    _p(r["content"] or "—", cell),
                ]
                for r in interviews
            ]
            story.append(_table(rows, [22 * mm, 30 * mm, 34 * mm, 30 * mm, 16 * mm, 48 * mm]))
        else:
            story.append(_p("无约谈记录。", body))
        story.append(_p("约谈记录记入信用记录，不向社会公示；仅在主体本人或信用中心出具的报告中列出。", small))

    scope = (
        "；第四部分的行政处罚查询结果包括查询期间内作出的全部行政处罚（含未公示、公示期满和已信用修复的），"
        "已撤销的处罚决定不列入。"
        if every_penalty
        else "。"
    )
    story.append(Spacer(1, 8))
    story.append(
        _p(
            f"说明：本报告依据截至{snap['as_of']}在本平台公示期内的公共信用信息生成{scope}"
            "带删除线的信息正在进行信用修复；标注“异议处理中”的信息正在异议核实。"
            "自然人身份证号码已作脱敏处理。本报告仅供所列用途使用。",
            small,
        )
    )
    doc.build(story)
    return buffer.getvalue()
