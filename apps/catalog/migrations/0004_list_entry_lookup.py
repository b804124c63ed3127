import json
from pathlib import Path

from django.db import migrations


def fill_choices_from(apps, schema_editor):
    """0002 loaded the catalog before ``choices_from`` existed: set it where the fixture has one."""
    FieldSpec = apps.get_model("catalog", "FieldSpec")
    frozen = Path(__file__).parent / "data" / "0004_choices_from.json"  # field pk → its source list
    for pk, source in json.loads(frozen.read_text(encoding="utf-8")).items():
        FieldSpec.objects.filter(pk=int(pk), choices_from="").update(choices_from=source)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_fieldspec_choices_from")]
    operations = [migrations.RunPython(fill_choices_from, migrations.RunPython.noop)]
