from django.db import migrations

from apps.catalog.fixture_loading import load_fixtures


def load(apps, schema_editor):
    # A breach (违诺) is a 失信 record: its publicity and repair follow the severity rows of its own type,
    # versioned by decision date (令第58号, then 令2025年第36号) like a penalty's.
    load_fixtures(apps, schema_editor, ["commitment_breach_policies"])


def unload(apps, schema_editor):
    import json

    from apps.catalog.fixture_loading import FIXTURES

    path = FIXTURES / "commitment_breach_policies.json"
    pks = [row["pk"] for row in json.loads(path.read_text(encoding="utf-8"))]
    apps.get_model("catalog", "Policy").objects.filter(pk__in=pks).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0005_commitment_entry_timeliness"),
        ("commitments", "0002_load_commitments"),
        ("catalog", "0008_severity_policies_36"),
    ]
    operations = [migrations.RunPython(load, unload)]
