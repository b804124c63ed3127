"""The intake warns the clerk about an ID or mobile number in a name or free-text field, on every path.

Not a rejection: a natural person's 行政相对人名称 is a name, and the row is stored as
typed (staff see it in full); the public sees it masked. Form, upload (both the
staged path and the pipeline) and API all say so.
"""

import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from apps.catalog.spec import TypeSpec
from apps.records.choices import Outcome, UploadStatus
from apps.records.models import Record
from apps.records.services import records_ingest

from .factories import penalty_row
from .test_api import api, key_a, post_batch  # noqa: F401 — key_a is a fixture
from .test_upload_views import last_upload, private_storage, upload_file  # noqa: F401 — fixtures
from .test_views import _post_data
from .upload_support import FROZEN, csv_bytes, labels, penalty_cells

pytestmark = pytest.mark.django_db

ZHAO_NAME = "赵六（身份证371083198808088888）"
ID_WARNING = "含有身份证号码，公示时将脱敏显示"
MOBILE_WARNING = "含有手机号码，公示时将隐去中间四位"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def test_pipeline_warns_per_field_and_stores_the_row_as_typed(dept_a):
    row = penalty_row(dept_a, 1, CF_XDR_MC="乳山市某某商贸有限公司（电话139-1234-5678）", CF_SY=f"当事人{ZHAO_NAME}")
    summary = records_ingest(record_type="penalty", department=dept_a, rows=[(2, row)])
    outcome = summary.outcomes[0]
    assert outcome.outcome == Outcome.ACCEPTED and not outcome.problems
    assert {(w.field, w.message.split("，")[0]) for w in outcome.warnings} == {
        ("CF_XDR_MC", "含有手机号码"),
        ("CF_SY", "含有身份证号码"),
    }
    # The number itself is not repeated in the message (it reaches API answers and pages).
    assert all("13912345678" not in w.message and "19880808" not in w.message for w in outcome.warnings)
    record = Record.objects.get(pk=outcome.record_id)
    assert record.subject_name == "乳山市某某商贸有限公司（电话139-1234-5678）"


def test_only_names_and_free_text_with_a_number_are_warned_about(dept_a):
    spec = TypeSpec.load("penalty")
    # A 15-digit 工商注册号 is a number by nature; the document number, dates and amounts are no personal numbers.
    plain = penalty_row(dept_a, 1, CF_XDR_GSZC="371083900101123")
    assert spec.validate(plain, today=FROZEN.date()).warnings == []
    carrying = penalty_row(dept_a, 2, CF_XDR_GSZC="371083900101123", BZ="经营者371083900101123")
    warnings = spec.validate(carrying, today=FROZEN.date()).warnings
    assert [(w.field, w.message.split("，")[0]) for w in warnings] == [("BZ", "含有身份证号码")]


def test_web_form_saves_and_warns(client_for, clerk_a, dept_a):
    client = client_for(clerk_a)
    row = penalty_row(
        dept_a,
        1,
        CF_XDR_MC=ZHAO_NAME,
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM="371083198808088888",
    )
    response = client.post(reverse("records:create", args=["penalty"]), _post_data(row, submit=""), follow=True)
    record = Record.objects.get(subject_name=ZHAO_NAME)
    assert response.redirect_chain[-1][0] == reverse("records:detail", args=[record.pk])
    page = response.content.decode()
    assert "记录已保存" in page and ID_WARNING in page and "msg-warning" in page


def test_web_form_shows_the_warning_beside_the_problems_of_a_rejected_row(client_for, clerk_a, dept_a):
    row = penalty_row(dept_a, 1, CF_SY="联系人13812345678", CF_JDRQ="2024-13-01")
    response = client_for(clerk_a).post(reverse("records:create", args=["penalty"]), _post_data(row, submit=""))
    assert response.status_code == 200 and not Record.objects.exists()
    page = response.content.decode()
    assert "不是有效日期" in page and MOBILE_WARNING in page


@pytest.mark.parametrize("staged", [True, False])
def test_upload_lists_the_warned_rows_and_keeps_them(upload_file, clerk_a, dept_a, settings, staged):  # noqa: F811
    settings.IMPORT_STAGED = staged
    rows = [
        labels(),
        penalty_cells(dept_a, 1),
        penalty_cells(dept_a, 2, CF_XDR_MC="乳山市某某商贸有限公司（电话１３８１２３４５６７８）"),
        penalty_cells(dept_a, 3, CF_SY="经查，当事人ID371083198808088888经营"),
        penalty_cells(dept_a, 4, CF_SY="手机139 1234 5678", CF_JDRQ="2024-13-01"),
    ]
    response = upload_file(clerk_a, csv_bytes(rows, encoding="utf-8-sig"), "处罚.csv")
    upload = last_upload()
    assert (upload.status, upload.accepted, upload.rejected) == (UploadStatus.DONE, 3, 1)
    assert upload.warnings["total"] == 2
    assert [(e["row"], e["outcome"], e["warnings"][0]["field"]) for e in upload.warnings["rows"]] == [
        (3, Outcome.ACCEPTED, "CF_XDR_MC"),
        (4, Outcome.ACCEPTED, "CF_SY"),
    ]
    rejected = next(e for e in upload.problems if e.get("row") == 5)
    assert MOBILE_WARNING in rejected["warnings"][0]["message"]
    page = response.content.decode()
    assert "已入库但需注意的行（共 2 行）" in page
    assert "第3行" in page and MOBILE_WARNING in page and ID_WARNING in page
    # Stored as typed: staff see the full value.
    assert Record.objects.filter(subject_name="乳山市某某商贸有限公司（电话１３８１２３４５６７８）").exists()


def test_upload_lists_at_most_the_configured_number_of_warned_rows(upload_file, clerk_a, dept_a, settings):  # noqa: F811
    settings.UPLOAD_MAX_WARNED_ROWS = 2
    rows = [labels(), *(penalty_cells(dept_a, n, CF_SY=f"手机1381234567{n}") for n in range(1, 6))]
    response = upload_file(clerk_a, csv_bytes(rows, encoding="utf-8-sig"), "处罚.csv")
    upload = last_upload()
    assert upload.accepted == 5 and upload.warnings["total"] == 5 and len(upload.warnings["rows"]) == 2
    assert "共 5 行，列出前 2 行" in response.content.decode()


def test_api_answer_carries_the_warning(dept_a, key_a):  # noqa: F811
    row = penalty_row(dept_a, 1, CF_FRDB="张伟 +86 139 1234 5678")
    body = post_batch(api(key_a), {"records": [row]}).json()
    result = body["results"][0]
    assert result["outcome"] == "accepted"
    assert [(w["field"], w["label"]) for w in result["warnings"]] == [("CF_FRDB", "法定代表人")]
    assert MOBILE_WARNING in result["warnings"][0]["message"]


def test_import_command_prints_the_warned_rows_before_the_summary(tmp_path, dept_a):
    path = tmp_path / "处罚.csv"
    rows = [labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2, CF_XDR_MC="乳山市某某商贸有限公司13812345678")]
    path.write_bytes(csv_bytes(rows, encoding="utf-8-sig"))
    out = StringIO()
    call_command(
        "import_records", str(path), "--type", "penalty", "--department", dept_a.code, stdout=out, stderr=StringIO()
    )
    lines = out.getvalue().splitlines()
    assert json.loads(lines[-1]) == {"accepted": 2, "rejected": 0, "duplicates": 0}
    assert lines[:-1] == [
        f"第3行（乳市监罚〔2024〕2号）已接收，提示：行政相对人名称：{MOBILE_WARNING}（如 138****5678）；联系电话不予公示，请勿填写在此处"
    ]
