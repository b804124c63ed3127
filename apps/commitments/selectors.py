"""Reads other apps use: the public commitments of one subject (its 信用档案 and credit report)."""

import datetime

from .models import Commitment


def public_commitments(*, subject, on: datetime.date) -> list[str]:
    """The subject's commitments signed by ``on``, as the public 信用承诺公示 shows them, newest first."""
    rows = Commitment.objects.filter(subject=subject, signed_on__lte=on).order_by("-signed_on", "-pk")
    return [
        f"{c.code} {c.get_type_display()}｜{c.matter}（{c.signed_on:%Y-%m-%d}承诺，{c.get_status_display()}）"
        for c in rows[:50]
    ]
