"""Writes to the audit trail. Append-only: nothing here updates or deletes."""

from .models import PersonalDataAccess


def personal_data_access_record(
    *, user, subject, field: str, reason: str, remote_addr: str | None
) -> PersonalDataAccess:
    """Log one staff view of unmasked personal data (who, whose, which field, why, from where)."""
    return PersonalDataAccess.objects.create(
        user=user, subject=subject, field=field, reason=reason.strip()[:200], remote_addr=remote_addr or None
    )
