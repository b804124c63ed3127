"""Check the audit trail's hash chain and print its head.

Exit status 1 (CommandError) when any entry was edited, deleted or inserted
outside the normal write path, or when ``--expect-head`` (a head recorded
earlier, e.g. in the backup log) is no longer part of the chain.
"""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.chain import chain_verify
from apps.audit.models import AuditChainLink


class Command(BaseCommand):
    help = "校验审计记录哈希链，发现篡改（修改、删除、插入）并输出链头"

    def add_arguments(self, parser):
        parser.add_argument("--expect-head", help="此前记录的链头哈希（或 序号:哈希），须仍在链上")
        parser.add_argument("--max-problems", type=int, default=50, help="最多列出的问题条数")

    def handle(self, *args, expect_head=None, max_problems=50, **options):

        report = chain_verify()
        if expect_head:
            seq, _, digest = expect_head.rpartition(":")
            link = AuditChainLink.objects.filter(hash=digest).first()
            if link is None or (seq and str(link.seq) != seq):
                report.problems.append(f"此前记录的链头 {expect_head} 已不在链上（末尾记录被删除或链被重写）")
        self.stdout.write(f"已校验 {report.checked} 条审计记录")
        self.stdout.write(f"链头 {report.head_seq}:{report.head_hash}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("审计哈希链完整"))
            return
        for problem in report.problems[:max_problems]:
            self.stderr.write(problem)
        if len(report.problems) > max_problems:
            self.stderr.write(f"……另有 {len(report.problems) - max_problems} 个问题未列出")
        raise CommandError(f"审计哈希链校验失败：{len(report.problems)} 个问题")
