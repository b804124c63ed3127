"""The client's address, decided once from one setting: ``TRUSTED_PROXY_COUNT``.

Every consumer of a client address — DRF's throttles, the page rate limits
(credit_portal/ratelimits.py), the login lockout (django-axes), the audit trail
(django-auditlog), the personal-data access log and gunicorn's access log —
must agree on it, or an attacker picks the most trusting one: DRF alone used
to believe any ``X-Forwarded-For`` a client sent.

With ``TRUSTED_PROXY_COUNT = 0`` (the default: nothing in front of the portal)
the address is the socket peer, ``REMOTE_ADDR``, and ``X-Forwarded-For`` is
ignored. With N reverse proxies in front, each appends the address it saw,
so only the last N entries were written by machines we trust; the client is
the N-th entry from the right. Anything to its left was sent by the client
and is worth nothing.

``ClientAddressMiddleware`` runs first, writes the decided address into
``REMOTE_ADDR`` and removes ``X-Forwarded-For``, so libraries that read the
header themselves (auditlog does) can no longer be fooled.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

UNKNOWN = "unknown"


def resolve_client_ip(remote_addr: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The client's address from the peer address and the X-Forwarded-For header.

    Returns ``remote_addr`` (or ``"unknown"``) when no proxy is trusted, when the
    header is missing, or when the trusted entry is not an IP address (a
    misconfigured proxy must not let a client name its own bucket).
    """
    peer = (remote_addr or "").strip() or UNKNOWN
    if trusted_proxies <= 0 or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not hops:
        return peer
    # Fewer entries than proxies: the first proxy saw the client directly.
    candidate = hops[-min(trusted_proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        logger.warning("X-Forwarded-For 中受信任代理给出的地址无效（%r），按代理地址计", candidate[:64])
        return peer


def trusted_proxy_count() -> int:
    return int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))


def client_ip_from_meta(meta) -> str:
    return resolve_client_ip(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), trusted_proxy_count())


def client_ip_or_none(request) -> str | None:
    """For columns of IP type (the access log): None when the address is unknown."""
    address = client_ip(request)
    return None if address == UNKNOWN else address


def client_ip(request) -> str:
    """The request's client address (for every consumer; also ``AXES_CLIENT_IP_CALLABLE``).

    Idempotent: after the middleware has run, X-Forwarded-For is gone and the
    answer is ``REMOTE_ADDR``, which the middleware set to the same address.
    """
    return client_ip_from_meta(request.META)


class ClientAddressMiddleware:
    """First middleware: REMOTE_ADDR becomes the decided client address; X-Forwarded-For is dropped."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_ip_from_meta(request.META)
        if address != UNKNOWN:  # auditlog stores REMOTE_ADDR in an inet column
            request.META["REMOTE_ADDR"] = address
        request.META.pop("HTTP_X_FORWARDED_FOR", None)
        return self.get_response(request)
