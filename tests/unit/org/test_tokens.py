"""Bearer secrets: prefixed, unguessable, and stored only as keyed digests."""

from __future__ import annotations

import pytest

from fengkong.org.tokens import ACCESS_PREFIX, API_KEY_PREFIX, REFRESH_PREFIX, digest, new_secret


@pytest.mark.parametrize("prefix", [ACCESS_PREFIX, REFRESH_PREFIX, API_KEY_PREFIX])
def test_a_secret_starts_with_its_kind_and_carries_enough_randomness(prefix: str) -> None:
    secret = new_secret(prefix)
    assert secret.startswith(prefix)
    assert len(secret) - len(prefix) >= 43  # 32 random bytes in url-safe base64


def test_the_three_kinds_of_secret_have_distinct_prefixes() -> None:
    assert len({ACCESS_PREFIX, REFRESH_PREFIX, API_KEY_PREFIX}) == 3


def test_secrets_are_never_repeated() -> None:
    secrets = {new_secret(ACCESS_PREFIX) for _ in range(1000)}
    assert len(secrets) == 1000


def test_a_digest_is_stable_for_the_same_key_and_token() -> None:
    token = new_secret(ACCESS_PREFIX)
    assert digest("key-1", token) == digest("key-1", token)
    assert len(digest("key-1", token)) == 64


def test_the_digest_depends_on_the_installation_secret_key() -> None:
    token = new_secret(ACCESS_PREFIX)
    assert digest("key-1", token) != digest("key-2", token)


def test_different_tokens_have_different_digests() -> None:
    assert digest("key-1", new_secret(ACCESS_PREFIX)) != digest("key-1", new_secret(ACCESS_PREFIX))


def test_the_digest_is_not_the_token_itself() -> None:
    token = new_secret(REFRESH_PREFIX)
    assert token not in digest("key-1", token)
