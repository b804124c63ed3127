"""Rows of the personal-data access log (apps.audit) for the full ID numbers an exchange reveals."""

import datetime

from apps.audit.models import PersonalDataAccess

from .selectors import ExchangeData


def period_label(date_from: datetime.date, date_to: datetime.date) -> str:
    return f"报送日期 {date_from:%Y-%m-%d}—{date_to:%Y-%m-%d}"


def reveals_log(*, user, data: ExchangeData, reason: str, remote_addr: str | None) -> None:
    """One row per person whose full number the file or batch carries (who, whose, why, from where)."""
    PersonalDataAccess.objects.bulk_create(
        [
            PersonalDataAccess(
                user=user, subject_id=pk, field="id_number", reason=reason[:200], remote_addr=remote_addr
            )
            for pk in sorted(data.revealed)
        ],
        batch_size=1000,
    )
