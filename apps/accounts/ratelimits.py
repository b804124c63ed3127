"""Per-account rate limits, beside the per-address ones of ``apps.portal.ratelimits``.

A signed-in form that can be abused from many addresses (the subject claim) is
also counted per account; the rate is a setting read on every request, like the
portal's, and counted in the Django cache by django-ratelimit.
"""

from django.conf import settings
from django_ratelimit.core import is_ratelimited


def account_over_limit(request, setting_name: str) -> bool:
    """Count this request against the signed-in account; True once the setting's rate is exceeded."""
    return is_ratelimited(
        request,
        group=f"accounts.{setting_name}",
        key=lambda group, req: f"user:{req.user.pk}",
        rate=getattr(settings, setting_name),
        increment=True,
    )
