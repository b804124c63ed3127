"""A credit check on a person finds the list entries where they are the legal representative (004 §20).

Adds the keyed hash of the legal representative's ID number to each list entry (indexed where present)
and fills it for existing entries from the record's encrypted copy (``Record.private_data``), exactly as
``apps.lists.services.list_entries_sync`` does for new ones. Reversing drops the column.
"""

from django.db import migrations, models

from apps.subjects.pii import decrypt, id_number_hash

REP_ID_ROLE = "legal_rep_id"


def fill_hashes(apps, schema_editor):
    FieldSpec = apps.get_model("catalog", "FieldSpec")
    ListEntry = apps.get_model("lists", "ListEntry")
    codes = set(
        FieldSpec.objects.filter(record_type__code="list_entry", role=REP_ID_ROLE).values_list("code", flat=True)
    )
    if not codes:
        return
    batch = []
    for entry in (
        ListEntry.objects.select_related("record").only("pk", "record__private_data").iterator(chunk_size=2000)
    ):
        private = entry.record.private_data or {}
        token = next((private[c] for c in codes if private.get(c)), None)
        if token:
            entry.legal_rep_id_hash = id_number_hash(decrypt(token).upper())
            batch.append(entry)
        if len(batch) >= 1000:
            ListEntry.objects.bulk_update(batch, ["legal_rep_id_hash"])
            batch = []
    if batch:
        ListEntry.objects.bulk_update(batch, ["legal_rep_id_hash"])


class Migration(migrations.Migration):
    dependencies = [("lists", "0006_listtype_source_more_list_types"), ("catalog", "0002_load_catalog")]

    operations = [
        migrations.AddField(
            model_name="listentry",
            name="legal_rep_id_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name="listentry",
            index=models.Index(
                condition=models.Q(("legal_rep_id_hash__gt", "")),
                fields=["legal_rep_id_hash"],
                name="listentry_legal_rep_idx",
            ),
        ),
        migrations.RunPython(fill_hashes, migrations.RunPython.noop),
    ]
