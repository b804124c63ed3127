import pytest

from apps.records.models import Record, Submission
from apps.records.tests.upload_support import labels, penalty_cells, xlsx_bytes

from .test_journeys import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_clerk_uploads_good_and_bad_rows_then_fixes_the_bad_row_in_the_form(page, clerk_a, dept_a, tmp_path):
    workbook = tmp_path / "处罚.xlsx"
    workbook.write_bytes(
        xlsx_bytes(
            [
                labels(),
                penalty_cells(dept_a, 1),
                penalty_cells(dept_a, 2, CF_JDRQ="2024-13-01"),  # no 13th month: rejected
                penalty_cells(dept_a, 3),
            ]
        )
    )
    _login(page, "clerk_a")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="批量导入").click()
    page.get_by_role("link", name="上传文件").click()
    page.get_by_label("信息类型").select_option(label="行政处罚（双公示）")
    page.get_by_label("文件").set_input_files(str(workbook))
    page.get_by_role("button", name="上传并校验").click()

    page.get_by_role("heading", name="拒收的行（共 1 行）").wait_for()
    assert "不是有效日期" in page.content()
    assert Record.objects.filter(department=dept_a).count() == 2  # the good rows are kept

    page.get_by_role("link", name="在表单中整改").click()
    page.get_by_label("处罚决定日期").fill("2024-09-28")
    page.get_by_role("button", name="提交报送").click()
    page.get_by_text("已整改并报送").wait_for()
    assert Record.objects.filter(department=dept_a).count() == 3
    assert Record.objects.get(decision_number="乳市监罚〔2024〕2号").decision_date.isoformat() == "2024-09-28"
    assert Submission.objects.get(upload__isnull=False, row_number=3).fixed
