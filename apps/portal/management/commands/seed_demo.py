"""``manage.py seed_demo``: a believable 乳山市 (371083) to click through.

Loads the powers, the county's departments, one demo account per role and a
few thousand credit subjects of every kind the code rules know (enterprises,
个体工商户, cooperatives, social organisations, public institutions, rural
collectives, Y1/A1 codes, natural persons), plus a handful of planted 重错码
cases so the code-quality pages have something to find.

Idempotent: everything is keyed on natural keys (power and department code,
username, USCC + name, ID-number hash) and generated from a fixed seed, so a
second run finds every row already there and writes nothing. The random
subjects come from one sequence that does not depend on ``--subjects``, so a
run with a larger count only adds the tail.

Subjects are prepared by ``subjects.services.subject_prepare`` (the same
normalising, checking, hashing, encryption and masking as every other write)
and inserted with ``bulk_create``, which skips signals: seeding is not a staff
change and does not belong in the audit log.

Word lists and departments are data, in ``fixtures/demo/``.
"""

import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone

from apps.accounts.choices import ClaimStatus, Role, SubjectAccountKind
from apps.accounts.models import Department, Power, SubjectClaim, User
from apps.lists.models import ListType
from apps.portal.demo_credit import seed_credit_data
from apps.portal.demo_fixed import anchor_specs, department_specs, planted_specs
from apps.portal.demo_subjects import (
    REGION,
    Spec,
    SubjectFactory,
    display_width,
    load_json,
    pad,
)
from apps.subjects.choices import SubjectKind
from apps.subjects.codes import REGISTRATION_AUTHORITIES, build_uscc
from apps.subjects.models import Subject
from apps.subjects.pii import id_number_hash
from apps.subjects.selectors import code_quality_summary
from apps.subjects.services import subject_prepare

SEED = 371083
# Printed at the end of every run on purpose: these are demo accounts only.
DEMO_PASSWORD = "Demo@2024credit"  # noqa: S105
FIXTURES = settings.BASE_DIR / "fixtures"
DEFAULT_SUBJECTS = 3000
# The word lists give enough distinct names for this many; beyond it names would repeat.
MAX_SUBJECTS = 100_000


@dataclass
class DemoUser:
    username: str
    role: str
    full_name: str
    phone: str
    department: str | None = None
    account_kind: str = ""
    subject: str | None = None  # anchor name of the subject the account has claimed


DEMO_USERS = [
    DemoUser("admin", Role.ADMIN, "于海涛", "0631-6652001"),
    DemoUser("center1", Role.CENTER, "王丽娜", "0631-6652018"),
    DemoUser("scjgj_clerk", Role.CLERK, "孙晓燕", "0631-6653120", "scjgj"),
    DemoUser("scjgj_reviewer", Role.REVIEWER, "宋志强", "0631-6653121", "scjgj"),
    DemoUser("swj_clerk", Role.CLERK, "林雅琪", "0631-6654302", "swj"),
    DemoUser("swj_reviewer", Role.REVIEWER, "刘国栋", "0631-6654303", "swj"),
    DemoUser("yjglj_clerk", Role.CLERK, "丛建华", "0631-6655210", "yjglj"),
    DemoUser("fgj_clerk", Role.CLERK, "隋晓梅", "0631-6652110", "fgj"),
    DemoUser("fy_clerk", Role.CLERK, "曲振东", "0631-6656008", "fy"),
    DemoUser(
        "qiye_demo",
        Role.SUBJECT,
        "于明华",
        "13906311234",
        account_kind=SubjectAccountKind.ENTERPRISE,
        subject="enterprise",
    ),
    DemoUser(
        "geren_demo", Role.SUBJECT, "王秀英", "13863145678", account_kind=SubjectAccountKind.PERSON, subject="person"
    ),
]


class Command(BaseCommand):
    help = "生成乳山市（371083）演示数据：职权、部门、各角色演示账号、数千个信用主体及预置重错码样例。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--subjects",
            type=int,
            default=DEFAULT_SUBJECTS,
            help=f"信用主体总数（含固定样例），默认 {DEFAULT_SUBJECTS}",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="把已存在的演示账号密码重置为演示密码（默认只给新建账号设置密码）",
        )

    def handle(self, *args, subjects, reset_passwords, **options):
        if not 0 <= subjects <= MAX_SUBJECTS:
            raise CommandError(f"--subjects 应在 0 到 {MAX_SUBJECTS} 之间（更大的数据量请用 bench/ 中的生成器）。")
        started = time.monotonic()
        departments = load_json(FIXTURES / "demo" / "departments.json")
        words = load_json(FIXTURES / "demo" / "names.json")
        factory = SubjectFactory(random.Random(SEED), words)

        with transaction.atomic():
            powers = self.seed_powers()
            self.seed_departments(departments, powers)
            self.seed_list_recognisers()
            anchors = anchor_specs(factory)
            fixed = department_specs(factory, departments) + list(anchors.values()) + planted_specs(factory)
            specs = fixed + factory.random_specs(max(subjects - len(fixed), 0))
            created_subjects = self.seed_subjects(specs)
            users = self.seed_users(anchors, reset_passwords)
        enterprise = next((u.subject for _demo, u, _created in users if u.username == "qiye_demo"), None)
        credit = seed_credit_data(seed=SEED, extra_penalty_subject=enterprise)

        self.report(users, created_subjects, time.monotonic() - started)
        if credit:
            self.stdout.write(
                f"演示信用信息（经报送流程入库）：行政处罚 {credit['penalty']} 条，行政许可 {credit['license']} 条，"
                f"名单 {credit['list_entry']} 条；已按评价模型计算信用等级。"
            )

    # --- steps -----------------------------------------------------------------------

    def seed_powers(self) -> dict[str, Power]:
        """Upsert by code rather than ``loaddata``: the fixture's pks may clash with
        powers an administrator added, and the code is the natural key."""
        powers = {}
        for row in load_json(FIXTURES / "powers.json"):
            values = {"name": row["fields"]["name"], "sort_order": row["fields"]["sort_order"]}
            power = Power.objects.filter(code=row["fields"]["code"]).first() or Power(code=row["fields"]["code"])
            if sync(power, values) or power.pk is None:
                power.save()
            powers[power.code] = power
        return powers

    def seed_departments(self, departments, powers):
        for row in departments:
            values = {
                "name": row["name"],
                "uscc": build_uscc("11", REGION, row["uscc_body"]),
                "region_code": REGION,
                "is_active": True,
            }
            dept = Department.objects.filter(code=row["code"]).first() or Department(code=row["code"])
            if sync(dept, values) or dept.pk is None:
                try:
                    dept.full_clean()
                except ValidationError as exc:
                    raise CommandError(f"部门“{row['code']}”无法写入：{exc.messages}") from exc
                dept.save()
            wanted = {powers[code] for code in row["powers"]}
            if set(dept.powers.all()) != wanted:
                dept.powers.set(wanted)

    def seed_list_recognisers(self):
        """Name the county's departments as recognisers of the national lists they own."""

        for code, department_codes in load_json(FIXTURES / "demo" / "list_recognisers.json").items():
            list_type = ListType.objects.filter(code=code).first()
            if list_type is None:
                continue  # removed by staff: respect that
            wanted = set(Department.objects.filter(code__in=department_codes))
            if set(list_type.recognisers.all()) != wanted:
                list_type.recognisers.set(wanted)

    def seed_subjects(self, specs: list[Spec]) -> int:
        existing_orgs = set(Subject.objects.exclude(uscc="").values_list("uscc", "name"))
        existing_people = set(Subject.objects.exclude(id_number_hash="").values_list("id_number_hash", flat=True))
        new = []
        for spec in specs:
            if spec.id_number:
                if id_number_hash(spec.id_number) in existing_people:
                    continue
            elif (spec.uscc, spec.name) in existing_orgs:
                continue
            subject = Subject(kind=spec.kind, name=spec.name, uscc=spec.uscc, **spec.fields)
            try:
                subject_prepare(subject=subject, id_number=spec.id_number, strict=spec.strict)
            except ValidationError as exc:  # a generator bug, not a data problem
                raise CommandError(f"演示主体“{spec.name}”未通过校验：{exc.messages}") from exc
            new.append(subject)
        Subject.objects.bulk_create(new, batch_size=500)
        return len(new)

    def seed_users(self, anchors: dict[str, Spec], reset_passwords: bool) -> list[tuple[DemoUser, User, bool]]:
        results = []
        center = None
        # One PBKDF2 run for all accounts instead of one each (about 0.3 s apiece):
        # the shared hash gives nothing away that the printed table does not.
        encoded = None
        for demo in DEMO_USERS:
            values = {
                "role": demo.role,
                "full_name": demo.full_name,
                "phone": demo.phone,
                "department": Department.objects.get(code=demo.department) if demo.department else None,
                "account_kind": demo.account_kind,
                "is_staff": demo.role == Role.ADMIN,
                "is_superuser": demo.role == Role.ADMIN,
                "is_active": True,
                "subject": find_subject(anchors[demo.subject]) if demo.subject else None,
            }
            user = User.objects.filter(username=demo.username).first()
            created = user is None
            if created:
                user = User(username=demo.username)
            changed = sync(user, values)
            if created or reset_passwords:
                try:
                    validate_password(DEMO_PASSWORD, user)
                except ValidationError as exc:
                    raise CommandError(f"演示密码不符合密码规则：{exc.messages}") from exc
                encoded = encoded or make_password(DEMO_PASSWORD)
                user.password = encoded
            if created or changed or reset_passwords:
                user.full_clean(exclude=["password"])
                user.save()
            if demo.role == Role.CENTER and center is None:
                center = user
            results.append((demo, user, created))
        for _demo, user, _created in results:
            if user.subject_id:
                self.ensure_claim(user, center)
        return results

    def ensure_claim(self, user: User, center: User | None):
        """The demo subject accounts arrive already verified, as if center staff had approved their claim."""
        subject = user.subject
        if SubjectClaim.objects.filter(user=user, subject=subject, status=ClaimStatus.APPROVED).exists():
            return
        SubjectClaim.objects.create(
            user=user,
            subject=subject,
            code=subject.uscc or subject.id_number_masked,
            subject_name=subject.name,
            matched=True,
            evidence="演示数据：本人持营业执照/身份证到信用中心窗口现场核验。",
            status=ClaimStatus.APPROVED,
            reviewed_by=center,
            reviewed_at=timezone.now(),
            review_note="演示数据，已核验",
        )

    # --- output ------------------------------------------------------------------------

    def report(self, users, created_subjects: int, elapsed: float):
        rows = [("角色", "用户名", "密码", "所属部门 / 认领主体")]
        for demo, user, _created in users:
            if user.department_id:
                where = user.department.name
            elif user.subject_id:
                where = f"{user.subject.name}（{user.subject.public_code}）"
            else:
                where = "—"
            rows.append((Role(demo.role).label, demo.username, DEMO_PASSWORD, where))
        widths = [max(display_width(row[i]) for row in rows) for i in range(3)]
        self.stdout.write(self.style.MIGRATE_HEADING("演示账号（登录地址 /accounts/login/）"))
        for index, row in enumerate(rows):
            line = "  ".join(pad(cell, widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
            self.stdout.write(line)
            if index == 0:
                self.stdout.write("-" * (sum(widths) + 6 + display_width(row[3])))
        self.stdout.write("已存在的账号不会被改回演示密码；需要时运行 seed_demo --reset-passwords。")

        self.stdout.write(self.style.MIGRATE_HEADING("数据概况"))
        self.stdout.write(
            f"职权 {Power.objects.count()} 项；部门 {Department.objects.count()} 个；用户 {User.objects.count()} 个"
        )
        by_kind = dict(Subject.objects.values_list("kind").annotate(n=Count("pk")))
        kinds = "，".join(f"{label} {by_kind.get(value, 0)}" for value, label in SubjectKind.choices)
        self.stdout.write(f"信用主体 {sum(by_kind.values())} 个（本次新增 {created_subjects} 个）：{kinds}")
        by_authority = (
            Subject.objects.exclude(uscc="")
            .annotate(authority=Substr("uscc", 1, 1))
            .values_list("authority")
            .annotate(n=Count("pk"))
            .order_by("authority")
        )
        authorities = "，".join(f"{code} {REGISTRATION_AUTHORITIES.get(code, '?')} {n}" for code, n in by_authority)
        self.stdout.write(f"按登记管理部门：{authorities}")
        summary = code_quality_summary()
        self.stdout.write(
            f"重错码：重码 {summary.duplicate_codes} 个代码，错码 {summary.erroneous_codes} 个，"
            f"疑似错码 {summary.suspect_codes} 个，涉及主体 {summary.affected_subjects} 个，"
            f"重错码率 {summary.rate_percent}"
        )
        self.stdout.write(self.style.SUCCESS(f"完成，用时 {elapsed:.1f} 秒。"))


def sync(instance, values: dict) -> list[str]:
    """Copy ``values`` onto ``instance``; return the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    return changed


def find_subject(spec: Spec) -> Subject:
    if spec.id_number:
        return Subject.objects.get(id_number_hash=id_number_hash(spec.id_number))
    return Subject.objects.get(uscc=spec.uscc, name=spec.name)
