"""python manage.py import_records FILE --type TYPE --department DEPT

Same reader and pipeline as the web upload (source "command"). Progress goes to
stderr; rejected rows to stdout as they are found, then — as the last line of
stdout — the JSON summary {"accepted": n, "rejected": n, "duplicates": n}. Exit
status 0 when the file was read (even with rejected rows); non-zero with a
message when it could not be read, or the type or department is unknown.

The administrator's tool for backfills: not bound by the web upload's
RECORD_UPLOAD_MAX_MB. The file is streamed segment by segment and rejected rows
are written out as they come rather than kept, so memory stays flat however
large the file (bench/README.md: 400,000 and 2,000,000 rows).
"""

import json
import os
import time

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.catalog.spec import TypeSpec
from apps.records.choices import Source
from apps.records.forms_upload import department_may_report
from apps.records.intake.guards import UploadError
from apps.records.intake.importing import Progress, import_table, read_failure_message
from apps.records.intake.table import inspect_file


class Command(BaseCommand):
    help = "从 .xlsx / .csv 文件导入信用信息记录（与网页上传相同的表头识别和校验流程）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        parser.add_argument("--type", required=True, dest="type_code", help="信息类型代码，如 penalty、license")
        parser.add_argument("--department", required=True, help="报送部门代码（/api/v1/departments/ 中的 code）")
        parser.add_argument("--no-rejected", action="store_true", help="不逐行列出拒收的行和有提示的行，只输出汇总")

    def handle(self, *args, file, type_code, department, no_rejected=False, **options):
        record_type = RecordType.objects.filter(code=type_code, is_active=True).first()
        if record_type is None:
            known = "、".join(RecordType.objects.filter(is_active=True).values_list("code", flat=True))
            raise CommandError(f"未知的信息类型“{type_code}”。可用的类型代码：{known}")
        dept = Department.objects.filter(code=department, is_active=True).first()
        if dept is None:
            raise CommandError(f"未知的部门代码“{department}”。请使用 /api/v1/departments/ 中列出的部门代码。")
        if not department_may_report(dept, record_type):
            raise CommandError(f"{dept.name}没有“{record_type.power}”职权，不能报送{record_type.name}信息。")
        if not os.path.isfile(file):
            raise CommandError(f"文件不存在或不是普通文件：{file}")

        spec = TypeSpec.load(record_type)
        progress = Progress()
        with open(file, "rb") as handle:
            try:
                table = inspect_file(handle, os.path.basename(file), os.path.getsize(file), spec, upload_limit=False)
            except UploadError as exc:
                raise CommandError("无法读取文件：" + "；".join(exc.messages)) from exc
            for note in table.notes:
                self.stderr.write(note)
            total = table.estimated_rows()
            size_mb = os.path.getsize(file) / 1024 / 1024
            self.stderr.write(
                f"开始导入《{record_type.name}》：{os.path.basename(file)}（{size_mb:.1f} MB），约 {total} 行，"
                f"报送部门：{dept.name}"
            )
            started = time.monotonic()

            def on_progress(p: Progress):
                nonlocal progress
                progress = p
                elapsed = time.monotonic() - started
                rate = f"，{p.processed / elapsed:,.0f} 行/秒" if elapsed > 0 else ""
                self.stderr.write(
                    f"已处理 {p.processed}/{max(total, p.processed)} 行：接收 {p.accepted}，更新 {p.updated}，"
                    f"重复 {p.duplicates}，拒收 {p.rejected}（用时 {elapsed:.0f} 秒{rate}）"
                )
                # Written out and forgotten as they come: a backfill of millions of rows would otherwise
                # hold every rejected row's problems until the end.
                if not no_rejected:
                    self._write_rejected(p.rejected_rows)
                p.rejected_rows.clear()

            failure = None
            try:
                progress, _ = import_table(
                    table,
                    department=dept,
                    source=Source.COMMAND,
                    actor_label="命令导入",
                    on_progress=on_progress,
                )
            except Exception as exc:  # noqa: BLE001 — reported below, after what was kept
                failure = exc
        if not no_rejected:
            self._write_rejected(progress.rejected_rows)
            for entry in progress.warned_rows:
                number = f"（{entry['decision_number']}）" if entry["decision_number"] else ""
                notes = "；".join(
                    f"{w['label']}：{w['message']}" if w["label"] else w["message"] for w in entry["warnings"]
                )
                self.stdout.write(f"第{entry['row']}行{number}已接收，提示：{notes}")
            if progress.warned > len(progress.warned_rows):
                self.stdout.write(f"另有 {progress.warned - len(progress.warned_rows)} 行已接收并有提示，未逐行列出。")
        self.stdout.write(json.dumps(progress.as_dict(), ensure_ascii=False))
        if failure is not None:
            raise CommandError(read_failure_message(failure, progress.processed)) from failure

    def _write_rejected(self, entries):
        for entry in entries:
            number = f"（{entry['decision_number']}）" if entry["decision_number"] else ""
            problems = "；".join(
                f"{p['label']}：{p['message']}" if p["label"] else p["message"] for p in entry["problems"]
            )
            self.stdout.write(f"第{entry['row']}行{number}拒收：{problems}")
