"""A list entry lasts as its list type says, not by the 36-month record publicity (issue 14, item 3).

Entries are recognised on 2023-06-01 and looked at on 2026-10-10, 40 months later, after both
nightly jobs (records' publicity expiry and the lists' validity expiry) have run on the frozen clock.
"""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from apps.lists.choices import CheckChannel, EntryState
from apps.lists.models import ListEntry, ListType
from apps.lists.services import list_entry_remove
from apps.lists.tasks import nightly_list_expiry
from apps.monitoring.tasks import nightly_records_expire
from apps.records.choices import Status
from apps.records.models import Record, RecordEvent
from apps.records.services import records_ingest
from apps.repair.services.applications import repair_application_submit, repair_eligibility

from .checks_support import A_GRADE, DEBTOR, TAX, company_code, entry

pytestmark = pytest.mark.django_db

RECOGNISED = "2023-06-01"
TODAY = datetime.date(2026, 10, 10)  # 40 months and 9 days after recognition; 36 months ended 2026-06-01
AEO = "海关高级认证企业"
ABNORMAL = "经营异常名录"
COURT_NOTE = "失信被执行人名单由人民法院依法管理，信息的屏蔽或删除请向作出决定的人民法院申请"
RED_NOTE = "守信激励名单不适用信用修复"


def at(day: datetime.date):
    # 02:00 UTC is 10:00 in Shanghai, the same local date.
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 2, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def recogniser(dept_b):
    for list_type in ListType.objects.filter(name__in=[TAX, DEBTOR, A_GRADE, AEO, ABNORMAL]):
        list_type.recognisers.add(dept_b)
    return dept_b


def recognise(department, n, *, list_type, on=RECOGNISED, **overrides) -> ListEntry:
    day = datetime.date.fromisoformat(on)
    row = entry(department, n, list_type=list_type, MD_RDRQ=on, **overrides)
    with at(day):
        summary = records_ingest(record_type="list_entry", department=department, rows=[(2, row)], today=day)
    (outcome,) = summary.outcomes
    assert outcome.outcome == "accepted", outcome.problems
    return ListEntry.objects.select_related("record", "list_type").get(record_id=outcome.record_id)


def nightly_jobs():
    """Both nightly jobs, in the order beat runs them (00:10 records, 00:20 lists)."""
    nightly_records_expire()
    nightly_list_expiry()


def counts(entry: ListEntry, n: int) -> dict:
    """Where the entry shows on TODAY: credit check, public list page, public profile, the shared queryset."""
    from apps.lists.checks import credit_check_run

    check = credit_check_run(query=company_code(n), matter="bidding", channel=CheckChannel.WEB)
    client = Client()
    page = client.get(reverse("lists_public:list"))
    profile = client.get(reverse("portal:profile", args=[entry.subject_id]))
    return {
        "check": [item["list_type_name"] for item in check.result["lists"]],
        "public_list": entry.pk in [row.pk for row in page.context["rows"]],
        "profile": profile.status_code == 200 and entry.pk in [e.pk for e in profile.context["profile"].entries],
        "active": ListEntry.objects.active(on=TODAY).filter(pk=entry.pk).exists(),
    }


@pytest.mark.parametrize("list_type", [DEBTOR, AEO, ABNORMAL])
def test_entry_without_end_date_still_counts_after_40_months_and_reads_listed(recogniser, list_type):
    listed = recognise(recogniser, 1, list_type=list_type)
    assert listed.valid_until is None
    assert listed.record.publicity_end is None  # the entry's end, not decision date + 36 months
    with at(TODAY):
        nightly_jobs()
        listed.refresh_from_db()
        listed.record.refresh_from_db()
        assert listed.state == EntryState.LISTED and listed.get_state_display() == "在列"
        assert listed.record.status == Status.PUBLISHED
        assert counts(listed, 1) == {"check": [list_type], "public_list": True, "profile": True, "active": True}


@pytest.mark.parametrize(
    ("list_type", "overrides", "valid_until"),
    [
        (TAX, {}, datetime.date(2026, 6, 1)),  # ListType.validity_months = 36 from recognition
        (DEBTOR, {"MD_YXQZ": "2025-06-01"}, datetime.date(2025, 6, 1)),  # an end date given at recognition
    ],
)
def test_entry_past_its_validity_no_longer_counts_nor_reads_listed(recogniser, list_type, overrides, valid_until):
    ended = recognise(recogniser, 2, list_type=list_type, **overrides)
    assert ended.valid_until == valid_until and ended.record.publicity_end == valid_until
    with at(TODAY):
        # Before the night's jobs it already stops counting (the staff page marks it 未生效)...
        assert not ListEntry.objects.active(on=TODAY).filter(pk=ended.pk).exists()
        nightly_jobs()
        ended.refresh_from_db()
        ended.record.refresh_from_db()
        # ...and after them it no longer reads 在列.
        assert ended.state == EntryState.REMOVED and ended.removal_reason == "有效期届满自动移出"
        assert ended.record.status == Status.EXPIRED
        assert counts(ended, 2) == {"check": [], "public_list": False, "profile": False, "active": False}


def test_removed_entry_stops_at_once(recogniser, center):
    removed = recognise(recogniser, 3, list_type=DEBTOR)
    with at(TODAY):
        assert counts(removed, 3)["check"] == [DEBTOR]
        list_entry_remove(entry=removed, actor=center, reason="人民法院决定删除失信信息")
        removed.refresh_from_db()
        assert removed.state == EntryState.REMOVED
        assert counts(removed, 3) == {"check": [], "public_list": False, "profile": False, "active": False}
        removed.record.refresh_from_db()
        assert removed.record.publicity_end == TODAY  # the record's publicity ends with the entry
        nightly_jobs()
        assert counts(removed, 3)["active"] is False


def test_a_correction_keeps_a_removed_entry_off_its_list(recogniser, center):
    removed = recognise(recogniser, 10, list_type=DEBTOR)
    with at(TODAY):
        list_entry_remove(entry=removed, actor=center, reason="人民法院决定删除失信信息")
        row = entry(recogniser, 10, list_type=DEBTOR, MD_RDRQ=RECOGNISED, MD_LRSY="更正后的列入事由")
        summary = records_ingest(record_type="list_entry", department=recogniser, rows=[(2, row)], today=TODAY)
        assert [o.outcome for o in summary.outcomes] == ["updated"]
        removed.refresh_from_db()
        removed.record.refresh_from_db()
        assert removed.state == EntryState.REMOVED and removed.record.publicity_end == TODAY
        assert counts(removed, 10)["active"] is False


# --- repair: red lists and the courts' list are not repaired through the platform ---------------------


@pytest.fixture
def owner(subject_user):
    def own(entry: ListEntry):
        subject_user.subject = entry.subject
        subject_user.save()
        return subject_user

    return own


@pytest.mark.parametrize(("list_type", "note"), [(DEBTOR, COURT_NOTE), (A_GRADE, RED_NOTE)])
def test_repair_is_refused_with_the_reason(recogniser, owner, client_for, list_type, note):
    listed = recognise(recogniser, 4, list_type=list_type, on="2026-01-05")
    user = owner(listed)
    record = Record.objects.select_related("record_type", "list_entry__list_type").get(pk=listed.record_id)
    with at(TODAY):
        reasons = repair_eligibility(record=record, on=TODAY, subject=user.subject)
        assert len(reasons) == 1 and reasons[0].startswith(note), reasons
        assert reasons[0] == listed.list_type.repair_note  # the text is data on the list type
        with pytest.raises(ValidationError) as exc:
            repair_application_submit(
                records=[record],
                subject=user.subject,
                applicant=user,
                contact_name="张伟",
                contact_phone="13800000000",
                contact_email="",
                statement="已履行",
                materials=[],
            )
        assert any(note in message for message in exc.value.message_dict["records"])
        page = client_for(user).get(reverse("repair:my")).content.decode()
        assert note in page


def test_a_repairable_black_list_entry_is_not_refused_for_its_list(recogniser, owner):
    listed = recognise(recogniser, 5, list_type=TAX, on="2025-06-03")  # past the 12 months before repair
    user = owner(listed)
    record = Record.objects.select_related("record_type", "list_entry__list_type").get(pk=listed.record_id)
    assert listed.list_type.repairable
    with at(TODAY):
        assert repair_eligibility(record=record, on=TODAY, subject=user.subject) == []


def test_an_approved_repair_takes_the_entry_off_its_list(recogniser, reviewer_b, owner, center, settings, tmp_path):
    from apps.repair.services.applications import (
        repair_application_accept,
        repair_application_approve,
        repair_application_verify,
    )
    from apps.repair.tests.conftest import pdf_file, png_file

    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }
    listed = recognise(recogniser, 8, list_type=TAX, on="2025-06-03")
    user = owner(listed)
    record = Record.objects.select_related("record_type", "list_entry__list_type").get(pk=listed.record_id)
    with at(TODAY):
        (application,) = repair_application_submit(
            records=[record],
            subject=user.subject,
            applicant=user,
            contact_name="张伟",
            contact_phone="13800000000",
            contact_email="",
            statement="税款滞纳金已缴清",
            materials=[("commitment", pdf_file("承诺书.pdf")), ("fulfilment", png_file("缴款凭证.png"))],
        )
        repair_application_accept(application=application, actor=center)
        repair_application_verify(application=application, actor=reviewer_b, agrees=True, opinion="已缴清")
        repair_application_approve(application=application, reviewer=center, reason="准予修复")
        listed.refresh_from_db()
        # Repaired: it no longer counts, so it no longer reads 在列 either.
        assert listed.state == EntryState.REMOVED and application.number in listed.removal_reason
        assert counts(listed, 8) == {"check": [], "public_list": False, "profile": False, "active": False}


def test_repairability_is_staff_edited_data_with_a_required_reason(recogniser, owner, center, client_for):
    list_type = ListType.objects.get(name=TAX)
    url = reverse("lists:type_edit", args=[list_type.pk])
    form = {
        "legal_basis": list_type.legal_basis,
        "recognisers": [recogniser.pk],
        "recogniser_note": "税务部门",
        "validity_months": "36",
        "triggers_measures": "on",
        "is_public": "on",
        "is_active": "on",
        "sort_order": "2",
    }
    client = client_for(center)
    response = client.post(url, form)  # repairable unticked, no reason given
    assert response.status_code == 200 and "repair_note" in response.context["form"].errors
    assert client.post(url, form | {"repair_note": "本县试行：请向税务部门申请"}).status_code == 302
    listed = recognise(recogniser, 9, list_type=TAX, on="2025-06-03")
    user = owner(listed)
    record = Record.objects.select_related("record_type", "list_entry__list_type").get(pk=listed.record_id)
    with at(TODAY):
        assert repair_eligibility(record=record, on=TODAY, subject=user.subject) == ["本县试行：请向税务部门申请"]
    assert "不适用" in client.get(reverse("lists:types")).content.decode()


# --- the data migration ---------------------------------------------------------------------------------


def test_migration_makes_existing_entries_consistent(recogniser):
    """Data as the 36-month rule left it: a court entry withdrawn while 在列, an entry past its validity still 在列."""
    withdrawn = recognise(recogniser, 6, list_type=DEBTOR)
    lapsed = recognise(recogniser, 7, list_type=TAX)
    old_end = datetime.date(2026, 6, 1)
    Record.objects.filter(pk=withdrawn.record_id).update(status=Status.EXPIRED, publicity_end=old_end)
    Record.objects.filter(pk=lapsed.record_id).update(publicity_end=datetime.date(2027, 1, 1))
    migration = importlib.import_module("apps.lists.migrations.0005_list_entries_own_validity")
    with at(TODAY):
        migration.fix_entries(global_apps, None)
        withdrawn.refresh_from_db()
        withdrawn.record.refresh_from_db()
        assert withdrawn.state == EntryState.LISTED
        assert (withdrawn.record.status, withdrawn.record.publicity_end) == (Status.PUBLISHED, None)
        assert RecordEvent.objects.filter(record_id=withdrawn.record_id, reason__contains="恢复公示").exists()
        assert counts(withdrawn, 6)["check"] == [DEBTOR]

        lapsed.refresh_from_db()
        lapsed.record.refresh_from_db()
        assert (lapsed.state, lapsed.removed_on) == (EntryState.REMOVED, datetime.date(2026, 6, 2))
        assert lapsed.record.publicity_end == datetime.date(2026, 6, 1)
        nightly_jobs()  # the record is then withdrawn as any other past its window
        lapsed.record.refresh_from_db()
        assert lapsed.record.status == Status.EXPIRED

        migration.fix_entries(global_apps, None)  # a second run changes nothing
        assert RecordEvent.objects.filter(record_id=withdrawn.record_id, reason__contains="恢复公示").count() == 1
