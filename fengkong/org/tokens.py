"""Opaque bearer credentials: random secrets handed out once, kept only as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ACCESS_PREFIX = "fka_"
REFRESH_PREFIX = "fkr_"
API_KEY_PREFIX = "fkk_"


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret_key: str, token: str) -> str:
    """HMAC-SHA256 keyed with the installation secret: a leaked table alone verifies nothing."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
