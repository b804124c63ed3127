"""Personal identifiers at rest: a keyed hash to find, a cipher text to reveal.

The hash is an HMAC (not a bare SHA-256) because the ID-number space is small
enough to enumerate; without the key a leaked table reveals nothing.
"""

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet
from django.conf import settings


def _key_bytes(purpose: str) -> bytes:
    return _derived(purpose, settings.PII_KEY)


@functools.lru_cache(maxsize=8)
def _derived(purpose: str, key: str) -> bytes:
    # Keyed by the setting's value too, so a test that overrides PII_KEY gets its own keys.
    return hashlib.sha256(f"{purpose}:{key}".encode()).digest()


def id_number_hash(code: str) -> str:
    return hmac.new(_key_bytes("lookup"), code.encode(), hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return _fernet_for(_key_bytes("encrypt"))


@functools.lru_cache(maxsize=8)
def _fernet_for(key: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
