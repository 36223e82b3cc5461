"""The password policy, and argon2id hashing that never raises on a bad hash."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from fengkong.core.errors import InvalidInput
from fengkong.org.passwords import MAX_LENGTH, check_policy, make_hasher, verify


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return make_hasher("low")


def refusal(password: str, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_policy(password, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "weak_password"
    assert caught.value.field == "password"
    return caught.value


def test_the_demo_password_meets_the_default_policy() -> None:
    check_policy("fengkong-demo")
    check_policy("fengkong-demo", username="demo.admin")


def test_a_password_shorter_than_the_minimum_is_refused() -> None:
    assert "at least 10" in refusal("Sh0rt-pw").detail
    check_policy("Sh0rt-pw", min_length=8)


def test_the_minimum_length_can_be_raised() -> None:
    assert "at least 16" in refusal("fengkong-demo", min_length=16).detail


def test_a_password_longer_than_the_maximum_is_refused() -> None:
    assert f"at most {MAX_LENGTH}" in refusal("aB3-" * 40).detail
    check_policy(("aB3-" * 40)[:MAX_LENGTH])


@pytest.mark.parametrize("password", ["onlylowercaseletters", "ONLYUPPERCASE", "938475610293",
                                      "!@#$%^&*()_+"])
def test_a_password_of_a_single_character_class_is_refused(password: str) -> None:
    assert "two of" in refusal(password).detail


@pytest.mark.parametrize("password", ["password123", "Password123", "welcome123", "QWERTY1234"])
def test_a_common_password_is_refused_whatever_its_case(password: str) -> None:
    assert "too common" in refusal(password).detail


def test_a_password_containing_the_username_is_refused() -> None:
    assert "username" in refusal("my-Zhangsan-2026", username="zhangsan").detail
    check_policy("my-Zhangsan-2026", username="lisi")


def test_a_password_of_too_few_distinct_characters_is_refused() -> None:
    assert "too few" in refusal("aaaaaaaaa1").detail
    assert "too few" in refusal("ab1ab1ab1ab1").detail
    check_policy("ab12ab12ab12")


def test_a_low_cost_hash_verifies_the_right_password_only(hasher: PasswordHasher) -> None:
    stored = hasher.hash("fengkong-demo")
    assert stored.startswith("$argon2id$")
    assert verify(hasher, stored, "fengkong-demo")
    assert not verify(hasher, stored, "fengkong-demO")
    assert not verify(hasher, stored, "")


def test_the_same_password_hashes_differently_each_time(hasher: PasswordHasher) -> None:
    assert hasher.hash("fengkong-demo") != hasher.hash("fengkong-demo")


@pytest.mark.parametrize("garbage", ["", "not-a-hash", "$argon2id$v=19$m=1024,t=1,p=1$AAAA$BBBB",
                                     "$2b$12$abcdefghijklmnopqrstuv"])
def test_a_garbage_hash_verifies_nothing_and_raises_nothing(
    hasher: PasswordHasher, garbage: str
) -> None:
    assert verify(hasher, garbage, "fengkong-demo") is False


def test_the_low_cost_is_cheaper_than_the_standard_one() -> None:
    low, standard = make_hasher("low"), make_hasher()
    assert low.time_cost < standard.time_cost
    assert low.memory_cost < standard.memory_cost
