import json

from django.core.management.base import BaseCommand

from apps.subjects.selectors import duplicate_code_groups, erroneous_subjects
from apps.subjects.services import code_quality_scan


class Command(BaseCommand):
    help = "检查重错码：列出重码（同一统一社会信用代码对应不同名称）、错码和重错码率；最后一行输出 JSON 汇总。"

    def add_arguments(self, parser):
        parser.add_argument("--recheck", action="store_true", help="先按现行规则重新校验全部主体的统一社会信用代码")
        parser.add_argument("--batch-size", type=int, default=2000, help="重新校验时每批读取和写回的行数（默认 2000）")
        parser.add_argument("--limit", type=int, default=100, help="重码和错码各最多列出多少条（默认 100，0 表示全部）")

    def handle(self, *args, recheck, batch_size, limit, **options):
        result = code_quality_scan(recheck=recheck, batch_size=batch_size)
        if recheck:
            self.stdout.write(f"重新校验完成，{result['rechecked']} 个主体的校验结果有变化。")

        shown = limit or None
        groups = duplicate_code_groups(limit=shown or result["duplicate_codes"])
        self.stdout.write(f"重码：{result['duplicate_codes']} 个代码")
        for group in groups:
            names = "、".join(s.name for s in group["members"])
            self.stdout.write(f"  {group['uscc']}（{group['subjects']} 个主体）：{names}")
        self._more(result["duplicate_codes"], len(groups))

        errors = list(erroneous_subjects().only("pk", "name", "uscc", "code_warnings")[:shown])
        self.stdout.write(f"错码：{result['erroneous_codes']} 个主体")
        for subject in errors:
            self.stdout.write(f"  {subject.uscc} {subject.name}：{'；'.join(subject.code_warnings) or '未记录原因'}")
        self._more(result["erroneous_codes"], len(errors))

        self.stdout.write(f"疑似错码：{result['suspect_codes']} 个主体（不计入重错码率）")
        self.stdout.write(
            f"重错码率：{result['affected_subjects']} / {result['subjects']} = {result['rate']:.6f}（目标 0）"
        )
        summary = {
            k: result[k] for k in ("subjects", "duplicate_codes", "erroneous_codes", "affected_subjects", "rate")
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _more(self, total, shown):
        if total > shown:
            self.stdout.write(f"  …… 另有 {total - shown} 条未列出（使用 --limit 0 列出全部）")
