import io
import zipfile

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.notifications.models import Notification
from apps.repair.choices import BatchState, RepairState
from apps.repair.models import Material, NoticeBatch, RepairApplication
from apps.repair.services.applications import repair_application_accept, repair_application_submit
from credit_portal import pdf as pdf_helper

from .conftest import ingest_penalty, owner_files, pdf_file, png_file, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


@pytest.fixture
def application(owner, penalty):
    (application,) = repair_application_submit(**owner_files(owner, penalty))
    return application


def test_subject_applies_through_the_page(owner, penalty, client_for):
    client = client_for(owner)
    page = client.get(reverse("repair:my")).content.decode()
    assert penalty.decision_number in page and "申请修复" in page
    form = client.get(reverse("repair:apply"), {"record": penalty.pk}).content.decode()
    assert f'value="{penalty.pk}"' in form and "checked" in form
    response = client.post(
        reverse("repair:apply"),
        {
            "records": [penalty.pk],
            "contact_name": "张伟",
            "contact_phone": "13800000000",
            "statement": "罚款已缴清",
            "commitment": pdf_file("承诺书.pdf"),
            "fulfilment": png_file(),
        },
    )
    application = RepairApplication.objects.get()
    assert response.status_code == 302 and response.url == reverse("repair:detail", args=[application.pk])
    assert application.applicant == owner and application.state == RepairState.SUBMITTED


def test_apply_page_reports_every_problem_at_once(owner, penalty, client_for):
    renamed_exe = SimpleUploadedFile("承诺书.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100)
    response = client_for(owner).post(
        reverse("repair:apply"), {"records": [penalty.pk], "statement": "", "commitment": renamed_exe}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "“承诺书.pdf”不是 PDF、JPG、PNG 文件（按文件内容判断，与扩展名无关）" in html
    assert "请上传“履行法定义务、纠正失信行为的证明”" in html
    for message in ("请填写联系人。", "请填写联系电话。", "请说明履行法定义务、纠正失信行为的情况。"):
        assert message in html
    assert not RepairApplication.objects.exists()


def test_oversized_and_truncated_files_are_refused(owner, penalty, client_for, settings):
    settings.REPAIR_MATERIAL_MAX_MB = 1
    big = pdf_file("大文件.pdf", size=1024 * 1024)
    cut = SimpleUploadedFile("半截.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n")
    html = (
        client_for(owner)
        .post(
            reverse("repair:apply"),
            {
                "records": [penalty.pk],
                "contact_name": "张",
                "contact_phone": "1",
                "statement": "已缴清",
                "commitment": big,
                "fulfilment": cut,
            },
        )
        .content.decode()
    )
    assert "超过 1 MB 上限" in html and "“半截.pdf”不是完整的 PDF 文件" in html


def test_department_staff_see_and_act_only_on_their_departments_cases(
    application, center, reviewer_a, reviewer_b, clerk_b, client_for
):
    repair_application_accept(application=application, actor=center)
    detail = reverse("repair:detail", args=[application.pk])
    verify = reverse("repair:action", args=[application.pk, "verify"])
    other = client_for(reviewer_b)
    assert other.get(detail).status_code == 404
    assert other.post(verify, {"agrees": "1", "opinion": "同意"}).status_code == 404
    assert application.number not in client_for(clerk_b).get(reverse("repair:list")).content.decode()
    own = client_for(reviewer_a)
    assert application.number in own.get(reverse("repair:list")).content.decode()
    assert "提交核实意见" in own.get(detail).content.decode()
    assert own.post(verify, {"agrees": "1", "opinion": "罚款已缴清"}).status_code == 302
    application.refresh_from_db()
    assert application.state == RepairState.CENTER_REVIEW


def test_materials_are_served_only_to_those_entitled(
    application, owner, center, clerk_a, clerk_b, client_for, private_media
):
    material = application.materials.get(kind="commitment")
    url = reverse("repair:material", args=[material.pk])
    # Stored under the private media root with a random name, never the uploader's.
    assert material.file.name.startswith("repair/2025/03/") and "承诺书" not in material.file.name
    assert material.file.path.startswith(str(private_media))
    for user in (owner, center, clerk_a):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client_for(clerk_b).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert Material.objects.count() == 2


def test_notice_pdf_individually_and_in_bulk(
    penalty, dept_a, clerk_a, clerk_b, client_for, django_capture_on_commit_callbacks
):
    ingest_penalty(dept_a, 2)
    client = client_for(clerk_a)
    assert "信用修复告知书" in client.get(reverse("records:detail", args=[penalty.pk])).content.decode()
    response = client.get(reverse("repair:notice_pdf", args=[penalty.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"/FontFile2" in response.content  # CJK font embedded
    assert "attachment" in response["Content-Disposition"]
    assert client_for(clerk_b).get(reverse("repair:notice_pdf", args=[penalty.pk])).status_code == 404
    period = {"date_from": "2024-09-01", "date_to": "2024-09-30"}
    assert "批量生成告知书" in client.get(reverse("repair:notices"), period).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the Celery task runs eagerly
        queued = client.post(reverse("repair:notices"), period)
    batch = NoticeBatch.objects.get()
    assert queued.status_code == 302 and queued.url == reverse("repair:notice_batch", args=[batch.pk])
    assert batch.state == BatchState.DONE and batch.total == batch.done == 2 and batch.department == dept_a
    assert "下载 zip（2 份）" in client.get(queued.url).content.decode()
    bulk = client.get(reverse("repair:notice_batch_download", args=[batch.pk]))
    assert bulk["Content-Type"] == "application/zip" and "attachment" in bulk["Content-Disposition"]
    bulk = b"".join(bulk.streaming_content)
    assert client_for(clerk_b).get(reverse("repair:notice_batch_download", args=[batch.pk])).status_code == 404
    names = zipfile.ZipFile(io.BytesIO(bulk)).namelist()
    assert sorted(names) == ["信用修复告知书-乳市监罚〔2024〕1号.pdf", "信用修复告知书-乳市监罚〔2024〕2号.pdf"]


def test_notice_text_names_site_type_periods_and_path(penalty):
    from django.template.loader import render_to_string

    from apps.repair.documents import NOTICE_TEMPLATE, notice_context

    text = render_to_string(NOTICE_TEMPLATE, notice_context(penalty))
    assert "/publicity/" in text and "一般失信行为" in text
    assert "公示起始日：2024年9月27日" in text
    assert "最短公示期至 2024年12月27日 届满" in text and "最长公示期至 2025年9月27日 届满" in text
    assert "信用修复承诺书（签章）、履行法定义务、纠正失信行为的证明" in text and "/repair/apply/" in text


def test_commitment_pdf_for_the_subjects_own_record(owner, penalty, dept_b, client_for):
    other = ingest_penalty(dept_b, 7)
    client = client_for(owner)
    response = client.get(reverse("repair:commitment_pdf", args=[penalty.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert client.get(reverse("repair:commitment_pdf", args=[other.pk])).status_code == 404


def test_cjk_font_helper_registers_once_and_fails_loudly(settings):
    pdf_helper.cjk_font_name.cache_clear()
    assert pdf_helper.cjk_font_name() == pdf_helper.cjk_font_name() == "CJK"
    settings.PDF_CJK_FONT = "/nonexistent/font.ttc"
    pdf_helper.cjk_font_name.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="PDF_CJK_FONT"):
        pdf_helper.cjk_font_name()
    pdf_helper.cjk_font_name.cache_clear()


def test_notification_centre_lists_and_marks_read(center, application, client_for):
    client = client_for(center)
    note = Notification.objects.get(user=center)
    assert note.title in client.get(reverse("notifications:list")).content.decode()
    response = client.post(reverse("notifications:read", args=[note.pk]))
    assert response.url == reverse("repair:detail", args=[application.pk])
    note.refresh_from_db()
    assert note.read_at is not None


def test_menus(owner, center, clerk_a, client_for):
    assert "我的信用信息" in client_for(owner).get(reverse("accounts:home")).content.decode()
    html = client_for(center).get(reverse("accounts:home")).content.decode()
    assert "修复与异议指标" in html and "消息中心" in html
    assert "修复与异议指标" not in client_for(clerk_a).get(reverse("accounts:home")).content.decode()


def test_hall_staff_enter_an_application_on_the_subjects_behalf(owner, penalty, center, client_for):
    client = client_for(center)
    page = client.get(reverse("repair:apply"), {"code": owner.subject.uscc}).content.decode()
    assert owner.subject.name in page and penalty.decision_number in page
    response = client.post(
        reverse("repair:apply"),
        {
            "code": owner.subject.uscc,
            "records": [penalty.pk],
            "contact_name": "张伟",
            "contact_phone": "13800000000",
            "statement": "罚款已缴清",
            "commitment": pdf_file(),
            "fulfilment": pdf_file("凭证.pdf"),
        },
    )
    assert response.status_code == 302
    application = RepairApplication.objects.get()
    assert application.entered_by == center and application.applicant is None
    assert application.subject == owner.subject and application.events.get().reason == "窗口代为录入"


def test_subject_files_an_objection_from_its_page_and_sees_the_reply(owner, penalty, center, reviewer_a, client_for):
    from apps.repair.models import Objection
    from apps.repair.services.objections import objection_accept, objection_uphold

    client = client_for(owner)
    assert reverse("repair:objection_create", args=[penalty.pk]) in client.get(reverse("repair:my")).content.decode()
    response = client.post(
        reverse("repair:objection_create", args=[penalty.pk]),
        {"contact_name": "张伟", "contact_phone": "13800000000", "relation": "本企业", "grounds": "罚款金额有误"},
    )
    objection = Objection.objects.get()
    assert response.url == reverse("repair:objection_detail", args=[objection.pk]) and objection.filer == owner
    objection_accept(objection=objection, actor=center)
    objection_uphold(objection=objection, actor=reviewer_a, reply="经核实金额无误。")
    assert "经核实金额无误" in client.get(response.url).content.decode()
    assert Notification.objects.filter(user=owner, title__contains="维持").exists()
