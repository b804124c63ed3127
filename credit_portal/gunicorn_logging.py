"""gunicorn's access log with the client address the portal uses everywhere else.

gunicorn logs the socket peer (``%(h)s``), which behind a reverse proxy is the
proxy. ``atoms`` is gunicorn's documented hook for a logger class's format
values; ``h`` is replaced by the address decided from ``TRUSTED_PROXY_COUNT``
(credit_portal/client_ip.py), so the access log, the throttles and the audit
trail name the same client.
"""

from gunicorn.glogging import Logger

from .client_ip import resolve_client_ip
from .env import env_int


class ClientAddressLogger(Logger):
    trusted_proxies = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = resolve_client_ip(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), self.trusted_proxies
        )
        return atoms
