"""An October 2024 dataset small enough to check every rate by hand.

- 市场监管局 (dept_a; license + penalty): penalties 1 and 2 reported on 10 October
  (on time: decided 27 September, deadline 12 October), license 1 reported on
  14 October (late), one rejected penalty row → 3 records, 2 on time; 4 rows, 3 compliant.
- 税务局 (dept_b; penalty + list): 零报告 for penalty in October, nothing else.
- 应急局 (dept_c; penalty): nothing at all → ranks last.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.catalog.models import RecordType
from apps.records.models import ZeroReport
from apps.records.services import records_ingest
from apps.records.tests.factories import license_row, penalty_row

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime.datetime(*args, tzinfo=SHANGHAI), tick=False)


def ingest(dept, rows, type_code="penalty"):
    return records_ingest(record_type=type_code, department=dept, rows=list(enumerate(rows, start=2)))


@pytest.fixture
def october(dept_a, dept_b, dept_c, clerk_b, powers):
    # These figures were worked out for penalty and licence duties only; list
    # recognition (dept_b's other power) is out of this data set.
    dept_b.powers.remove(powers["list"])
    with at(2024, 10, 10, 10, 0):
        ingest(dept_a, [penalty_row(dept_a, 1), penalty_row(dept_a, 2), penalty_row(dept_a, 3, CF_JDRQ="2024-13-01")])
        ZeroReport.objects.create(
            department=dept_b,
            record_type=RecordType.objects.get(code="penalty"),
            month=datetime.date(2024, 10, 1),
            declared_by=clerk_b,
        )
    with at(2024, 10, 14, 9, 0):
        ingest(dept_a, [license_row(dept_a, 1)], type_code="license")
    return {"a": dept_a, "b": dept_b, "c": dept_c}
