"""Loading the policy fixtures in data migrations, with the migration's historical models.

Used instead of ``loaddata`` so old migrations keep working when models change:
fields a model did not have yet are skipped (a later migration fills them), and
rows that already exist (same pk) are left as staff edited them.
"""

import json
from pathlib import Path

from django.core.management.color import no_style

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load_fixtures(apps, schema_editor, names):
    touched = set()
    for name in names:
        for row in json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")):
            model = apps.get_model(row["model"])
            known = {f.name: f for f in model._meta.get_fields()}
            fields, many = {}, {}
            for key, value in row["fields"].items():
                field = known.get(key)
                if field is None:
                    continue
                if field.many_to_many:
                    many[key] = value
                else:
                    fields[field.attname if field.is_relation else key] = value
            obj, created = model.objects.get_or_create(pk=row["pk"], defaults=fields)
            if created:
                for key, value in many.items():
                    getattr(obj, key).set(value)
            touched.add(model)
    # Rows came with explicit ids: move PostgreSQL's id sequences past them, or the
    # next row staff add in the admin would collide with id 1.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(touched)):
            cursor.execute(sql)
