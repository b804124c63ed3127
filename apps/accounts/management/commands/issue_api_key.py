"""``manage.py issue_api_key``: credentials for a department's IT system.

The raw key is printed once and never stored: the platform keeps only its
SHA-256 hash (``ApiKey.key_hash``), so a lost key is replaced, not recovered.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.accounts.models import ApiKey, Department


class Command(BaseCommand):
    help = "为外部系统（部门业务系统、窗口系统等）签发 API Key，密钥明文只显示一次。"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="系统名称，如“市场监管局双公示报送系统”")
        parser.add_argument("--department", metavar="CODE", help="所属部门代码（如 scjgj）；不填则不属于任何部门")
        parser.add_argument(
            "--scope",
            dest="scopes",
            metavar="SCOPE",
            action="extend",
            nargs="+",
            default=[],
            help="权限范围，可写多个或重复使用，如 --scope records:write credit-check",
        )
        parser.add_argument("--expires-days", type=int, metavar="N", help="有效天数；不填则长期有效")

    def handle(self, *args, name, department, scopes, expires_days, **options):
        name = name.strip()
        if not name:
            raise CommandError("系统名称不能为空。")
        dept = None
        if department:
            dept = Department.objects.filter(code=department).first()
            if dept is None:
                known = "、".join(Department.objects.order_by("code").values_list("code", flat=True)) or "（暂无部门）"
                raise CommandError(f"部门代码“{department}”不存在。可用的部门代码：{known}")
            if not dept.is_active:
                raise CommandError(f"部门“{dept.name}”已停用，不能为其签发 API Key。")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days 必须是正整数。")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        # Keep the order given, drop repeats.
        scopes = list(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))

        key, raw = ApiKey.issue(name=name, department=dept, scopes=scopes, expires_at=expires_at)

        self.stdout.write(self.style.SUCCESS(f"已签发 API Key：{key.name}"))
        self.stdout.write(f"  所属部门：{dept.name if dept else '—'}")
        self.stdout.write(f"  权限范围：{'、'.join(scopes) if scopes else '—'}")
        expiry = timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M") if expires_at else "长期有效"
        self.stdout.write(f"  有效期至：{expiry}")
        self.stdout.write(f"  密钥前缀：{key.prefix}")
        self.stdout.write("")
        self.stdout.write(raw)
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                "请立即妥善保存上面的密钥：它只显示这一次，平台只保存其哈希值，丢失后无法找回，只能重新签发。"
            )
        )
        self.stdout.write("调用接口时在请求头中携带：Authorization: Api-Key <密钥>")
