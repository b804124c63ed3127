"""``manage.py backup``: pg_dump + uploaded files + manifest in one .tar.gz."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.backups.services import BackupError, backup_create, default_backup_dir


class Command(BaseCommand):
    help = "备份数据库（pg_dump）和上传文件到一个归档，附行数清单与审计链头"

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", type=Path, help="归档目录（默认 BACKUP_DIR 或 var/backups）")

    def handle(self, *args, output_dir=None, **options):
        try:
            archive, manifest = backup_create(output_dir=output_dir or default_backup_dir())
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        head = manifest["audit_chain_head"]
        self.stdout.write(f"已写入 {archive}")
        self.stdout.write(
            f"数据表 {len(manifest['counts'])} 张，共 {sum(manifest['counts'].values())} 行；文件 {len(manifest['files'])} 个"
        )
        self.stdout.write(f"审计链头 {head['seq']}:{head['hash']}")
