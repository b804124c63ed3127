"""``manage.py verify_restore ARCHIVE``: restore into a scratch database and compare with the manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.backups.services import BackupError, backup_verify_restore


class Command(BaseCommand):
    help = "把备份恢复到临时数据库，核对各表行数、审计哈希链及链头、上传文件，然后删除临时库"

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--scratch-db", help="临时恢复库名（默认 <库名>_restore_check）")
        parser.add_argument("--keep", action="store_true", help="保留临时恢复库以便查看")

    def handle(self, *args, archive, scratch_db=None, keep=False, **options):
        if not archive.is_file():
            raise CommandError(f"找不到备份文件 {archive}")
        try:
            report = backup_verify_restore(archive=archive, scratch_name=scratch_db, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"恢复到 {report.scratch_database}：{len(report.counts)} 张表，共 {sum(report.counts.values())} 行"
        )
        self.stdout.write(f"审计链头 {report.head[0]}:{report.head[1]}")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(f"恢复校验失败：{len(report.problems)} 个问题")
        self.stdout.write(self.style.SUCCESS("恢复校验通过：行数、审计链头与上传文件均与备份清单一致"))
