"""A web form corrected before it is saved is not a submission (issue 16 bug 4).

The clerk's mistyped form used to be stored as a rejected submission: it sat in
待整改 and lowered the department's 合规率 (34/39 after one session of normal
use). Only what departments actually submit counts: uploads, API, saved forms.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse

from apps.monitoring.selectors import Month, month_figures
from apps.records.models import Record, Submission, SubmissionBatch
from apps.records.services import records_ingest

from .factories import penalty_row

pytestmark = pytest.mark.django_db


def _post(row):
    data = dict(row, submit="")
    data["CF_CFLB"] = data["CF_CFLB"].split(";")
    return data


@time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_refused_form_attempts_are_not_submissions(client_for, clerk_a, dept_a):
    client = client_for(clerk_a)
    url = reverse("records:create", args=["penalty"])
    bad = client.post(url, _post(penalty_row(dept_a, CF_XDR_SHXYM="91371083MA3D00019X")))
    assert bad.status_code == 200 and "校验" in bad.content.decode()  # shown back to be corrected
    assert not Submission.objects.exists() and not Record.objects.exists()
    assert not SubmissionBatch.objects.exists()  # nor counted

    assert client.post(url, _post(penalty_row(dept_a))).status_code == 302
    batch = SubmissionBatch.objects.get()  # the saved form is one batch of one compliant row
    assert (batch.rows, batch.compliant, batch.source) == (1, 1, "form") and not Submission.objects.exists()
    october = Month(datetime.date(2024, 10, 1))
    figures = month_figures(months=[october]).department(dept_a.pk, october)
    assert (figures.submitted, figures.compliant, figures.compliance_rate) == (1, 1, 100.0)


def test_uploaded_and_api_rows_that_fail_still_count(dept_a):
    bad = penalty_row(dept_a, CF_JDRQ="2024-13-40")
    for source in ("upload", "api"):
        records_ingest(record_type="penalty", department=dept_a, rows=[(2, bad)], source=source)
    assert Submission.objects.filter(compliant=False).count() == 2


def test_web_checkboxes_do_not_show_the_spreadsheet_separator_hint(client_for, clerk_a):
    html = client_for(clerk_a).get(reverse("records:create", args=["penalty"])).content.decode()
    assert "分隔" not in html and "可多选" in html
