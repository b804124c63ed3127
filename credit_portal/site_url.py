"""The portal's public address, for links that leave the site: report QR codes, 告知书, e-mails.

One setting, ``PUBLIC_SITE_URL`` (required in production). Outside production it may stay empty:
a page that has a request (a credit report issued on the portal) then links to the host the visitor
used, so a report made on a test server verifies on that server; text made without a request
(告知书 PDFs in a Celery bulk job, notification e-mails) links to the address ``bin/dev`` serves.
"""

from django.conf import settings

# What bin/dev serves; only used outside production, where PUBLIC_SITE_URL may be unset.
DEVELOPMENT_URL = "http://127.0.0.1:8000"


def public_url(path: str = "/", *, request_base: str = "") -> str:
    """Absolute address of ``path`` (which starts with "/") on the public site."""
    base = settings.PUBLIC_SITE_URL or request_base or DEVELOPMENT_URL
    return base.rstrip("/") + path
