"""Per-client rate limits for the public endpoints (django-ratelimit, counted in the Django cache).

The limits are settings (``PORTAL_RATE_*``, read from the environment in
``credit_portal/settings.py``) looked up on every request, so a deployment
changes them without a code change. A client over its limit gets the friendly
429 page (or a JSON 429 from the API) instead of the page it asked for.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from credit_portal.client_ip import client_ip

LIMIT_MESSAGE = "访问过于频繁，请稍后再试。"


def client_address(group, request) -> str:
    """django-ratelimit key: the client address every consumer uses (credit_portal/client_ip.py).

    django-ratelimit's own "ip" key fails with KeyError on a request without
    REMOTE_ADDR (some WSGI callers); an unknown client shares one bucket instead.
    """
    return client_ip(request)


def account_key(group, request) -> str:
    """Key for forms that can be abused from many addresses (the subject claim): the signed-in account."""
    return f"user:{request.user.pk}"


def api_key_key(group, request) -> str:
    """Key for partner API calls: the API key (DRF's ``request.auth``)."""
    return f"key:{request.auth.pk}"


def over_limit(request, setting_name: str, *, key=client_address) -> bool:
    """Count this request (by client address, or by ``key``); True once the setting's rate is exceeded."""
    return is_ratelimited(
        request,
        group=f"portal.{setting_name}",
        key=key,
        rate=getattr(settings, setting_name),
        increment=True,
    )


def rate_limited(request, exception=None):
    response = render(request, "portal/rate_limited.html", {"message": LIMIT_MESSAGE}, status=429)
    response["Retry-After"] = "60"
    return response


def rate_limit(setting_name: str, *, methods=("GET", "POST")):
    """View decorator: the friendly 429 page past the rate in ``settings.<setting_name>``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and over_limit(request, setting_name):
                return rate_limited(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
