"""Personal identifiers at rest: a keyed hash to find, a cipher text to reveal.

The hash is an HMAC (not a bare SHA-256) because the ID-number space is small
enough to enumerate; without the key a leaked table reveals nothing.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from django.conf import settings


def _key_bytes(purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{settings.PII_KEY}".encode()).digest()


def id_number_hash(code: str) -> str:
    return hmac.new(_key_bytes("lookup"), code.encode(), hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key_bytes("encrypt")))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
