"""Policy data reaches a database only through migrations, each loading a snapshot frozen beside it.

``fixtures/*.json`` are the readable copy of the policy data; the migrations are what installs it. The first
test fails when a fixture is edited without a migration that brings the change (``load_changes``), so an
edit can neither be lost nor silently change what an old migration does.
"""

import json

import pytest
from django.apps import apps as django_apps
from django.db import connection

from apps.catalog.fixture_loading import FIXTURES, load_changes
from apps.catalog.models import Policy

pytestmark = pytest.mark.django_db


def _auto(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def test_a_fresh_database_holds_every_fixture_row_as_the_fixture_says():
    differences = []
    for path in sorted(FIXTURES.glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            model = django_apps.get_model(row["model"])
            obj = model.objects.filter(pk=row["pk"]).first()
            if obj is None:
                differences.append(f"{path.name}: {row['model']} {row['pk']} 不在数据库中")
                continue
            for name, value in row["fields"].items():
                field = model._meta.get_field(name)
                if _auto(field):
                    continue  # set by the database when the row was created
                if field.many_to_many:
                    stored, wanted = sorted(getattr(obj, name).values_list("pk", flat=True)), sorted(value)
                elif field.is_relation:
                    stored, wanted = getattr(obj, field.attname), value
                else:
                    stored, wanted = getattr(obj, name), field.to_python(value)
                if stored != wanted:
                    differences.append(
                        f"{path.name}: {row['model']} {row['pk']}.{name} = {stored!r}，fixture 为 {wanted!r}"
                    )
    assert not differences, "fixture 与迁移不一致（修改政策数据须新增迁移）：\n" + "\n".join(differences[:20])


def test_a_change_updates_only_values_staff_have_not_edited():
    policy = Policy.objects.get(pk=1)
    original_basis, original_value = policy.basis, policy.value
    Policy.objects.filter(pk=1).update(value=9)  # staff edited the value, not the basis
    new_pk = Policy.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    changes = [
        {
            "model": "catalog.policy",
            "pk": 1,
            "fields": {"basis": "新的依据", "value": 10},
            "before": {"basis": original_basis, "value": original_value},
        },
        {
            "model": "catalog.policy",
            "pk": new_pk,
            "fields": {
                "key": "report_deadline_days",
                "record_type": None,
                "value": 5,
                "effective_from": "2030-01-01",
                "basis": "新增政策",
                "created_by": None,
            },
        },
    ]
    with connection.schema_editor() as editor:
        load_changes(django_apps, editor, changes)
    policy.refresh_from_db()
    assert policy.basis == "新的依据"  # unedited: the change applies
    assert policy.value == 9  # staff's edit is kept
    assert Policy.objects.get(pk=new_pk).basis == "新增政策"
