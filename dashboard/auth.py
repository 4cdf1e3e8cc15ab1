"""Sign-in, kiosk screens, and the one guard in front of every request.

Who may do what is the table `RULES` below, read top to bottom (first match wins); Dash
callbacks (POST /_dash-update-component) are judged by their output ids, and the pages
callback by the path it renders, so the rules hold at the HTTP level and not only in the page.

CSRF: the session cookie is HttpOnly and SameSite=Lax (never sent on a cross-site POST);
every POST must also carry an Origin (or, failing that, a Referer) of this very host; the
sign-in form carries a per-session token. Dash callbacks are JSON POSTs: a cross-site page
cannot send them without a CORS preflight, which this app never answers.

Deactivated users and revoked kiosk tokens: each process reads the set of active ones once a
minute for all of its sessions (ActiveAccountsCache), so the guard costs the database nothing
per screen. While the database is away a session keeps its last verdict for GRACE_SECONDS
(the wall's tiles go stale meanwhile); after that the guard answers 503, never 500.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, redirect, request, session
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from callbacks import identity as ident
from dashboard.runtime import Runtime
from data_access import accounts

# How often a process re-reads which users and kiosk tokens are active (one statement for
# all of its sessions): a deactivated user or a revoked token is out within this.
RECHECK_SECONDS = 60
# While the database cannot be reached, a session keeps the verdict it last had for this
# long (the wall's tiles go stale meanwhile, as designed); after it the guard answers 503.
GRACE_SECONDS = 15 * 60
# After a failed re-read a process tries again at most this often, not on every request.
RETRY_SECONDS = 10
UNAVAILABLE = "the account database cannot be reached; retrying"

log = logging.getLogger(__name__)

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
    Rule("path", "/metrics", NOBODY),  # restricted to loopback by its own route
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


class ActiveAccountsCache:
    """The active users and kiosk tokens as this process last read them, shared by all of
    its sessions and re-read at most once per RECHECK_SECONDS (RETRY_SECONDS after a
    failure). Times are the runtime clock's, in epoch seconds."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float]):
        self._sessions = sessions
        self._clock = clock
        self._lock = threading.Lock()
        # What is known and when it was read, replaced as one value (readers never see a
        # new set with an old time, or the reverse).
        self._known: tuple[accounts.ActiveAccounts | None, float] = (None, float("-inf"))
        self._tried_at = float("-inf")

    def _due(self, now: float) -> bool:
        return now - self._known[1] >= RECHECK_SECONDS and now - self._tried_at >= RETRY_SECONDS

    def current(self) -> tuple[accounts.ActiveAccounts | None, float]:
        """What is known, and when it was read."""
        # One thread re-reads; the others go on with what is known (or wait for a first read).
        if self._due(self._clock()) and self._lock.acquire(blocking=self._known[0] is None):
            try:
                now = self._clock()
                if self._due(now):
                    self._tried_at = now
                    self._read(now)
            finally:
                self._lock.release()
        return self._known

    def _read(self, now: float) -> None:
        try:
            with self._sessions() as db:
                # Autocommit: one statement, without a BEGIN and a ROLLBACK around it.
                db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                self._known = (accounts.active_accounts(db), now)
        except SQLAlchemyError as exc:
            log.warning("active accounts not re-read (verdicts kept from %.0f s ago): %s",
                        now - self._known[1], exc.__class__.__name__)


def _unavailable() -> Response:
    return Response(UNAVAILABLE, 503, headers={"Retry-After": str(RETRY_SECONDS)})


def _recheck(known_accounts: ActiveAccountsCache, now: float) -> Response | None:
    """End a session whose user was deactivated or whose kiosk token was revoked; hold it
    (503) when its last verdict is older than GRACE_SECONDS and none can be had."""
    user_id, kiosk_id = session.get(ident.USER_ID), session.get(ident.KIOSK_ID)
    if user_id is None and kiosk_id is None:
        return None
    checked = session.get(ident.CHECKED_AT, 0)
    known, read_at = known_accounts.current()
    # A session verified after the last read (a sign-in a moment ago) keeps its own verdict.
    if known is not None and read_at >= checked:
        if not known.holds(user_id, kiosk_id):
            session.clear()
            return None
        if read_at > checked:
            session[ident.CHECKED_AT] = checked = read_at
    return _unavailable() if now - checked > GRACE_SECONDS else None


def _accept_kiosk_token(sessions: sessionmaker[Session], known_accounts: ActiveAccountsCache,
                        now: float) -> Response | None:
    token = request.args.get("kiosk")
    if not token or session.get(ident.USER_ID) is not None:
        return None
    known, read_at = known_accounts.current()
    kiosk_id = known.kiosk_id(token) if known is not None else None
    if kiosk_id is None:  # a token newer than the last read, or a wrong one
        try:
            with sessions() as db:
                info = accounts.check_kiosk_token(db, token)
        except SQLAlchemyError:
            return _unavailable()
        if info is None:
            abort(403)
        kiosk_id, read_at = info.id, now
    if session.get(ident.KIOSK_ID) == kiosk_id:
        return None  # the screen reloaded its page: nothing new to learn
    session.clear()
    session.permanent = True
    session[ident.KIOSK_ID] = kiosk_id
    session[ident.CHECKED_AT] = read_at
    return None


def guard(runtime: Runtime, known_accounts: ActiveAccountsCache):
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
        now = runtime.clock().timestamp()
        if path.startswith("/wall"):
            refused = _accept_kiosk_token(runtime.sessions, known_accounts, now)
            if refused is not None:
                return refused
        held = _recheck(known_accounts, now)
        if held is not None:
            return held
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


def add_routes(server: Flask, runtime: Runtime) -> None:
    def login():
        lang = "en" if request.values.get("lang") == "en" else "zh"
        next_path = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return _html(_login_page(lang, next_path, failed=False))
        expected = session.get(ident.CSRF)
        if not expected or not secrets.compare_digest(expected, request.form.get("csrf", "")):
            return Response("the sign-in form expired; reload the page", 400)
        try:
            with runtime.sessions() as db:
                user = accounts.authenticate(db, request.form.get("username", ""),
                                             request.form.get("password", ""))
        except SQLAlchemyError:
            return _unavailable()
        if user is None:
            return _html(_login_page(lang, next_path, failed=True), 401)
        session.clear()  # a new session id for the new identity (no session fixation)
        session.permanent = True
        session.update({ident.USER_ID: user.id, ident.USERNAME: user.username,
                        ident.DISPLAY_NAME: user.display_name, ident.ROLE: user.role,
                        ident.CHECKED_AT: runtime.clock().timestamp()})
        return redirect(next_path)

    def logout():
        session.clear()
        return redirect("/login")

    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    # Logout also answers GET: being signed out by a foreign link costs nothing but a sign-in.
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])


def install(server: Flask, runtime: Runtime, *, required: bool, session_hours: int,
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
    add_routes(server, runtime)
    known_accounts = ActiveAccountsCache(runtime.sessions, lambda: runtime.clock().timestamp())
    server.before_request(guard(runtime, known_accounts))


def rules_table(rules: Iterable[Rule] = RULES) -> str:
    """The rules as text, for the README and `govwall` operators."""
    return "\n".join(f"{r.what:8} {r.prefix or '*':28} {r.needs}" for r in rules)
