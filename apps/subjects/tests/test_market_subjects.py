"""市场主体 are organisations and 个体工商户, never 机关/事业单位: every figure that divides by them (核查率, the
serious-dishonesty share, 信易贷 registration, commitment coverage) leaves public bodies out, whether staff flagged
them or only their USCC (11…, 12…) says so."""

import pytest

from apps.commitments.services import commitment_coverage
from apps.lists.figures import credit_check_figures
from apps.scenarios.services import loan_figures
from apps.subjects.choices import OperatingStatus, PublicBody, SubjectKind
from apps.subjects.models import Subject
from apps.subjects.services import subject_create

from .factories import make_org, make_person, uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    subjects = {
        "enterprise": make_org("乳山市甲有限公司", uscc(1)),
        "cooperative": make_org("乳山市乙专业合作社", uscc(2, prefix="93")),
        "shop": subject_create(kind=SubjectKind.INDIVIDUAL_BUSINESS, name="乳山市丙小吃店", uscc=uscc(3, prefix="92")),
        # Flagged by staff although its code does not say so (an old registration).
        "flagged": make_org("乳山市某局", uscc(4, prefix="91"), public_body=PublicBody.ORGAN),
        # Not flagged: the 12… code alone makes it a 事业单位.
        "by_code": make_org("乳山市某中心", uscc(5, prefix="12")),
        "person": make_person(),
    }
    closed = make_org("乳山市丁有限公司", uscc(6))
    Subject.objects.filter(pk=closed.pk).update(status=OperatingStatus.CANCELLED)
    return subjects


def _names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_market_subjects_leave_out_public_bodies_and_persons(registry):
    assert _names(Subject.objects.market_subjects().operating()) == {
        "乳山市甲有限公司",
        "乳山市乙专业合作社",
        "乳山市丙小吃店",
    }
    # The two sets never overlap, and together with persons they cover the operating registry.
    assert _names(Subject.objects.public_bodies()) == {"乳山市某局", "乳山市某中心"}
    assert not _names(Subject.objects.market_subjects()) & _names(Subject.objects.public_bodies())


def test_every_figure_over_market_subjects_counts_three_not_five(registry):
    assert credit_check_figures().market_subjects == 3
    assert loan_figures()["operating"] == 3
    assert commitment_coverage()["enterprises"] == 3
