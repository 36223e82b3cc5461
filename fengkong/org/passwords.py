"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fengkong.core.errors import InvalidInput

# A short list of passwords that appear at the top of every leaked-password list.
_COMMON = {"password", "password1", "password123", "123456789", "1234567890", "qwertyuiop",
           "1q2w3e4r5t", "iloveyou12", "admin12345", "welcome123", "abcdefghij", "qwerty1234",
           "11111111111", "0000000000", "passw0rd12", "letmein123"}

MAX_LENGTH = 128


def make_hasher(cost: str = "standard") -> PasswordHasher:
    """argon2id; `low` is for tests only, where thousands of hashes are made."""
    if cost == "low":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # RFC 9106 low-memory profile: t=3, m=64 MiB, p=4


def verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_policy(password: str, *, username: str = "", min_length: int = 10) -> None:
    """Raise `InvalidInput(code="weak_password")` naming the rule the password breaks."""

    def weak(why: str) -> InvalidInput:
        return InvalidInput(f"password {why}", code="weak_password", field="password")

    if len(password) < min_length:
        raise weak(f"must be at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise weak(f"must be at most {MAX_LENGTH} characters")
    classes = sum([
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ])
    if classes < 2:
        raise weak("needs at least two of: lower case, upper case, digits, symbols")
    if password.lower() in _COMMON:
        raise weak("is too common")
    if len(username) >= 3 and username.lower() in password.lower():
        raise weak("must not contain the username")
    if len(set(password)) < 4:
        raise weak("repeats too few characters")
