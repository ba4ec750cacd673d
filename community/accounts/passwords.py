"""Password hashing (argon2id) and the password rules: 8 to 128 characters, not one of the most common."""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128

# OWASP's first argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Checked against when an email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@cache
def _common_passwords() -> frozenset[str]:
    # The 20,000 most common passwords, the list Django ships (BSD licence), from Royce Williams' research.
    path = Path(__file__).with_name("common-passwords.txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problem(password: str) -> str | None:
    """Say kindly what is wrong with a new password, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Your password needs at least {MIN_LENGTH} characters. A few words strung together work well."
    if len(password) > MAX_LENGTH:
        return f"Your password can have at most {MAX_LENGTH} characters."
    if password.strip().lower() in _common_passwords():
        return "That password is one of the most common ones, so it is easy to guess. Choose another."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same effort when there is no account to check."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
