"""Airtable-style ids: a three-letter prefix and 14 random characters, 17 in all."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LEN = 14


def new_id(prefix: str) -> str:
    """A new unguessable id such as `usrA1b2C3d4E5f6G7` (about 83 bits of randomness)."""
    if len(prefix) != 3:
        raise ValueError(f"id prefix must be 3 characters, got {prefix!r}")
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LEN))


def looks_like(value: str, prefix: str) -> bool:
    """Whether `value` has the shape of an id with `prefix` (it may still not exist)."""
    return (
        len(value) == len(prefix) + _RANDOM_LEN
        and value.startswith(prefix)
        and all(c in _ALPHABET for c in value[len(prefix) :])
    )
