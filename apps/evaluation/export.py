"""The 双随机 sample and its inspectors' assignment as .xlsx."""

import tempfile

from openpyxl import Workbook

from apps.records.export import neutralise


def sample_xlsx(task) -> tempfile.SpooledTemporaryFile:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("抽查名单")
    ws.append([neutralise(f"{task.name}（{task.department.name}，{task.field.name}）")])
    ws.append([f"随机种子 {task.seed}；对象总数 {task.population_size}；抽取时间 {task.drawn_at:%Y-%m-%d %H:%M}"])
    ws.append(["序号", "主体名称", "统一社会信用代码/证件号码", "信用等级", "检查人员"])
    for s in task.samples.select_related("subject").order_by("position"):
        ws.append(
            [
                s.position,
                neutralise(s.subject.name),
                s.subject.public_code,
                s.grade or "未评价",
                neutralise("、".join(s.inspectors)),
            ]
        )
    ws2 = wb.create_sheet("分层情况")
    ws2.append(["信用等级", "对象数", "抽查系数", "抽取数"])
    for row in task.strata:
        ws2.append([row["grade"] or "未评价", row["population"], row["factor"], row["drawn"]])
    out = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)
    wb.save(out)
    out.seek(0)
    return out
