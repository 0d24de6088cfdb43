"""Password hashing for identities: Argon2id through argon2-cffi, never plaintext at rest.

Hashes are PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`) made with
argon2-cffi's default parameters (RFC 9106's low-memory profile), so they carry their
own salt and cost and stay verifiable after the defaults change; `needs_rehash` says
when a stored hash should be replaced on the next successful login.

`verify_password` never raises: a login check must fail closed, so a mismatch, a hash
that is not an Argon2 PHC string (corrupt, or another scheme such as bcrypt) and a
missing hash (`None`, an identity without a password) all answer False. A missing hash
still costs one real verification, so "no such login" and "wrong password" take about
as long.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import ValidationError

_HASHER = PasswordHasher()


def hash_password(plaintext: str) -> str:
    """The Argon2id hash of a password, with a fresh random salt. An empty password is
    refused (ValidationError): no identity should be reachable with one."""
    if not plaintext:
        raise ValidationError("a password must not be empty", column="password_hash")
    return _HASHER.hash(plaintext)


def verify_password(password_hash: str | None, plaintext: str) -> bool:
    """True if `plaintext` is the password `password_hash` was made from; False on a
    mismatch, a malformed or non-Argon2 hash, or no hash at all (see the module doc)."""
    try:
        if password_hash is None:
            _HASHER.verify(_unmatchable_hash(), plaintext)
            return False
        return _HASHER.verify(password_hash, plaintext)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters than today's (or cannot be read),
    so the caller should store `hash_password(plaintext)` after a successful login."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def is_password_hash(value: str) -> bool:
    """True if `value` is an Argon2id PHC string: what may be stored as a password hash.
    Lets the repository refuse a plaintext handed over where a hash belongs."""
    try:
        return extract_parameters(value).type is Type.ID
    except InvalidHashError:
        return False


@cache
def _unmatchable_hash() -> str:
    # Made once, from a password no caller can know, with the same parameters as real
    # hashes: verifying against it costs what a real verification costs.
    return _HASHER.hash(secrets.token_urlsafe(32))
