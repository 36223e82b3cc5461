"""Champion/challenger: each subject's persistent random number, 0 to 999."""

from __future__ import annotations

import hashlib
import hmac


def random_number(tenant_id: str, subject_id: str) -> int:
    """The same number for the same applicant or account of a tenant, every time: an HMAC of
    the subject keyed by the tenant, so that numbers differ between tenants and an account
    stays in its test group through account management and collections."""
    digest = hmac.new(tenant_id.encode(), subject_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % 1000
