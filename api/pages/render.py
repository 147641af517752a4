"""Rendering the pages' Jinja2 templates in the reader's language, with the pages' helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.pages import i18n, statements, urls
from api.pages.session import LANG_COOKIE, Session, current
from domain.registry import RegistryState
from domain.state import LedgerState
from ledger.placement import REGISTRY_LOG

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Built on first use, not at import."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


def lang_for(request: Request) -> i18n.Lang:
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        return i18n.lang_of(asked)
    return i18n.lang_of(request.cookies.get(LANG_COOKIE))


@dataclass(frozen=True)
class Context:
    """What every template is given: the language, the session, the agency log the page is
    about (its state for names, its id for links) and the registry for organisations' names."""

    request: Request
    lang: i18n.Lang
    session: Session | None
    state: LedgerState | None
    agency: str | None = None
    registry: RegistryState | None = None

    def t(self, key: str) -> str:
        return i18n.word(key, self.lang)

    def term(self, code: object) -> str:
        return i18n.term(code, self.lang)

    def time(self, value: object) -> str:
        return i18n.local_time(value, self.agency)

    def name(self, nip: object) -> str:
        """The person's name beside the NIP, when the ledger knows the person."""
        if nip is None:
            return "—"
        found = None if self.state is None else self.state.employee(str(nip))
        return f"{found.name} ({nip})" if found is not None else str(nip)

    def org_name(self, org: object) -> str:
        found = None if self.registry is None else self.registry.org(str(org))
        return found.name if found is not None else str(org)

    def say(self, statement: Mapping[str, Any], report: Mapping[str, Any]) -> str:
        return statements.say(statement, report, self.lang, self.name)

    @property
    def log(self) -> str:
        """The agency log the page's entries belong to."""
        return self.agency or ""

    def entry_url(self, index: object, log: object | None = None) -> str:
        return urls.entry_url(log or self.log, index)

    def subject_url(self, subject: object, log: object | None = None) -> str:
        return urls.subject_url(log or self.log, subject)

    def complaint_url(self, subject: object, log: object | None = None) -> str:
        return urls.complaint_url(log or self.log, subject)

    def bundle_url(self, subject: object, log: object | None = None) -> str:
        return urls.bundle_url(log or self.log, subject)

    def proof_url(self, index: object, size: object, log: object | None = None) -> str:
        return urls.proof_url(log or self.log, index, size)

    def checkpoint_url(self, log: object | None = None) -> str:
        return urls.checkpoint_url(log or self.log)

    def switch_lang(self) -> str:
        other = "en" if self.lang == "id" else "id"
        return f"{self.request.url.path}?lang={other}"


def context(request: Request, agency: str | None = None) -> Context:
    """The context of a page about `agency`'s log (None: a page about no one log)."""
    logs = request.app.state.runtime.logs
    state = None
    if agency is not None and agency != REGISTRY_LOG and logs.exists(agency):
        state = logs.log(agency).agency_state
    return Context(request, lang_for(request), current(request), state, agency, logs.registry_state)


def render(
    ctx: Context,
    template: str,
    values: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    html = environment().get_template(template).render(c=ctx, **(values or {}))
    response = HTMLResponse(html, status_code=status_code)
    asked = ctx.request.query_params.get("lang")
    if asked in i18n.LANGS:
        response.set_cookie(LANG_COOKIE, asked, samesite="strict", httponly=True, path="/")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
