"""Bearer tokens: issued once, stored only as SHA-256, resolved to a role and organisation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from domain.registry import RegistryState
from ledger.errors import LedgerError
from ledger.store import LogRecorder, TokenRow

ROLES = ("operator", "agency", "ombudsman", "inspector")
TOKEN_PREFIX = "jejak_"  # noqa: S105 (a prefix, not a secret)


class InvalidTokenRequestError(LedgerError):
    """A token was asked for an unknown role or an organisation that does not fit it."""

    rule = "invalid-token-request"


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for."""

    role: str
    org: str | None


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


OVERSIGHT_KIND = {"ombudsman": "ombudsman", "inspector": "inspectorate"}
"""An oversight token may be bound to its own body, which must be of that kind."""


def issue_token(
    recorder: LogRecorder, state: RegistryState, role: str, org: str | None, label: str, now: str
) -> str:
    """Create a token for `role` (bound to `org` for agencies); return it, storing its hash."""
    if role not in ROLES:
        raise InvalidTokenRequestError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "agency":
        if not org:
            raise InvalidTokenRequestError("an agency token must name its organisation (--org)")
        found = state.org(org)
        if found is None or found.kind != "agency":
            raise InvalidTokenRequestError(f"{org!r} is not a registered agency")
    elif org is not None and role in OVERSIGHT_KIND:
        found = state.org(org)
        kind = OVERSIGHT_KIND[role]
        if found is None or found.kind != kind:
            raise InvalidTokenRequestError(f"{org!r} is not a registered {kind}")
    elif org is not None:
        raise InvalidTokenRequestError(f"a {role} token is not bound to an organisation")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    recorder.insert_token(TokenRow(token_digest(token), role, org, label, now))
    return token


def resolve_token(recorder: LogRecorder, token: str) -> Principal | None:
    row = recorder.token(token_digest(token))
    return None if row is None else Principal(row.role, row.org)
