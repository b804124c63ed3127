from django.db import migrations

from apps.catalog.fixture_loading import load_rows, snapshot


def load(apps, schema_editor):
    # A breach (违诺) is a 失信 record: its publicity and repair follow the severity rows of its own type,
    # versioned by decision date (令第58号, then 令2025年第36号) like a penalty's.
    load_rows(apps, schema_editor, snapshot(__file__, "0006_commitment_breach_policies"))


def unload(apps, schema_editor):
    pks = [row["pk"] for row in snapshot(__file__, "0006_commitment_breach_policies")]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0005_commitment_entry_timeliness"),
        ("commitments", "0002_load_commitments"),
        ("catalog", "0008_severity_policies_36"),
    ]
    operations = [migrations.RunPython(load, unload)]
