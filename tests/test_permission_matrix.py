"""Every route of the project × every role → the expected answer, in one table.

HOW TO ADD A ROUTE: add one line to ``MATRIX`` below,
    "<namespace:route-name>": "<anon> <subject> <clerk_a> <clerk_b> <reviewer_a> <center> <admin>",
with one answer per role:
    ok      2xx (the page or the data)
    login   302 to the login page (anonymous on a back-office page)
    403     signed in but the role may not
    404     the object is invisible to this user (another department's)
    405     GET not allowed (POST-only action; its POST is checked in the object-level tests)
    302     any other redirect (e.g. a POST-only form sending GET back to its page)
    400     a query endpoint called without its parameters
    401     API without credentials
If the route takes arguments, add how to fill them to ``ARGS`` (objects are made
by ``world``: they belong to department A, so clerk_b must get 404 or 403).
A route missing from MATRIX fails ``test_every_route_has_a_permission_decision``:
every new view needs a decision. Django-admin routes are covered by one rule
(``admin:*``: staff only), with the few exceptions listed.
"""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

from apps.accounts.choices import Role
from apps.accounts.models import SubjectClaim, User
from apps.commitments.models import CommitmentTemplate
from apps.commitments.services import commitment_sign
from apps.evaluation.models import InspectionTask, SupervisionField
from apps.lists.models import ListEntry, ListType, Measure
from apps.notifications.models import Notification
from apps.records.choices import Status
from apps.records.models import Record, Submission, Upload
from apps.records.services import records_ingest
from apps.repair.models import Material, Objection, RepairApplication
from apps.reports.choices import Purpose
from apps.reports.services import report_issue
from apps.scenarios.models import FinancingNeed, Scenario

ROLES = ("anon", "subject", "clerk_a", "clerk_b", "reviewer_a", "center", "admin")

# fmt: off
MATRIX = {
    # route                             anon    subject clerk_a clerk_b review  center  admin
    "accounts:claim_attempts":            "login   403     403     403     403     ok      ok",
    "accounts:claim_decide":              "login   403     403     403     403     ok      ok",
    "accounts:claim_lock":                "login   403     403     403     403     405     405",
    "accounts:claim_list":                "login   ok      403     403     403     403     ok",
    "accounts:claim_review":              "login   403     403     403     403     ok      ok",
    "accounts:department_create":         "login   403     403     403     403     ok      ok",
    "accounts:department_list":           "login   403     ok      ok      ok      ok      ok",
    "accounts:department_update":         "login   403     403     403     403     ok      ok",
    "accounts:home":                      "login   ok      ok      ok      ok      ok      ok",
    "accounts:login":                     "ok      ok      ok      ok      ok      ok      ok",
    "accounts:logout":                    "405     405     405     405     405     405     405",
    "accounts:password_change":           "login   ok      ok      ok      ok      ok      ok",
    "accounts:password_done":             "login   ok      ok      ok      ok      ok      ok",
    "accounts:password_reset":            "ok      ok      ok      ok      ok      ok      ok",
    "accounts:password_reset_sent":       "ok      ok      ok      ok      ok      ok      ok",
    "accounts:password_reset_confirm":    "ok      ok      ok      ok      ok      ok      ok",
    "accounts:password_reset_complete":   "ok      ok      ok      ok      ok      ok      ok",
    "accounts:register":                  "ok      ok      ok      ok      ok      ok      ok",
    "accounts:user_create":               "login   403     403     403     403     403     ok",
    "accounts:user_list":                 "login   403     403     403     403     403     ok",
    "accounts:user_update":               "login   403     403     403     403     403     ok",
    "api-v1:credit-check-create":         "401     403     405     405     405     405     405",
    "api-v1:credit-check-feedback":       "401     403     405     405     405     405     405",
    "api-v1:credit-check-figures":        "401     403     403     403     403     ok      ok",
    "api-v1:department-detail":           "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:department-list":             "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:docs":                        "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:loan-demand":                 "401     403     403     403     403     403     403",
    "api-v1:loan-offer":                  "401     403     403     403     403     403     403",
    "api-v1:loan-summary":                "401     403     403     403     403     403     403",
    "api-v1:record-batch":                "401     403     405     405     405     405     405",
    "api-v1:record-detail":               "401     403     ok      404     ok      ok      ok",
    "api-v1:record-list":                 "401     403     ok      ok      ok      ok      ok",
    "api-v1:record-public-detail":        "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:record-public-list":          "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:redoc":                       "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:report-verify":               "400     400     400     400     400     400     400",
    "api-v1:scenario-check":              "401     403     403     403     403     403     403",
    "api-v1:schema":                      "ok      ok      ok      ok      ok      ok      ok",
    "api-v1:subject-validate-code":       "400     400     400     400     400     400     400",
    "api-v1:workdays-deadline":           "400     400     400     400     400     400     400",
    "api-v1:workdays-override-detail":    "401     403     403     403     403     ok      ok",
    "api-v1:workdays-override-list":      "401     403     403     403     403     ok      ok",
    "audit:log":                          "login   403     403     403     403     ok      ok",
    "audit:personal_data":                "login   403     403     403     403     ok      ok",
    "commitments:fulfil":                 "login   403     ok      404     ok      ok      ok",
    "commitments:my":                     "login   ok      403     403     403     403     ok",
    "commitments:paper":                  "login   403     405     405     405     405     405",
    "commitments:public":                 "ok      ok      ok      ok      ok      ok      ok",
    "commitments:staff_list":             "login   403     ok      ok      ok      ok      ok",
    "commitments:template_create":        "login   403     403     403     403     ok      ok",
    "commitments:template_edit":          "login   403     403     403     403     ok      ok",
    "commitments:templates":              "login   403     403     403     403     ok      ok",
    "credit_checks:batch":                "login   403     ok      ok      ok      ok      ok",
    "credit_checks:detail":               "login   403     ok      404     ok      ok      ok",
    "credit_checks:figures":              "login   403     403     403     403     ok      ok",
    "credit_checks:history":              "login   403     ok      ok      ok      ok      ok",
    "credit_checks:home":                 "login   403     ok      ok      ok      ok      ok",
    "evaluation:grade_detail":            "login   403     ok      ok      ok      ok      ok",
    "evaluation:model":                   "ok      ok      ok      ok      ok      ok      ok",
    "evaluation:my_grade":                "login   ok      403     403     403     403     302",
    "evaluation:provincial_import":       "login   403     403     403     403     ok      ok",
    "evaluation:task_create":             "login   403     ok      ok      ok      ok      ok",
    "evaluation:task_detail":             "login   403     ok      404     ok      ok      ok",
    "evaluation:task_draw":               "login   403     405     405     405     405     405",
    "evaluation:task_export":             "login   403     ok      404     ok      ok      ok",
    "evaluation:tasks":                   "login   403     ok      ok      ok      ok      ok",
    "exchange:download":                  "login   403     400     400     400     400     400",
    "exchange:index":                     "login   403     ok      ok      ok      ok      ok",
    "exchange:push":                      "login   403     403     403     403     405     405",
    "exchange:resend":                    "login   403     403     403     403     405     405",
    "exchange:share":                     "login   403     403     403     403     400     400",
    "lists:entries":                      "login   403     ok      ok      ok      ok      ok",
    "lists:entry_detail":                 "login   403     ok      404     ok      ok      ok",
    "lists:entry_remove":                 "login   403     302     302     302     302     302",
    "lists:interview_create":             "login   403     302     302     302     302     302",
    "lists:matters":                      "login   403     403     403     403     ok      ok",
    "lists:measure_create":               "login   403     403     403     403     ok      ok",
    "lists:measure_detail":               "login   403     403     403     403     ok      ok",
    "lists:measure_retire":               "login   403     403     403     403     302     302",
    "lists:measure_revise":               "login   403     403     403     403     ok      ok",
    "lists:measures":                     "login   403     403     403     403     ok      ok",
    "lists:type_create":                  "login   403     403     403     403     ok      ok",
    "lists:type_edit":                    "login   403     403     403     403     ok      ok",
    "lists:types":                        "login   403     403     403     403     ok      ok",
    "lists_public:detail":                "ok      ok      ok      ok      ok      ok      ok",
    "lists_public:list":                  "ok      ok      ok      ok      ok      ok      ok",
    "monitoring:dashboard":               "login   403     403     403     403     ok      ok",
    "monitoring:dashboard_export":        "login   403     403     403     403     ok      ok",
    "monitoring:evidence":                "login   403     403     403     403     ok      ok",
    "monitoring:manual_entry":            "login   403     403     403     403     405     405",
    "monitoring:my":                      "login   403     ok      ok      ok      ok      ok",
    "monitoring:ranking":                 "login   403     403     403     403     ok      ok",
    "monitoring:ranking_export":          "login   403     403     403     403     ok      ok",
    "monitoring:ranking_publish":         "login   403     403     403     403     405     405",
    "monitoring:zero_report":             "login   403     405     405     403     403     405",
    "notifications:list":                 "login   ok      ok      ok      ok      ok      ok",
    "notifications:read":                 "login   405     405     405     405     405     405",
    "notifications:read_all":             "login   405     405     405     405     405     405",
    "portal:columns":                     "ok      ok      ok      ok      ok      ok      ok",
    "portal:guidance":                    "ok      ok      ok      ok      ok      ok      ok",
    "portal:departments":                 "ok      ok      ok      ok      ok      ok      ok",
    "portal:code_check":                  "ok      ok      ok      ok      ok      ok      ok",
    "portal:deadline":                    "ok      ok      ok      ok      ok      ok      ok",
    "portal:healthz":                     "ok      ok      ok      ok      ok      ok      ok",
    "portal:home":                        "ok      ok      ok      ok      ok      ok      ok",
    "portal:profile":                     "ok      ok      ok      ok      ok      ok      ok",
    "portal:search":                      "ok      ok      ok      ok      ok      ok      ok",
    "records:action":                     "login   403     405     405     405     405     405",
    "records:choose_type":                "login   403     ok      ok      ok      ok      ok",
    "records:create":                     "login   403     ok      ok      ok      ok      ok",
    "records:detail":                     "login   403     ok      404     ok      ok      ok",
    "records:edit":                       "login   403     ok      404     ok      ok      ok",
    "records:fix_submission":             "login   403     ok      404     ok      ok      ok",
    "records:list":                       "login   403     ok      ok      ok      ok      ok",
    "records_export:download":            "login   403     400     400     400     400     400",
    "records_export:index":               "login   403     ok      ok      ok      ok      ok",
    "records_public:detail":              "ok      ok      ok      ok      ok      ok      ok",
    "records_public:list":                "ok      ok      ok      ok      ok      ok      ok",
    "records_upload:create":              "login   403     ok      ok      ok      ok      ok",
    "records_upload:detail":              "login   403     ok      404     ok      ok      ok",
    "records_upload:file":                "login   403     ok      404     ok      ok      ok",
    "records_upload:list":                "login   403     ok      ok      ok      ok      ok",
    "records_upload:progress":            "login   403     ok      404     ok      ok      ok",
    "records_upload:result":              "login   403     404     404     404     404     404",
    "records_upload:template":            "login   403     ok      ok      ok      ok      ok",
    "repair:action":                      "login   405     405     405     405     405     405",
    "repair:apply":                       "login   ok      403     403     403     ok      ok",
    "repair:commitment_pdf":              "login   ok      403     403     403     ok      ok",
    "repair:detail":                      "login   ok      ok      404     ok      ok      ok",
    "repair:figures":                     "login   403     403     403     403     ok      ok",
    "repair:list":                        "login   ok      ok      ok      ok      ok      ok",
    "repair:material":                    "login   ok      ok      404     ok      ok      ok",
    "repair:my":                          "login   ok      403     403     403     403     ok",
    "repair:notice_pdf":                  "login   403     ok      404     ok      ok      ok",
    "repair:notices":                     "login   403     ok      ok      ok      ok      ok",
    "repair:objection_action":            "login   405     405     405     405     405     405",
    "repair:objection_create":            "ok      ok      ok      ok      ok      ok      ok",
    "repair:objection_lookup":            "ok      ok      ok      ok      ok      ok      ok",
    "repair:objection_detail":            "login   ok      ok      404     ok      ok      ok",
    "repair:objections":                  "login   ok      ok      ok      ok      ok      ok",
    "reports:download":                   "ok      ok      ok      ok      ok      ok      ok",
    "reports:issue":                      "405     405     405     405     405     405     405",
    "reports:issued":                     "404     404     404     404     404     404     404",
    "reports:verify":                     "ok      ok      ok      ok      ok      ok      ok",
    "scenarios:catalog":                  "ok      ok      ok      ok      ok      ok      ok",
    "scenarios:figures":                  "login   403     403     403     403     ok      ok",
    "scenarios:my":                       "login   ok      403     403     403     403     302",
    "scenarios:my_loans":                 "login   ok      403     403     403     403     302",
    "subjects:code_quality":              "login   403     403     403     403     ok      ok",
    "subjects:detail":                    "login   403     ok      ok      ok      ok      ok",
    "subjects:list":                      "login   403     ok      ok      ok      ok      ok",
    "subjects:reveal_id":                 "login   403     403     403     403     405     405",
    "workdays:override_delete":           "login   403     403     403     403     405     405",
    "workdays:override_set":              "login   403     403     403     403     405     405",
    "workdays:overrides":                 "login   403     403     403     403     ok      ok",
    "repair:notice_batch":                "login   403     ok      404     ok      ok      ok",
    "repair:notice_batch_progress":       "login   403     ok      404     ok      ok      ok",
    "repair:notice_batch_download":       "login   403     ok      404     ok      ok      ok",
    "api-v1:repair-case-list":            "401     403     ok      ok      ok      ok      ok",
    "api-v1:repair-objection-list":       "401     403     ok      ok      ok      ok      ok",
    "portal:articles":                    "ok      ok      ok      ok      ok      ok      ok",
    "portal:article":                     "ok      ok      ok      ok      ok      ok      ok",
    "portal:article_manage":              "login   403     403     403     403     ok      ok",
    "portal:article_create":              "login   403     403     403     403     ok      ok",
    "portal:article_edit":                "login   403     403     403     403     ok      ok",
    "portal:article_unpublish":           "login   403     403     403     403     405     405",
    "commitments:import":                 "login   403     ok      ok      ok      ok      ok",
    "commitments:import_template":        "login   403     ok      ok      ok      ok      ok",
    "repair:notice_serve":                "login   403     405     405     405     405     405",
    "repair:upload_notices":              "login   403     ok      404     ok      ok      ok",
    "api-v1:repair-notice-pdf":           "401     403     ok      404     ok      ok      ok",
    "api-v1:repair-notice-service":       "401     403     ok      404     ok      ok      ok",
    "lists_public:measures":              "ok      ok      ok      ok      ok      ok      ok",
    "commitments:public_templates":       "ok      ok      ok      ok      ok      ok      ok",
    "commitments:public_template":        "ok      ok      ok      ok      ok      ok      ok",
    "commitments:public_matters":         "ok      ok      ok      ok      ok      ok      ok",
    "evaluation:interviews":              "login   403     ok      ok      ok      ok      ok",
    "evaluation:interview_record":        "login   403     ok      404     ok      ok      ok",
    "declarations:my":                    "login   ok      403     403     403     403     ok",
    "declarations:review_list":           "login   403     ok      ok      ok      ok      ok",
    "declarations:review":                "login   403     ok      404     ok      ok      ok",
}
# fmt: on

# Django admin: staff only. Every admin route must send every non-staff role to
# the admin login; the admin gets an answer that is not an error (a read-only
# model's "add" page is 403, a missing object redirects to its list).
ADMIN_RULE = "login   login   login   login   login   login   any"
ADMIN_EXCEPTIONS = {
    "admin:login":                        "ok      ok      ok      ok      ok      ok      302",
    "admin:logout":                       "302     302     302     302     302     302     405",
}  # fmt: skip

DISCOVER = bool(__import__("os").environ.get("MATRIX_DISCOVER"))
FROZEN = datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC)


def walk(patterns=None, prefix="", namespace=None):
    """(route name, pattern) of every URL pattern, following includes."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            unnamed = (f"{namespace}:" if namespace else "") + f"<unnamed {prefix}{pattern.pattern}>"
            yield name or unnamed, pattern


def all_routes():
    return sorted({name for name, _ in walk()})


def test_every_route_has_a_permission_decision():
    missing = [r for r in all_routes() if r not in MATRIX and not r.startswith("admin:")]
    assert not missing, "routes without a permission decision (add them to MATRIX):\n" + "\n".join(missing)
    stale = [r for r in MATRIX if r not in all_routes()]
    assert not stale, f"MATRIX names routes that no longer exist: {stale}"


# --- the objects the routes point at (all of department A) -------------------------------


@pytest.fixture
def world(
    db, dept_a, dept_b, powers, clerk_a, clerk_b, reviewer_a, center, admin_user, subject_user, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from apps.catalog.models import RecordType
    from apps.lists.checks import credit_check_run
    from apps.lists.tests.factories import list_entry_row
    from apps.records.tests.factories import penalty_row
    from apps.workdays.models import CalendarOverride

    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }
    today = FROZEN.date()
    dept_a.powers.add(powers["list"])
    list_type = ListType.objects.get(code="major_tax_violation")
    list_type.recognisers.add(dept_a)

    def ingest(record_type, rows, submit=True):
        summary = records_ingest(
            record_type=record_type, department=dept_a, rows=list(enumerate(rows, start=2)), today=today,
            actor=clerk_a, submit=submit,
        )  # fmt: skip
        return summary

    ingest("penalty", [penalty_row(dept_a, 1)])
    ingest("penalty", [penalty_row(dept_a, 2)], submit=False)
    ingest("penalty", [penalty_row(dept_a, 3, CF_XDR_SHXYM="91371083MA3D00011X")])  # rejected row
    ingest("list_entry", [list_entry_row(dept_a, 1)])
    record = Record.objects.filter(department=dept_a, status=Status.PUBLISHED, record_type__code="penalty").first()
    draft = Record.objects.get(department=dept_a, status=Status.DRAFT)
    rejected = Submission.objects.filter(department=dept_a, record__isnull=True).first()
    entry = ListEntry.objects.get(department=dept_a)
    upload = Upload.objects.create(
        department=dept_a, record_type=RecordType.objects.get(code="penalty"), original_name="a.xlsx",
        sha256="0" * 64, created_by=clerk_a, file=ContentFile(b"PK\x03\x04 test", name="a.xlsx"),
    )  # fmt: skip
    check = credit_check_run(query=record.subject.uscc, matter="bidding", channel="web", user=clerk_a, on=today)
    claim = SubjectClaim.objects.create(
        user=subject_user, code=record.subject.uscc, subject=record.subject, subject_name=record.subject.name,
        evidence="营业执照",
    )  # fmt: skip
    override = CalendarOverride.objects.create(date=datetime.date(2024, 10, 12), kind="workday", note="调休")
    assert record and draft and rejected and entry, "world is incomplete"
    # The subject user's claim on the record's subject was approved; another account acts for another subject.
    subject_user.subject = record.subject
    subject_user.save()
    ingest("penalty", [penalty_row(dept_a, 5)])
    other_record = Record.objects.get(department=dept_a, status=Status.PUBLISHED, decision_number__endswith="5号")
    other_user = User.objects.create_user(
        username="subject_other", password="x", role=Role.SUBJECT, subject=other_record.subject, full_name="另一主体"
    )
    case = cases_of(record, subject_user, clerk_a)
    other_case = cases_of(other_record, other_user, clerk_a)
    template = CommitmentTemplate.objects.create(
        type="other", matter="权限矩阵测试事项", title="信用承诺书", body="本主体承诺守法经营。",
        supervising_department=dept_a,
    )  # fmt: skip
    commitment = commitment_sign(template=template, subject=record.subject, user=subject_user)
    task = InspectionTask.objects.create(
        name="2024年抽查", department=dept_a, field=SupervisionField.objects.order_by("pk").first(), basis="size",
        size=1, inspectors=["甲", "乙"], drawn_at=FROZEN, seed=1, population_size=0, created_by=clerk_a,
    )  # fmt: skip
    need = FinancingNeed.objects.create(
        subject=record.subject, amount=100, term_months=12, purpose="流动资金", created_by=subject_user
    )
    other_need = FinancingNeed.objects.create(
        subject=other_record.subject, amount=50, term_months=6, purpose="另一主体的融资用途", created_by=other_user
    )
    report = report_issue(subject=record.subject, purpose=Purpose.values[0], requester=subject_user)
    other_report = report_issue(subject=other_record.subject, purpose=Purpose.values[0], requester=other_user)
    notification = Notification.objects.create(user=subject_user, title="您的申请已受理", url="/repair/")
    other_notification = Notification.objects.create(user=other_user, title="另一主体的消息", url="/repair/")
    return {
        "record": record, "draft": draft, "submission": rejected, "entry": entry, "upload": upload, "check": check,
        "claim": claim, "subject": record.subject, "measure": Measure.objects.order_by("pk").first(),
        "list_type": list_type, "override": override, "dept_a": dept_a, "clerk_a": clerk_a,
        **case, "commitment": commitment, "template": template, "task": task, "need": need,
        "report": report, "notification": notification, "scenario": Scenario.objects.order_by("pk").first(),
        "other_user": other_user, "other_record": other_record, "other_need": other_need,
        "other_report": other_report, "other_notification": other_notification,
        **{f"other_{k}": v for k, v in other_case.items()},
    }  # fmt: skip


def cases_of(record, user, clerk):
    """A repair application and an objection about ``record`` by ``user``, each with one uploaded material."""
    from django.core.files.base import ContentFile

    def common(prefix):
        return dict(
            number=f"{prefix}{record.pk:06d}", record=record, department=record.department, contact_name="王五",
            contact_phone="13800000000", step_started_on=FROZEN.date(),
        )  # fmt: skip

    def material(kind, **owner):
        body = b"%PDF-1.4\n%%EOF\n"
        return Material.objects.create(
            kind=kind, file=ContentFile(body, name="m.pdf"), original_name=f"{kind}.pdf", content_type="application/pdf",
            extension="pdf", size=len(body), sha256="0" * 64, uploaded_by=user, uploaded_at=FROZEN, **owner,
        )  # fmt: skip

    application = RepairApplication.objects.create(
        subject=record.subject, applicant=user, statement="已缴纳罚款", **common("XF")
    )
    objection = Objection.objects.create(filer=user, relation="当事人", grounds="金额有误", **common("YY"))
    return {
        "application": application, "objection": objection,
        "material": material("commitment", application=application),
        "objection_material": material("evidence", objection=objection),
    }  # fmt: skip


# How to fill each route's arguments from the world (default for <int:pk> routes: see PK_OF).
PK_OF = {
    "accounts:claim_decide": "claim",
    "accounts:claim_lock": "other_user",
    "accounts:user_update": "clerk_a",
    "accounts:department_update": "dept_a",
    "subjects:detail": "subject",
    "subjects:reveal_id": "subject",
    "records:detail": "record",
    "records:edit": "draft",
    "records:action": "draft",
    "records:fix_submission": "submission",
    "records_upload:detail": "upload",
    "repair:upload_notices": "upload",
    "records_upload:progress": "upload",
    "records_upload:file": "upload",
    "records_upload:result": "upload",
    "records_public:detail": "record",
    "credit_checks:detail": "check",
    "lists_public:detail": "entry",
    "lists:entry_detail": "entry",
    "lists:entry_remove": "entry",
    "lists:interview_create": "entry",
    "lists:type_edit": "list_type",
    "lists:measure_detail": "measure",
    "lists:measure_revise": "measure",
    "lists:measure_retire": "measure",
    "api-v1:record-detail": "record",
    "api-v1:record-public-detail": "record",
    "api-v1:credit-check-feedback": "check",
    "commitments:fulfil": "commitment",
    "commitments:template_edit": "template",
    "commitments:public_template": "template",
    "evaluation:grade_detail": "subject",
    "evaluation:task_detail": "task",
    "evaluation:task_draw": "task",
    "evaluation:task_export": "task",
    "notifications:read": "notification",
    "portal:profile": "subject",
    "repair:detail": "application",
    "repair:material": "material",
    "repair:objection_detail": "objection",
    "reports:issue": "subject",
    "api-v1:loan-offer": "need",
}
ARGS = {
    "accounts:password_reset_confirm": lambda w: {"uidb64": "MQ", "token": "invalid-token"},
    "records:action": lambda w: {"pk": w["draft"].pk, "action": "submit"},
    "records:create": lambda w: {"type_code": "penalty"},
    "records_upload:template": lambda w: {"type_code": "penalty"},
    "api-v1:record-batch": lambda w: {"type_code": "penalty"},
    "api-v1:department-detail": lambda w: {"code": w["dept_a"].code},
    "workdays:override_delete": lambda w: {"date": w["override"].date},
    "api-v1:workdays-override-detail": lambda w: {"date": w["override"].date},
    "monitoring:evidence": lambda w: {"pk": _scorecard_evidence(w)},
    "repair:notice_batch": lambda w: {"pk": _notice_batch(w)},
    "repair:notice_batch_progress": lambda w: {"pk": _notice_batch(w)},
    "repair:notice_batch_download": lambda w: {"pk": _notice_batch(w)},
    "evaluation:interview_record": lambda w: {"pk": _supervision_interview(w)},
    "declarations:review": lambda w: {"pk": _declaration(w)},
    "portal:article": lambda w: {"pk": _matrix_article().pk},
    "portal:article_edit": lambda w: {"pk": _matrix_article().pk},
    "portal:article_unpublish": lambda w: {"pk": _matrix_article().pk},
    "repair:action": lambda w: {"pk": w["application"].pk, "action": "accept"},
    "repair:objection_action": lambda w: {"pk": w["objection"].pk, "action": "accept"},
    "repair:commitment_pdf": lambda w: {"record_pk": w["record"].pk},
    "repair:notice_pdf": lambda w: {"record_pk": w["record"].pk},
    "repair:notice_serve": lambda w: {"record_pk": w["record"].pk},
    "api-v1:repair-notice-pdf": lambda w: {"record_pk": w["record"].pk},
    "api-v1:repair-notice-service": lambda w: {"record_pk": w["record"].pk},
    "repair:objection_create": lambda w: {"record_pk": w["record"].pk},
    "reports:issued": lambda w: {"number": w["report"].number},
    "reports:download": lambda w: {"number": w["report"].number},
    "api-v1:loan-summary": lambda w: {"code": w["subject"].uscc},
    "api-v1:scenario-check": lambda w: {"code": w["scenario"].code},
}
# Query strings some routes need to give their answer (the report's verification code).
QUERY = {
    "reports:download": lambda w: {"code": w["report"].verification_code},
}


def route_url(name, world):
    if name in ARGS:
        url = reverse(name, kwargs=ARGS[name](world))
    elif name in PK_OF:
        url = reverse(name, kwargs={"pk": world[PK_OF[name]].pk})
    else:
        url = reverse(name)
    if name in QUERY:
        url += "?" + urlencode(QUERY[name](world))
    return url


def answer(response) -> str:
    code = response.status_code
    if code in (301, 302, 303):
        location = response["Location"]
        if location.startswith((reverse("accounts:login"), reverse("admin:login"))):
            return "login"
        return "302"
    if 200 <= code < 300:
        return "ok"
    return str(code)


@pytest.fixture
def clients(world, request):
    users = {
        "subject": request.getfixturevalue("subject_user"), "clerk_a": request.getfixturevalue("clerk_a"),
        "clerk_b": request.getfixturevalue("clerk_b"), "reviewer_a": request.getfixturevalue("reviewer_a"),
        "center": request.getfixturevalue("center"), "admin": request.getfixturevalue("admin_user"),
    }  # fmt: skip
    made = {"anon": Client()}
    for role, user in users.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        made[role] = client
    return made


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def _matrix_failures(routes, expected_of, world, clients):
    failures, actual_rows = [], []
    for name in routes:
        url = route_url(name, world)
        expected = expected_of(name).split()
        got = [answer(clients[role].get(url)) for role in ROLES]
        actual_rows.append(f'    "{name}": "{"  ".join(got)}",')
        for role, want, have in zip(ROLES, expected, got, strict=True):
            if want != have:
                failures.append(f"{name} ({url}) as {role}: expected {want}, got {have}")
    return failures, actual_rows


def _admin_url(name, pattern):
    kwargs = {}
    for group in pattern.pattern.regex.groupindex:
        if group == "app_label":
            kwargs[group] = "accounts"
        elif group == "url":
            kwargs[group] = "no-such-page/"
        else:
            kwargs[group] = "1"
    return reverse(name, kwargs=kwargs)


def test_admin_is_staff_only(world, clients):
    checked = 0
    failures = []
    for name, pattern in walk():
        if not name.startswith("admin:"):
            continue
        if "<unnamed" in name:
            url = "/admin/no-such-page/"
        else:
            url = _admin_url(name, pattern)
        expected = ADMIN_EXCEPTIONS.get(name, ADMIN_RULE).split()
        for role, want in zip(ROLES, expected, strict=True):
            have = answer(clients[role].get(url))
            checked += 1
            if want == "any" and not have.startswith("5") or want == have:
                continue
            failures.append(f"{name} ({url}) as {role}: expected {want}, got {have}")
    assert checked > 100
    assert not failures, "\n".join(failures)


def test_permission_matrix(world, clients):
    routes = [r for r in all_routes() if not r.startswith("admin:") and (r in MATRIX or DISCOVER)]
    failures, rows = _matrix_failures(routes, lambda r: MATRIX.get(r, "? ? ? ? ? ? ?"), world, clients)
    print("\n".join(rows))
    assert not failures, "\n".join(failures)


# --- object level: department B cannot see or change department A's objects -----------------


def test_other_department_guessing_ids_sees_nothing(world, clients):
    client = clients["clerk_b"]
    guessed = {
        "records:detail": Record.objects.filter(department=world["dept_a"]).values_list("pk", flat=True),
        "records:edit": Record.objects.filter(department=world["dept_a"]).values_list("pk", flat=True),
        "records:fix_submission": Submission.objects.filter(department=world["dept_a"]).values_list("pk", flat=True),
        "records_upload:detail": [world["upload"].pk],
        "records_upload:file": [world["upload"].pk],
        "records_upload:progress": [world["upload"].pk],
        "records_upload:result": [world["upload"].pk],
        "lists:entry_detail": [world["entry"].pk],
        "credit_checks:detail": [world["check"].pk],
        "api-v1:record-detail": Record.objects.filter(department=world["dept_a"]).values_list("pk", flat=True),
    }
    seen = []
    for name, pks in guessed.items():
        assert pks, name
        for pk in pks:
            response = client.get(reverse(name, kwargs={"pk": pk}))
            if response.status_code != 404:
                seen.append(f"{name} {pk}: {response.status_code}")
    assert not seen


def test_other_department_lists_do_not_show_department_a(world, clients):
    client = clients["clerk_b"]
    draft, record, entry = world["draft"], world["record"], world["entry"]
    for name in ("records:list", "records_upload:list", "lists:entries", "credit_checks:history"):
        html = client.get(reverse(name)).content.decode()
        for secret in (draft.subject.name, record.subject.name, entry.subject.name, "a.xlsx"):
            assert secret not in html, f"{name} shows {secret}"
    data = client.get(reverse("api-v1:record-list")).json()
    assert data["count"] == 0 and data["results"] == []


def test_other_department_cannot_change_department_a_objects(world, clients):
    from apps.lists.choices import EntryState
    from apps.lists.models import WarningInterview

    client = clients["clerk_b"]
    draft, record, entry, submission = world["draft"], world["record"], world["entry"], world["submission"]
    before = {r.pk: (r.status, r.updated_at) for r in Record.objects.filter(department=world["dept_a"])}
    attempts = [
        ("records:edit", {"pk": draft.pk}, {"CF_WSH": "改", "submit": ""}),
        ("records:action", {"pk": draft.pk, "action": "submit"}, {}),
        ("records:action", {"pk": record.pk, "action": "revoke"}, {"reason": "越权撤销"}),
        ("records:fix_submission", {"pk": submission.pk}, {"submit": ""}),
        ("lists:entry_remove", {"pk": entry.pk}, {"reason": "越权移出"}),
        ("lists:interview_create", {"pk": entry.pk}, {"held_on": "2024-10-09", "summary": "越权"}),
        ("repair:notice_serve", {"record_pk": draft.pk}, {"served_on": "2024-09-27", "method": "in_person"}),
        ("repair:upload_notices", {"pk": world["upload"].pk}, {"action": "zip"}),
    ]
    for name, kwargs, data in attempts:
        response = client.post(reverse(name, kwargs=kwargs), data)
        assert response.status_code == 404, f"{name}: {response.status_code}"
    api = reverse("api-v1:record-detail", kwargs={"pk": record.pk})
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(api, {}, content_type="application/json").status_code in (404, 405)
    feedback = client.post(
        reverse("api-v1:credit-check-feedback", kwargs={"pk": world["check"].pk}),
        {"items": []},
        content_type="application/json",
    )
    assert feedback.status_code == 404
    notice_service = reverse("api-v1:repair-notice-service", kwargs={"record_pk": record.pk})
    body = {"served_on": "2024-09-27", "method": "in_person"}
    assert client.post(notice_service, body, content_type="application/json").status_code == 404
    from apps.repair.models import NoticeBatch, NoticeService

    assert not NoticeService.objects.exists() and not NoticeBatch.objects.filter(upload=world["upload"]).exists()
    after = {r.pk: (r.status, r.updated_at) for r in Record.objects.filter(department=world["dept_a"])}
    assert after == before
    entry.refresh_from_db()
    assert entry.state == EntryState.LISTED
    assert not WarningInterview.objects.exists()
    submission.refresh_from_db()
    assert not submission.fixed


def test_subject_account_guessing_ids_is_refused(world, clients):
    client = clients["subject"]
    for name, obj in [("records:detail", "record"), ("records_upload:file", "upload"), ("lists:entry_detail", "entry")]:
        assert client.get(reverse(name, kwargs={"pk": world[obj].pk})).status_code == 403


def _scorecard_evidence(world) -> int:
    """A 人工评分 entry with its evidence file (apps.monitoring), made on first use."""
    from django.core.files.base import ContentFile

    from apps.monitoring.models import ManualEntry

    entry = ManualEntry.objects.first()
    if entry is None:
        entry = ManualEntry(
            code="city_ranking", month=FROZEN.date().replace(day=1), points=18, note="月均第 15 名",
            original_name="排名.pdf", content_type="application/pdf", extension=".pdf", size=9, sha256="0" * 64,
            entered_by=world["clerk_a"],
        )  # fmt: skip
        entry.file.save("e.pdf", ContentFile(b"%PDF-1.4 %%EOF"), save=False)
        entry.save()
    return entry.pk


def _notice_batch(world) -> int:
    """A finished bulk 告知书 zip of department A (apps.repair), made on first use."""
    from django.core.files.base import ContentFile

    from apps.repair.models import NoticeBatch

    batch = NoticeBatch.objects.filter(department=world["dept_a"]).first()
    if batch is None:
        batch = NoticeBatch(
            requested_by=world["clerk_a"], department=world["dept_a"], date_from=FROZEN.date(),
            date_to=FROZEN.date(), state="done", total=1, done=1,
        )  # fmt: skip
        batch.file.save("notices.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
        batch.save()
    return batch.pk


def _supervision_interview(world) -> int:
    """A pending grade-差 warning interview held by department A (apps.evaluation), made on first use."""
    from apps.evaluation.models import SupervisionInterview, SupervisionPolicy

    interview, _ = SupervisionInterview.objects.get_or_create(
        subject=world["subject"], status="pending",
        defaults={"grade": "D", "tier": "严重失信", "policy": SupervisionPolicy.objects.order_by("pk").first(),
                  "triggered_on": FROZEN.date(), "department": world["dept_a"]},
    )  # fmt: skip
    return interview.pk


def _declaration(world) -> int:
    """A pending self-declaration of the world's subject, to be verified by department A, made on first use."""
    from apps.declarations.models import Declaration

    declaration, _ = Declaration.objects.get_or_create(
        subject=world["subject"], title="矩阵测试荣誉",
        defaults={"kind": "honour", "content": "市级守合同重信用企业", "occurred_on": FROZEN.date(),
                  "department": world["dept_a"], "pledge": "承诺真实", "pledged_at": FROZEN},
    )  # fmt: skip
    return declaration.pk


def _matrix_article():
    """A published portal article for the article routes (made on first use)."""
    from apps.portal.models import Article

    article, _ = Article.objects.get_or_create(
        title="矩阵测试文章", defaults={"category": "news", "body": "正文", "is_published": True,
                                    "published_on": datetime.date(2024, 10, 1)},
    )  # fmt: skip
    return article


# --- object level: the merged apps (repair, objections, commitments, 双随机, notifications, reports, 信易贷) -----


def test_other_department_cannot_see_department_a_cases(world, clients):
    client = clients["clerk_b"]
    guessed = [
        reverse("repair:detail", kwargs={"pk": world["application"].pk}),
        reverse("repair:material", kwargs={"pk": world["material"].pk}),
        reverse("repair:material", kwargs={"pk": world["objection_material"].pk}),
        reverse("repair:objection_detail", kwargs={"pk": world["objection"].pk}),
        reverse("repair:notice_pdf", kwargs={"record_pk": world["record"].pk}),
        reverse("commitments:fulfil", kwargs={"pk": world["commitment"].pk}),
        reverse("evaluation:task_detail", kwargs={"pk": world["task"].pk}),
        reverse("evaluation:task_export", kwargs={"pk": world["task"].pk}),
    ]
    seen = [f"{url}: {code}" for url in guessed if (code := client.get(url).status_code) != 404]
    assert not seen
    secrets = (world["application"].number, world["objection"].number, world["commitment"].code, world["task"].name)
    for name in ("repair:list", "repair:objections", "commitments:staff_list", "evaluation:tasks", "repair:notices"):
        html = client.get(reverse(name)).content.decode()
        for secret in secrets:
            assert secret not in html, f"{name} shows {secret}"


def test_other_department_cannot_act_on_department_a_cases(world, clients):
    from apps.commitments.models import Commitment

    client = clients["clerk_b"]
    application, objection, commitment, task = (
        world["application"],
        world["objection"],
        world["commitment"],
        world["task"],
    )
    attempts = [
        (reverse("repair:action", kwargs={"pk": application.pk, "action": action}), data)
        for action, data in [("accept", {}), ("verify", {"agrees": "1", "opinion": "同意"}), ("request", {"reason": "补"}),
                             ("approve", {}), ("withdraw", {"reason": "越权"})]
    ] + [
        (reverse("repair:objection_action", kwargs={"pk": objection.pk, "action": action}), data)
        for action, data in [("accept", {}), ("uphold", {"reply": "维持"}), ("revoke", {"reply": "撤销"}),
                             ("withdraw", {"reason": "越权"})]
    ] + [
        (reverse("commitments:fulfil", kwargs={"pk": commitment.pk}), {"outcome": "fulfilled"}),
        (reverse("evaluation:task_draw", kwargs={"pk": task.pk}), {}),
    ]  # fmt: skip
    answers = [f"{url}: {code}" for url, data in attempts if (code := client.post(url, data).status_code) != 404]
    assert not answers
    application.refresh_from_db()
    objection.refresh_from_db()
    task.refresh_from_db()
    assert application.state == "submitted" and not application.events.exists()
    assert objection.state == "submitted" and not objection.events.exists()
    assert Commitment.objects.get(pk=commitment.pk).status == "signed"
    assert not task.samples.exists()


def test_subject_cannot_see_another_subjects_cases_reports_or_messages(world, clients):
    client = clients["subject"]
    guessed = [
        reverse("repair:detail", kwargs={"pk": world["other_application"].pk}),
        reverse("repair:material", kwargs={"pk": world["other_material"].pk}),
        reverse("repair:material", kwargs={"pk": world["other_objection_material"].pk}),
        reverse("repair:objection_detail", kwargs={"pk": world["other_objection"].pk}),
        reverse("repair:commitment_pdf", kwargs={"record_pk": world["other_record"].pk}),
        reverse("reports:issued", kwargs={"number": world["other_report"].number}),
        reverse("reports:download", kwargs={"number": world["other_report"].number}),
        reverse("reports:download", kwargs={"number": world["other_report"].number}) + "?code=000000",
    ]
    seen = [f"{url}: {code}" for url, code in ((u, client.get(u).status_code) for u in guessed) if code != 404]
    assert not seen
    # Its own are there (the same pages work), the other subject's never listed.
    assert client.get(reverse("repair:detail", kwargs={"pk": world["application"].pk})).status_code == 200
    own_material = client.get(reverse("repair:material", kwargs={"pk": world["material"].pk}))
    assert own_material.status_code == 200 and own_material["Content-Disposition"].startswith("attachment")
    secrets = (
        world["other_application"].number, world["other_objection"].number, world["other_record"].subject.name,
        world["other_notification"].title, world["other_need"].purpose,
    )  # fmt: skip
    for name in ("repair:list", "repair:objections", "repair:my", "notifications:list", "commitments:my",
                 "scenarios:my_loans", "evaluation:my_grade", "scenarios:my"):  # fmt: skip
        html = client.get(reverse(name)).content.decode()
        for secret in secrets:
            assert secret not in html, f"{name} shows {secret}"
    # Nor act on them.
    for url in (
        reverse("repair:action", kwargs={"pk": world["other_application"].pk, "action": "withdraw"}),
        reverse("repair:objection_action", kwargs={"pk": world["other_objection"].pk, "action": "withdraw"}),
    ):
        assert client.post(url, {"reason": "越权"}).status_code == 404, url
    world["other_application"].refresh_from_db()
    world["other_objection"].refresh_from_db()
    assert world["other_application"].state == "submitted" and world["other_objection"].state == "submitted"
    # Marking another account's message read does nothing and does not follow its link.
    other = world["other_notification"]
    response = client.post(reverse("notifications:read", kwargs={"pk": other.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    other.refresh_from_db()
    assert other.read_at is None


def test_subject_cannot_apply_or_file_through_another_subjects_record(world, clients):
    from apps.repair.models import RepairApplication

    client = clients["subject"]
    before = RepairApplication.objects.count()
    response = client.post(
        reverse("repair:apply"),
        {"records": [world["other_record"].pk], "contact_name": "王五", "contact_phone": "13800000000",
         "statement": "越权申请"},
    )  # fmt: skip
    assert response.status_code == 200 and RepairApplication.objects.count() == before
    # An unpublished record (a draft) is no one's to dispute: 404 for the public and the subject alike.
    draft = world["draft"]
    for role in ("anon", "subject", "clerk_b"):
        url = reverse("repair:objection_create", kwargs={"record_pk": draft.pk})
        assert clients[role].get(url).status_code == 404, role


def test_bank_sees_only_needs_it_was_authorised_for(world):
    from rest_framework.test import APIClient

    from apps.accounts.models import ApiKey
    from apps.scenarios.api.views import BANK_SCOPE
    from apps.scenarios.models import Bank, LoanAuthorisation, LoanOffer

    key, raw = ApiKey.issue(name="测试银行", scopes=[BANK_SCOPE])
    bank = Bank.objects.create(name="乳山测试银行", api_key=key)
    LoanAuthorisation.objects.create(subject=world["subject"], bank=bank)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    demand = client.get(reverse("api-v1:loan-demand"))
    assert demand.status_code == 200
    assert [row["id"] for row in demand.json()] == [world["need"].pk]
    other = world["other_need"]
    offer = client.post(reverse("api-v1:loan-offer", kwargs={"pk": other.pk}), {"status": "offered"}, format="json")
    assert offer.status_code == 403 and not LoanOffer.objects.filter(need=other).exists()
    summary = client.get(reverse("api-v1:loan-summary", kwargs={"code": world["other_record"].subject.uscc}))
    assert summary.status_code == 403


def test_workflow_buttons_refuse_the_wrong_role(world, clients):
    """POST-only steps (405 on GET in the matrix): each step only for the role the procedure names."""
    application, objection, task = world["application"], world["objection"], world["task"]

    def repair(action):
        return reverse("repair:action", kwargs={"pk": application.pk, "action": action})

    def objection_(action):
        return reverse("repair:objection_action", kwargs={"pk": objection.pk, "action": action})

    expected = [
        ("anon", repair("accept"), {}, "login"),
        ("subject", repair("accept"), {}, "403"),  # the applicant cannot accept its own case
        ("subject", repair("approve"), {}, "403"),
        ("clerk_a", repair("accept"), {}, "403"),  # acceptance is the credit center's
        ("clerk_a", repair("verify"), {"agrees": "1", "opinion": "同意"}, "403"),  # verification is the reviewer's
        ("reviewer_a", repair("accept"), {}, "403"),
        ("reviewer_a", repair("approve"), {}, "403"),
        ("anon", objection_("accept"), {}, "login"),
        ("subject", objection_("accept"), {}, "403"),
        ("clerk_a", objection_("uphold"), {"reply": "维持"}, "403"),
        ("reviewer_a", objection_("accept"), {}, "403"),
        ("subject", reverse("evaluation:task_draw", kwargs={"pk": task.pk}), {}, "403"),
        ("center", reverse("evaluation:task_draw", kwargs={"pk": task.pk}), {}, "403"),  # the department draws
        ("subject", reverse("commitments:paper"), {}, "403"),
        # Locking an account's claims is the credit center's (the attempts page).
        ("anon", reverse("accounts:claim_lock", kwargs={"pk": world["other_user"].pk}), {"action": "lock"}, "login"),
        ("subject", reverse("accounts:claim_lock", kwargs={"pk": world["other_user"].pk}), {"action": "lock"}, "403"),
        ("clerk_a", reverse("accounts:claim_lock", kwargs={"pk": world["other_user"].pk}), {"action": "lock"}, "403"),
        ("clerk_a", reverse("commitments:template_create"), {}, "403"),
    ]
    wrong = [
        f"{role} POST {url}: expected {want}, got {have}"
        for role, url, data, want in expected
        if (have := answer(clients[role].post(url, data))) != want
    ]
    assert not wrong, "\n".join(wrong)
    from apps.accounts.models import ClaimLock

    assert not ClaimLock.objects.exists()
    application.refresh_from_db()
    objection.refresh_from_db()
    assert application.state == "submitted" and objection.state == "submitted" and not task.samples.exists()
    # The right roles get through (the center accepts both cases).
    assert clients["center"].post(repair("accept")).status_code == 302
    assert clients["center"].post(objection_("accept")).status_code == 302
    application.refresh_from_db()
    objection.refresh_from_db()
    assert application.state == "department_review" and objection.state == "verifying"


def test_other_department_cannot_enter_a_commitment_department_a_supervises(world, clients):
    """A paper commitment is entered by the department that supervises it: department B's clerk is not
    offered department A's templates, and posting one anyway is refused with nothing stored."""
    from apps.commitments.models import Commitment

    template, subject = world["template"], world["other_record"].subject
    page = clients["clerk_b"].get(reverse("commitments:staff_list"))
    assert template not in page.context["paper_form"].fields["template"].queryset
    before = Commitment.objects.count()
    data = {"template": template.pk, "uscc": subject.uscc, "signed_on": "2024-10-09"}
    refused = clients["clerk_b"].post(reverse("commitments:paper"), data)
    assert refused.status_code == 400 and "请选择本部门监管的承诺事项" in refused.content.decode()
    assert Commitment.objects.count() == before
    # Department A's own clerk enters it.
    assert clients["clerk_a"].post(reverse("commitments:paper"), data).status_code == 302
    entered = Commitment.objects.get(subject=subject, template=template)
    assert entered.channel == "paper" and entered.supervising_department == world["dept_a"]
