"""Sign-in, kiosk screens, and the one guard in front of every request.

Who may do what is the table `RULES` below, read top to bottom (first match wins); Dash
callbacks (POST /_dash-update-component) are judged by their output ids, and the pages
callback by the path it renders, so the rules hold at the HTTP level and not only in the page.

CSRF: the session cookie is HttpOnly and SameSite=Lax (never sent on a cross-site POST);
every POST must also carry an Origin (or, failing that, a Referer) of this very host; the
sign-in form carries a per-session token. Dash callbacks are JSON POSTs: a cross-site page
cannot send them without a CORS preflight, which this app never answers.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, redirect, request, session
from markupsafe import escape

from callbacks import identity as ident
from data_access import accounts

# How often a session is re-checked against the database (user deactivated, token revoked).
RECHECK_SECONDS = 60

NOBODY = "public"
VIEWER = "screen"  # a kiosk screen or any signed-in person
PERSON = "person"  # any signed-in person
ACTOR = "actor"  # a person who may act on cases (ident.ACTION_ROLES)
UNMASKER = "unmasker"  # a person who may see contacts in clear (ident.UNMASK_ROLES)


@dataclass(frozen=True)
class Rule:
    # "path": an HTTP path ("/x/" a prefix; "/x" itself and below), "callback": output id prefix
    what: str
    prefix: str
    needs: str


RULES: tuple[Rule, ...] = (
    Rule("path", "/login", NOBODY),
    Rule("path", "/logout", NOBODY),
    Rule("path", "/assets/", NOBODY),
    Rule("path", "/_dash-component-suites/", NOBODY),
    Rule("path", "/_dash-layout", NOBODY),
    Rule("path", "/_dash-dependencies", NOBODY),
    Rule("path", "/_reload-hash", NOBODY),
    Rule("path", "/_favicon.ico", NOBODY),
    Rule("path", "/healthz", NOBODY),
    Rule("path", "/wall", VIEWER),
    Rule("path", "/ops/export", PERSON),
    Rule("path", "/ops", PERSON),
    Rule("callback", "wall-", VIEWER),
    Rule("callback", "ops-action", ACTOR),
    Rule("callback", "ops-unmask", UNMASKER),
    Rule("callback", "ops-", PERSON),
    # Anything else (other pages, callbacks of future pages) needs a signed-in person.
    Rule("path", "/", PERSON),
    Rule("callback", "", PERSON),
)
CALLBACK_PATH = "/_dash-update-component"
PAGES_OUTPUT = "_pages_content"
_ORDER = {NOBODY: 0, VIEWER: 1, PERSON: 2, ACTOR: 3, UNMASKER: 3}


def rule_for(what: str, name: str) -> Rule:
    for rule in RULES:
        if rule.what != what:
            continue
        exact_path = what == "path" and not rule.prefix.endswith("/") and rule.prefix != "/"
        if exact_path and (name == rule.prefix or name.startswith(rule.prefix + "/")):
            return rule
        if not exact_path and name.startswith(rule.prefix):
            return rule
    raise LookupError(name)  # unreachable: the table ends with catch-alls


def _output_ids(body: dict) -> list[str]:
    outputs = body.get("outputs")
    items = outputs if isinstance(outputs, list) else [outputs]
    ids: list[str] = []
    for item in items:
        if isinstance(item, list):  # pattern-matching ALL outputs
            items.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        raw = item.get("id")
        # A pattern-matching id is a dict; its "type" names the component family.
        ids.append(str(raw.get("type", "")) if isinstance(raw, dict) else str(raw))
    return ids


def _pages_path(body: dict) -> str:
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("property") == "pathname":
            return str(item.get("value") or "/")
    return "/"


def needs_for_callback(body: dict) -> str:
    """The strictest requirement among a callback's outputs."""
    ids = _output_ids(body)
    if not ids:
        return PERSON
    if PAGES_OUTPUT in ids:
        return rule_for("path", _pages_path(body)).needs
    return max((rule_for("callback", i).needs for i in ids), key=_ORDER.__getitem__)


def _allowed(needs: str, who: ident.Identity | None, kiosk: bool) -> bool:
    if needs == NOBODY:
        return True
    if needs == VIEWER:
        return who is not None or kiosk
    if who is None:
        return False
    if needs == ACTOR:
        return who.may_act
    if needs == UNMASKER:
        return who.may_unmask
    return True


def _same_origin() -> bool:
    """The POST comes from a page of this host (Origin, else Referer)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc == request.host


def _recheck(sessions) -> None:
    """Drop a session whose user was deactivated or whose kiosk token was revoked."""
    if time.time() - session.get(ident.CHECKED_AT, 0) < RECHECK_SECONDS:
        return
    with sessions() as db:
        if session.get(ident.USER_ID) is not None and \
                accounts.active_user(db, session[ident.USER_ID]) is None:
            session.clear()
        elif session.get(ident.KIOSK_ID) is not None and \
                not accounts.kiosk_token_active(db, session[ident.KIOSK_ID]):
            session.clear()
    session[ident.CHECKED_AT] = time.time()


def _accept_kiosk_token(sessions) -> None:
    token = request.args.get("kiosk")
    if not token or session.get(ident.USER_ID) is not None:
        return
    with sessions() as db:
        info = accounts.check_kiosk_token(db, token)
    if info is None:
        abort(403)
    session.clear()
    session.permanent = True
    session[ident.KIOSK_ID] = info.id
    session[ident.CHECKED_AT] = time.time()


def guard(sessions):
    def check() -> Response | None:
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
            return Response("cross-origin request refused", 403)
        if ident.auth_disabled():
            return None
        path = request.path
        if path == CALLBACK_PATH:
            body = request.get_json(silent=True) or {}
            needs = needs_for_callback(body)
        else:
            needs = rule_for("path", path).needs
        if needs == NOBODY:
            return None
        if path.startswith("/wall"):
            _accept_kiosk_token(sessions)
        _recheck(sessions)
        who = ident.current_identity()
        if _allowed(needs, who, session.get(ident.KIOSK_ID) is not None):
            return None
        if who is None and session.get(ident.KIOSK_ID) is None and request.method == "GET" \
                and path != CALLBACK_PATH and not path.startswith("/ops/export"):
            # Quoted: the page's own query must come back whole, not split into login's.
            return redirect(f"/login?next={quote(_safe_next(request.full_path), safe='/')}")
        return Response("sign in required" if who is None else "not allowed for this role",
                        401 if who is None and session.get(ident.KIOSK_ID) is None else 403)

    return check


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never //other.host or a scheme (no open redirect)."""
    target = (target or "/ops").rstrip("?")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ops"
    return target


def csrf_token() -> str:
    if ident.CSRF not in session:
        session[ident.CSRF] = secrets.token_urlsafe(24)
    return session[ident.CSRF]


_LOGIN_TEXT = {
    "zh": ("值班登录", "用户名", "密码", "登录", "用户名或密码不正确", "社会治理现代化指挥中心"),
    "en": ("Duty sign-in", "User name", "Password", "Sign in", "Wrong user name or password",
           "Social-governance command center"),
}


def _login_page(lang: str, next_path: str, failed: bool) -> str:
    title, user, password, submit, wrong, center = _LOGIN_TEXT[lang]
    error = f'<div class="alert alert-danger" role="alert">{escape(wrong)}</div>' if failed else ""
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{escape(title)} · govwall</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"></head>
<body class="bg-light"><main class="container" style="max-width:26rem;margin-top:12vh">
<p class="text-muted mb-1">{escape(center)}</p><h1 class="h3 mb-4">{escape(title)}</h1>{error}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{escape(csrf_token())}">
<input type="hidden" name="next" value="{escape(next_path)}">
<input type="hidden" name="lang" value="{escape(lang)}">
<div class="mb-3"><label class="form-label" for="username">{escape(user)}</label>
<input class="form-control" id="username" name="username" autocomplete="username"
 required autofocus></div>
<div class="mb-3"><label class="form-label" for="password">{escape(password)}</label>
<input class="form-control" id="password" name="password" type="password"
 autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" id="login-submit" type="submit">{escape(submit)}</button>
</form></main></body></html>"""


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status, content_type="text/html; charset=utf-8")


def add_routes(server: Flask, sessions) -> None:
    def login():
        lang = "en" if request.values.get("lang") == "en" else "zh"
        next_path = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return _html(_login_page(lang, next_path, failed=False))
        expected = session.get(ident.CSRF)
        if not expected or not secrets.compare_digest(expected, request.form.get("csrf", "")):
            return Response("the sign-in form expired; reload the page", 400)
        with sessions() as db:
            user = accounts.authenticate(db, request.form.get("username", ""),
                                         request.form.get("password", ""))
        if user is None:
            return _html(_login_page(lang, next_path, failed=True), 401)
        session.clear()  # a new session id for the new identity (no session fixation)
        session.permanent = True
        session.update({ident.USER_ID: user.id, ident.USERNAME: user.username,
                        ident.DISPLAY_NAME: user.display_name, ident.ROLE: user.role,
                        ident.CHECKED_AT: time.time()})
        return redirect(next_path)

    def logout():
        session.clear()
        return redirect("/login")

    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    # Logout also answers GET: being signed out by a foreign link costs nothing but a sign-in.
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])


def install(server: Flask, sessions, *, required: bool, session_hours: int,
            cookie_secure: bool) -> None:
    """Session cookie settings, /login and /logout, and the guard (before every request)."""
    server.config.update(
        GOVWALL_AUTH_REQUIRED=required,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=session_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure,
        # Every request of a polling wall slides the expiry: a screen stays signed in.
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    add_routes(server, sessions)
    server.before_request(guard(sessions))


def rules_table(rules: Iterable[Rule] = RULES) -> str:
    """The rules as text, for the README and `govwall` operators."""
    return "\n".join(f"{r.what:8} {r.prefix or '*':28} {r.needs}" for r in rules)
