"""The pages' front door: sign-in, sign-out, the home page, static assets and error pages."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.deps import TokenCache
from api.pages import agency, evidence
from api.pages.access import (
    PageMissingError,
    SignInRequiredError,
    readable_agencies,
    runtime_of,
)
from api.pages.render import STATIC, context, render
from api.pages.session import (
    FORM_COOKIE,
    SESSION_COOKIE,
    SessionStore,
    csrf_ok,
    current,
    set_cookie,
    store_of,
)

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 4096


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items() if v}


def _sign_in_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    nonce = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    ctx = context(request)
    response = render(
        ctx, "signin.html", {"csrf": store_of(request).form_token(nonce), "error": error}, status
    )
    set_cookie(response, FORM_COOKIE, nonce, request)
    return response


@router.get("/")
async def home(request: Request) -> Response:
    session = current(request)
    if session is None:
        return _sign_in_page(request)
    runtime = runtime_of(request)
    ctx = context(request, session.principal.org)
    agencies = readable_agencies(runtime, session.principal)
    reads_complaints = session.principal.role in ("ombudsman", "inspector", "agency")
    return render(ctx, "home.html", {"agencies": agencies, "complaints": reads_complaints})


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    store = store_of(request)
    if not store.form_token_ok(request.cookies.get(FORM_COOKIE), form.get("csrf", "")):
        return _sign_in_page(request, "csrf_failed", 403)
    token = form.get("token", "").strip()
    cache: TokenCache = request.app.state.tokens
    principal = await cache.resolve(runtime_of(request), token) if token else None
    if principal is None:
        return _sign_in_page(request, "token_unknown", 401)
    cookie, _ = store.open(principal)
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, SESSION_COOKIE, cookie, request)
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    form = await _form(request)
    session = current(request)
    if session is not None and not csrf_ok(session, form.get("csrf", "")):
        return HTMLResponse("CSRF token mismatch", status_code=403)
    store_of(request).close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/verify")
async def verify(request: Request) -> Response:
    """The in-browser bundle verifier: public, like the log key it checks against."""
    return render(context(request), "verify.html")


router.include_router(agency.router)
router.include_router(evidence.router)


def install_pages(app: FastAPI) -> None:
    """Serve the pages, their assets and their error pages from `app`."""
    app.state.page_sessions = SessionStore()

    async def missing(request: Request, _: Exception) -> Response:
        return render(context(request), "missing.html", None, 404)

    async def sign_in_first(_: Request, __: Exception) -> Response:
        return RedirectResponse("/", status_code=303)

    app.add_exception_handler(PageMissingError, missing)
    app.add_exception_handler(SignInRequiredError, sign_in_first)
    app.mount("/static/pages", StaticFiles(directory=STATIC), name="page-assets")
    app.include_router(router)
