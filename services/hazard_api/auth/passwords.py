"""The password policy: one function that every way of setting a password applies (the API's
account creation and reset, `duban admin`); and the argon2 hashes."""

from __future__ import annotations

import asyncio
import functools
import string
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 128
_TRAILING = string.digits + string.punctuation + " "


@functools.cache
def common_passwords() -> frozenset[str]:
    text = files("services.hazard_api.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _classes(password: str) -> int:
    kinds = (str.islower, str.isupper, str.isdigit)
    found = {i for c in password for i, kind in enumerate(kinds) if kind(c)}
    others = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return len(found) + others


def password_problem(password: str, *, username: str, mobile: str | None = None) -> str | None:
    """What is wrong with `password` (Chinese, for the person choosing it), or None."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"密码长度须为 {MIN_LENGTH} 至 {MAX_LENGTH} 个字符"
    if _classes(password) < 2:
        return "密码须包含至少两类字符（小写字母、大写字母、数字、符号）"
    lowered = password.lower()
    common = common_passwords()
    # "password2026!" is "password" with a suffix: as guessable as the word itself.
    if lowered in common or lowered.rstrip(_TRAILING) in common:
        return "密码过于常见，容易被猜中，请换一个"
    if len(set(lowered)) <= 2:
        return "密码不能由一两个字符重复组成"
    # The username with a suffix ("zhangsan2026!") is the first guess; a mobile anywhere in it.
    if lowered.rstrip(_TRAILING) == username.lower() or (mobile and mobile in lowered):
        return "密码不能是用户名（加数字或符号）或包含手机号码"
    return None


_hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take as long.
UNKNOWN_USER_HASH = _hasher.hash("duban-no-such-user")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
