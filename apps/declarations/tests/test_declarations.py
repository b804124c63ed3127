"""Self-declared information (文登 #9; 平陆 #3): declared with a truthfulness pledge, public marked 未核实 until
the named department verifies it; rejected with a reason; every change audit-logged; numbers masked."""

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from apps.declarations.choices import DeclarationStatus
from apps.declarations.models import Declaration
from apps.declarations.services import declaration_reject, declaration_submit, declaration_verify
from apps.evaluation.tests.factories import make_record, make_subject

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2025, 3, 3, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def company(subject_user, dept_a):
    subject = make_subject("乳山市诚信建材有限公司")
    make_record(subject, dept_a, "license", in_publicity=True)  # something public: the subject has a profile
    subject_user.subject = subject
    subject_user.save()
    return subject


def form(dept, **extra):
    data = {
        "kind": "honour",
        "title": "2024年度守合同重信用企业",
        "content": "乳山市市场监管局授予，证书号 SHX-2024-018",
        "issuer": "乳山市市场监督管理局",
        "occurred_on": "2025-01-15",
        "valid_until": "",
        "department": dept.pk,
        "pledge_accepted": "on",
    }
    data.update(extra)
    return data


def profile(subject):
    return Client().get(reverse("portal:profile", args=[subject.pk])).content.decode()


def test_without_the_pledge_nothing_is_stored_and_nothing_typed_is_lost(company, subject_user, dept_a, client_for):
    response = client_for(subject_user).post(reverse("declarations:my"), form(dept_a, pledge_accepted=""))
    html = response.content.decode()
    assert response.status_code == 400 and "请阅读并勾选信用承诺" in html
    assert "2024年度守合同重信用企业" in html and "SHX-2024-018" in html  # the form keeps what was typed
    assert not Declaration.objects.exists()


def test_declared_with_pledge_is_public_marked_unverified_until_verified(
    company, subject_user, clerk_a, dept_a, client_for
):
    response = client_for(subject_user).post(reverse("declarations:my"), form(dept_a))
    assert response.status_code == 302
    d = Declaration.objects.get()
    assert d.status == DeclarationStatus.PENDING and "如有虚假" in d.pledge and d.pledged_at == NOW
    assert d.submitted_by == subject_user
    html = profile(company)
    assert "2024年度守合同重信用企业" in html and "自主申报（未核实）" in html
    review = client_for(clerk_a).post(reverse("declarations:review", args=[d.pk]), {"decision": "verify", "note": ""})
    assert review.status_code == 302
    d.refresh_from_db()
    assert d.status == DeclarationStatus.VERIFIED and d.reviewed_by == clerk_a
    html = profile(company)
    assert "自主申报（已核实）" in html and "自主申报（未核实）" not in html and dept_a.name in html
    actors = set(LogEntry.objects.get_for_object(d).values_list("actor_id", flat=True))
    assert {subject_user.pk, clerk_a.pk} <= actors


def test_rejection_needs_a_reason_the_subject_sees_and_leaves_the_public_profile(
    company, subject_user, clerk_a, dept_a, client_for
):
    d = declaration_submit(subject=company, user=subject_user, **_fields(dept_a))
    url = reverse("declarations:review", args=[d.pk])
    empty = client_for(clerk_a).post(url, {"decision": "reject", "note": " "})
    assert empty.status_code == 400 and "请填写核实不通过的原因" in empty.content.decode()
    assert client_for(clerk_a).post(url, {"decision": "reject", "note": "证书编号查无此证"}).status_code == 302
    d.refresh_from_db()
    assert d.status == DeclarationStatus.REJECTED and d.review_note == "证书编号查无此证"
    assert "2024年度守合同重信用企业" not in profile(company)
    own = client_for(subject_user).get(reverse("declarations:my")).content.decode()
    assert "核实未通过" in own and "证书编号查无此证" in own
    with pytest.raises(ValidationError, match="不能重复处理"):
        declaration_verify(declaration=d, user=clerk_a)


def test_only_the_named_department_or_the_center_reviews(company, subject_user, clerk_a, clerk_b, center, dept_a):
    d = declaration_submit(subject=company, user=subject_user, **_fields(dept_a))
    client_b = Client()
    client_b.force_login(clerk_b, backend="django.contrib.auth.backends.ModelBackend")
    assert client_b.get(reverse("declarations:review", args=[d.pk])).status_code == 404
    assert "2024年度守合同重信用企业" not in client_b.get(reverse("declarations:review_list")).content.decode()
    with pytest.raises(ValidationError, match="核实部门或信用中心"):
        declaration_reject(declaration=d, user=clerk_b, reason="越权")
    declaration_verify(declaration=d, user=center, note="信用中心核实")
    assert Declaration.objects.get().status == DeclarationStatus.VERIFIED


def test_another_subjects_account_cannot_declare_for_it(company, dept_a, subject_user):
    other = make_subject("另一家公司")
    with pytest.raises(ValidationError, match="已认领该主体"):
        declaration_submit(subject=other, user=subject_user, **_fields(dept_a))


def test_hostile_text_is_masked_on_every_public_and_staff_view(company, subject_user, clerk_a, dept_a, client_for):
    hostile = "联系人张三 身份证371083199001011235 手机13800138000 <script>alert(1)</script>"
    d = declaration_submit(
        subject=company, user=subject_user, **_fields(dept_a, title="荣誉 13900139000", content=hostile)
    )
    pages = [
        profile(company),
        client_for(clerk_a).get(reverse("declarations:review_list")).content.decode(),
        client_for(clerk_a).get(reverse("declarations:review", args=[d.pk])).content.decode(),
    ]
    for html in pages:
        assert "371083199001011235" not in html and "13800138000" not in html and "13900139000" not in html
        assert "<script>alert(1)</script>" not in html
    assert "371083********1235" in pages[0] and "138****8000" in pages[0]
    assert Declaration.objects.get().content == hostile  # stored as typed: masked when shown


def test_dates_are_checked_with_chinese_messages(company, subject_user, dept_a, client_for):
    future = client_for(subject_user).post(reverse("declarations:my"), form(dept_a, occurred_on="2025-12-01"))
    assert future.status_code == 400 and "不能晚于今天" in future.content.decode()
    backwards = client_for(subject_user).post(
        reverse("declarations:my"), form(dept_a, occurred_on="2025-01-15", valid_until="2024-01-01")
    )
    assert backwards.status_code == 400 and "有效期至不能早于" in backwards.content.decode()
    assert not Declaration.objects.exists()


def _fields(dept, **extra):
    fields = {
        "kind": "honour",
        "title": "2024年度守合同重信用企业",
        "content": "证书号 SHX-2024-018",
        "issuer": "",
        "occurred_on": datetime.date(2025, 1, 15),
        "valid_until": None,
        "department": dept,
        "pledge_accepted": True,
    }
    fields.update(extra)
    return fields


def test_credit_report_carries_verified_declarations_only(company, subject_user, clerk_a, dept_a):
    import io

    from pypdf import PdfReader

    from apps.reports.pdf import report_pdf
    from apps.reports.services import report_issue

    verified = declaration_submit(
        subject=company, user=subject_user, **_fields(dept_a, title="ISO9001质量管理体系认证")
    )
    declaration_verify(declaration=verified, user=clerk_a)
    declaration_submit(subject=company, user=subject_user, **_fields(dept_a, title="尚未核实的荣誉"))
    report = report_issue(subject=company, purpose="bidding", requester=None)
    assert [d["title"] for d in report.snapshot["declarations"]] == ["ISO9001质量管理体系认证"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(report))).pages)
    assert "自主申报信息（已核实）" in text and "ISO9001" in text and "尚未核实的荣誉" not in text


def test_one_account_cannot_flood_the_review_queue_and_keeps_what_it_typed(
    company, subject_user, dept_a, client_for, settings
):
    settings.DECLARATION_RATE_ACCOUNT = "2/d"
    client = client_for(subject_user)
    for n in (1, 2):
        assert client.post(reverse("declarations:my"), form(dept_a, title=f"荣誉{n}")).status_code == 302
    response = client.post(reverse("declarations:my"), form(dept_a, title="第三条荣誉"))
    html = response.content.decode()
    assert response.status_code == 429 and "访问过于频繁" in html
    assert "第三条荣誉" in html  # the form keeps what was typed
    assert Declaration.objects.count() == 2
