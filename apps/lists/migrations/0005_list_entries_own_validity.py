"""List entries last as their list type says, not by the 36-month record publicity (issue 14, item 3).

Until now a ``list_entry`` record took the generic ``publicity_months`` window (36 months for
non-penalty types) and the nightly ``records_expire`` withdrew it then; ``ListEntry.objects.active``
required a published record, so a 失信被执行人, 海关高级认证企业 or 经营异常名录 entry without an end
date silently stopped counting after 36 months while it still read 在列. From now on the record's
publicity follows the entry (``apps.lists.services.list_entries_sync``). This migration brings the
existing data into line, as of the day it runs:

1. Every publicised list-entry record's ``publicity_end`` becomes its entry's end: ``valid_until`` for
   an entry in force (open — NULL — when the list has no validity, i.e. until removed), the removal day
   for a removed entry.
2. A record the 36-month rule withdrew (``expired``) while its entry is still 在列 and inside its own
   validity is published again: the entry never legally left its list, its state said so, and the
   credit checks, public lists, profile, grade and scenarios must agree with that state. Each such
   record gets a history row saying why. Repaired and revoked records are not touched.
3. An entry still 在列 whose own validity has already ended leaves the list now (已移出, "有效期届满自动移出",
   removed on the day after its last valid day), exactly as the nightly ``list_entries_expire`` would,
   so its state never reads 在列 while it no longer counts; its record's publicity ends with it.

Reversing does nothing: the old windows were wrong, and nothing here deletes data.
"""

import datetime

from django.db import migrations
from django.utils import timezone

SYSTEM = "系统（名单有效期更正）"


def fix_entries(apps, schema_editor):
    ListEntry = apps.get_model("lists", "ListEntry")
    Record = apps.get_model("records", "Record")
    RecordEvent = apps.get_model("records", "RecordEvent")
    today = timezone.localdate()
    now = timezone.now()
    events = []

    # 3. Entries past their own validity that still read 在列 leave the list.
    for entry in ListEntry.objects.filter(state="listed", valid_until__lt=today).only("pk", "record_id", "valid_until"):
        left_on = entry.valid_until + datetime.timedelta(days=1)
        ListEntry.objects.filter(pk=entry.pk).update(
            state="removed", removed_on=left_on, removal_reason="有效期届满自动移出", updated_at=now
        )
        events.append(
            RecordEvent(record_id=entry.record_id, action="remove", actor_label=SYSTEM, reason="有效期届满自动移出",
                        before={"state": "listed"}, after={"state": "removed"})
        )

    # 1. The record's publicity window follows its entry (records already withdrawn or revoked keep their
    #    history, except those step 2 publishes again).
    for entry in ListEntry.objects.select_related("record").only(
        "pk",
        "state",
        "valid_until",
        "removed_on",
        "record__id",
        "record__status",
        "record__is_publicised",
        "record__publicity_end",
    ):
        record = entry.record
        if not record.is_publicised or record.status == "revoked":
            continue
        if entry.state == "listed":
            end = entry.valid_until
        elif record.status == "expired":
            continue
        else:
            end = min((d for d in (entry.removed_on, entry.valid_until) if d is not None), default=record.publicity_end)
        if record.publicity_end != end:
            Record.objects.filter(pk=record.pk).update(publicity_end=end, updated_at=now)

    # 2. Entries still in force whose record the 36-month rule withdrew count again.
    wrongly_expired = Record.objects.filter(
        status="expired", repaired=False, list_entry__state="listed", list_entry__recognised_on__lte=today
    ).exclude(list_entry__valid_until__lt=today)
    for record_id, end in wrongly_expired.values_list("pk", "list_entry__valid_until"):
        Record.objects.filter(pk=record_id, status="expired").update(status="published", updated_at=now)
        until = f"有效期至 {end:%Y-%m-%d}" if end else "直至移出名单"
        events.append(
            RecordEvent(
                record_id=record_id, action="update", actor_label=SYSTEM,
                reason=f"名单条目按名单类型的有效期（{until}）计算，不适用信息公示期；"
                "此前按36个月公示期撤下有误，恢复公示",
                before={"status": "expired"}, after={"status": "published"},
            )
        )
    RecordEvent.objects.bulk_create(events, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0004_listtype_repairable_list_validity"),
        ("records", "0007_subject_name_and_number_statistics"),
    ]
    operations = [migrations.RunPython(fix_entries, migrations.RunPython.noop)]
