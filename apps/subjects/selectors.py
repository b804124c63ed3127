from .codes import normalise_code
from .models import Subject
from .pii import id_number_hash


def subject_find_by_code(raw_code: str) -> Subject | None:
    """Find a subject by USCC, ID number (via its keyed hash) or any legacy code."""
    code = normalise_code(raw_code)
    if not code:
        return None
    subject = Subject.objects.filter(uscc=code).order_by("pk").first()
    if subject is None and len(code) == 18:
        subject = Subject.objects.filter(id_number_hash=id_number_hash(code)).order_by("pk").first()
    if subject is None:
        from django.db.models import Q

        legacy = (
            Q(registration_number=code)
            | Q(organization_code=code)
            | Q(tax_number=code)
            | Q(institution_number=code)
            | Q(social_org_number=code)
        )
        subject = Subject.objects.filter(legacy).order_by("pk").first()
    return subject
