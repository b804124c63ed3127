"""Reads for the credit center's claim pages: attempts per account and per client address."""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from .choices import ClaimAttemptOutcome, Role
from .models import ClaimAttempt, ClaimLock, User

ATTEMPT_ROWS = 200


def claim_attempt_window_start(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(hours=settings.CLAIM_LOCK_WINDOW_HOURS)


def claim_attempts_by_account(*, since: datetime.datetime) -> QuerySet:
    """Subject accounts that tried to claim since ``since`` or are locked, the locked and busiest first.

    One join to the attempts, so every count is over the same rows (no fan-out between counts).
    """
    window = Q(claim_attempts__created_at__gte=since)
    refused = Q(claim_attempts__outcome__in=[ClaimAttemptOutcome.RATE_LIMITED, ClaimAttemptOutcome.LOCKED])
    return (
        User.objects.filter(role=Role.SUBJECT)
        .annotate(
            attempts=Count("claim_attempts", filter=window),
            filed=Count("claim_attempts", filter=window & Q(claim_attempts__outcome=ClaimAttemptOutcome.FILED)),
            matched=Count("claim_attempts", filter=window & Q(claim_attempts__claim__matched=True)),
            refused=Count("claim_attempts", filter=window & refused),
            addresses=Count("claim_attempts__client_address", filter=window, distinct=True),
            last_attempt=Max("claim_attempts__created_at", filter=window),
            locked=Exists(ClaimLock.objects.filter(user=OuterRef("pk"), unlocked_at__isnull=True)),
        )
        .filter(Q(attempts__gt=0) | Q(locked=True))
        .order_by("-locked", "-attempts", "username")[:ATTEMPT_ROWS]
    )


def claim_attempts_by_address(*, since: datetime.datetime) -> QuerySet:
    """Client addresses claims came from since ``since``, with how many accounts used each."""
    return (
        ClaimAttempt.objects.filter(created_at__gte=since)
        .values("client_address")
        .annotate(attempts=Count("pk"), accounts=Count("user", distinct=True), last_attempt=Max("created_at"))
        .order_by("-attempts", "client_address")[:ATTEMPT_ROWS]
    )


def claim_attempts_recent(*, since: datetime.datetime, username: str = "", address: str = "") -> QuerySet:
    qs = ClaimAttempt.objects.select_related("user", "claim").filter(created_at__gte=since)
    if username:
        qs = qs.filter(user__username=username)
    if address:
        qs = qs.filter(client_address=address)
    return qs[:ATTEMPT_ROWS]


def claim_locks_open() -> QuerySet:
    return ClaimLock.objects.select_related("user", "locked_by").filter(unlocked_at__isnull=True)
