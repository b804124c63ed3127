import datetime
import itertools

from apps.catalog.models import RecordType
from apps.records.models import Record
from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject

_n = itertools.count(1)


def make_subject(name=None, kind="legal", status="operating"):
    i = next(_n)
    return Subject.objects.create(
        kind=kind, name=name or f"测试企业{i}", uscc=build_uscc("91", "371083", f"{70000000 + i:08d}"), status=status
    )


def make_record(subject, department, type_code="penalty", severity="general", in_publicity=True, **extra):
    i = next(_n)
    today = datetime.date.today()
    return Record.objects.create(
        record_type=RecordType.objects.get(code=type_code),
        catalog_version=1,
        department=department,
        data={},
        subject=subject,
        subject_name=subject.name,
        subject_kind="法人及非法人组织",
        subject_code=subject.uscc,
        decision_number=f"T-{i}",
        decision_date=today - datetime.timedelta(days=10),
        severity=severity,
        status=extra.pop("status", "published"),
        is_publicised=in_publicity,
        publicity_start=today - datetime.timedelta(days=5) if in_publicity else None,
        publicity_end=today + datetime.timedelta(days=300) if in_publicity else None,
        source="form",
        content_hash=str(i),
        **extra,
    )
