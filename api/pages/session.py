"""Browser sessions: a pasted token becomes a server-side session behind an HttpOnly cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from fastapi import Request, Response

from ledger.tokens import Principal

SESSION_COOKIE = "jejak_session"
FORM_COOKIE = "jejak_form"  # the nonce the sign-in form's CSRF token is bound to
LANG_COOKIE = "jejak_lang"
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class Session:
    """Who the browser speaks for and the CSRF token its forms carry."""

    principal: Principal
    csrf: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SessionStore:
    """Sessions kept in this process, by the SHA-256 of their cookie value: neither the
    token nor its hash ever reaches the browser, and a leaked store holds no usable cookie.
    Restarting the server signs everyone out."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._form_key = secrets.token_bytes(32)

    def open(self, principal: Principal) -> tuple[str, Session]:
        cookie = secrets.token_urlsafe(32)
        session = Session(principal, secrets.token_urlsafe(24))
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[_digest(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        with self._lock:
            return self._sessions.get(_digest(cookie))

    def close(self, cookie: str | None) -> None:
        if cookie:
            with self._lock:
                self._sessions.pop(_digest(cookie), None)

    def form_token(self, nonce: str) -> str:
        """The CSRF token of the sign-in form, bound to the browser's form cookie."""
        return hmac.new(self._form_key, nonce.encode(), hashlib.sha256).hexdigest()

    def form_token_ok(self, nonce: str | None, token: str) -> bool:
        return bool(nonce) and hmac.compare_digest(self.form_token(str(nonce)), token)


def store_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.page_sessions
    return store


def current(request: Request) -> Session | None:
    return store_of(request).get(request.cookies.get(SESSION_COOKIE))


def set_cookie(response: Response, name: str, value: str, request: Request) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def csrf_ok(session: Session, token: str) -> bool:
    return hmac.compare_digest(session.csrf, token)
