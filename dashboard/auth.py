"""Kiosk screens, and the one guard in front of every request.

Who may do what is the table `RULES` below, read top to bottom (first match wins); Dash
callbacks (POST /_dash-update-component) are judged by the outputs of the callback Dash will
run, and the pages callback by the path Dash will render (dashboard/callback_binding.py), so
the rules hold at the HTTP level and not only in the page.

Sessions live in Redis (dashboard/sessions.py); /login and /logout are dashboard/sign_in.py.

CSRF: the session cookie is HttpOnly and SameSite=Lax (never sent on a cross-site POST);
every POST must also carry an Origin (or, failing that, a Referer) of this very host; the
sign-in form carries a per-session token. Dash callbacks are JSON POSTs: a cross-site page
cannot send them without a CORS preflight, which this app never answers.

Deactivated users and revoked kiosk tokens: their sessions are deleted when `govwall` makes
the change; beyond that, each process reads the set of active ones once a minute for all of
its sessions (ActiveAccountsCache), so a change made another way is out within a minute and
the guard costs the database nothing per screen. While the database is away a session keeps
its last verdict for GRACE_SECONDS (the wall's tiles go stale meanwhile); after that the
guard answers 503, never 500.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from dash import Dash
from flask import Flask, Response, abort, redirect, request, session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import MethodNotAllowed

from callbacks import identity as ident
from dashboard import sign_in
from dashboard.callback_binding import BadCallback, bind
from dashboard.runtime import Runtime
from dashboard.sessions import RedisSessionInterface
from dashboard.sign_in import RETRY_SECONDS, SESSIONS_UNAVAILABLE, unavailable
from data_access import accounts
from data_access.session_store import SessionLimits, SessionStore
from data_access.sign_in_throttle import SignInThrottle

# What the guard answers when the database is away (tests match it).
UNAVAILABLE = sign_in.UNAVAILABLE
# How often a process re-reads which users and kiosk tokens are active (one statement for
# all of its sessions): a user deactivated other than by `govwall user disable` is out
# within this.
RECHECK_SECONDS = 60
# While the database cannot be reached, a session keeps the verdict it last had for this
# long (the wall's tiles go stale meanwhile, as designed); after it the guard answers 503.
GRACE_SECONDS = 15 * 60

log = logging.getLogger(__name__)

NOBODY = "public"
VIEWER = "screen"  # a kiosk screen or any signed-in person
PERSON = "person"  # any signed-in person
ACTOR = "actor"  # a person who may act on cases (ident.ACTION_ROLES)
UNMASKER = "unmasker"  # a person who may see contacts in clear (ident.UNMASK_ROLES)
ADMIN = "admin"  # an administrator (the intake's data quality, /intake)
# The intake API checks its own source tokens (dashboard/intake_api.py): no session, no
# Origin (machines post from other hosts). Only its prefix is let through to that check.
SOURCE_TOKEN = "source token"
INTAKE_BLUEPRINTS = ("intake_api", "open311")


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
    Rule("path", "/api/v1/", SOURCE_TOKEN),
    Rule("path", "/open311/v2/", SOURCE_TOKEN),
    Rule("path", "/wall", VIEWER),
    Rule("path", "/ops/export", PERSON),
    Rule("path", "/ops", PERSON),
    Rule("path", "/intake", ADMIN),
    # Leaders' briefings: leaders and admins, and duty officers may read (every role).
    Rule("path", "/briefing/download", PERSON),
    Rule("path", "/briefing", PERSON),
    Rule("callback", "wall-", VIEWER),
    Rule("callback", "ops-action", ACTOR),
    Rule("callback", "ops-unmask", UNMASKER),
    Rule("callback", "ops-", PERSON),
    Rule("callback", "intake-", ADMIN),
    Rule("callback", "briefing-", PERSON),
    # Anything else (other pages, callbacks of future pages) needs a signed-in person.
    Rule("path", "/", PERSON),
    Rule("callback", "", PERSON),
)
CALLBACK_PATH = "/_dash-update-component"
_ORDER = {NOBODY: 0, VIEWER: 1, PERSON: 2, ACTOR: 3, UNMASKER: 3, ADMIN: 4}


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


def needs_for_callback(callback_map: Mapping[str, dict], body: object) -> tuple[str, str | None]:
    """The strictest requirement among the outputs of the callback Dash will run, and why
    the body does not match its registration (None if it does); BadCallback if no callback
    would run."""
    binding = bind(callback_map, body)
    if binding.pathname is not None:
        needs = rule_for("path", binding.pathname).needs
        # A page under the API's prefix is no page: rendering it needs a person.
        return (PERSON if needs == SOURCE_TOKEN else needs), binding.problem
    needs = max((rule_for("callback", i).needs for i in binding.output_ids),
                key=_ORDER.__getitem__)
    return needs, binding.problem


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
    if needs == ADMIN:
        return who.role == "admin"
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
    return unavailable() if now - checked > GRACE_SECONDS else None


def _offered_kiosk_token() -> str | None:
    """A kiosk token in the wall's address: the page's own, or, for the page's requests, the
    Referer's (the browser sends a same-origin page's full address), so that a screen whose
    session was lost (Redis restarted empty, or the display slept past the idle timeout)
    is recognised again without anyone reloading it."""
    if request.path.startswith("/wall"):
        return request.args.get("kiosk")
    if session.get(ident.KIOSK_ID) is not None:
        return None
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.host or not referer.path.startswith("/wall"):
        return None
    return (parse_qs(referer.query).get("kiosk") or [None])[0]


def _accept_kiosk_token(sessions: sessionmaker[Session], known_accounts: ActiveAccountsCache,
                        now: float) -> Response | None:
    token = _offered_kiosk_token()
    if not token or session.get(ident.USER_ID) is not None:
        return None
    known, read_at = known_accounts.current()
    kiosk_id = known.kiosk_id(token) if known is not None else None
    if kiosk_id is None:  # a token newer than the last read, or a wrong one
        try:
            with sessions() as db:
                info = accounts.check_kiosk_token(db, token)
        except SQLAlchemyError:
            return unavailable()
        if info is None:
            abort(403)
        kiosk_id, read_at = info.id, now
    if session.get(ident.KIOSK_ID) == kiosk_id:
        return None  # the screen reloaded its page: nothing new to learn
    session.renew()
    session[ident.KIOSK_ID] = kiosk_id
    session[ident.CHECKED_AT] = read_at
    return None


def _judge(runtime: Runtime, known_accounts: ActiveAccountsCache, needs: str) -> Response | None:
    """None if the session may make a request that needs `needs`; else the answer."""
    if needs == NOBODY:
        return None
    now = runtime.clock().timestamp()
    refused = _accept_kiosk_token(runtime.sessions, known_accounts, now)
    if refused is not None:
        return refused
    held = _recheck(known_accounts, now)
    if held is not None:
        return held
    who = ident.current_identity()
    kiosk = session.get(ident.KIOSK_ID) is not None
    if _allowed(needs, who, kiosk):
        return None
    if session.unavailable:  # whoever this is cannot be told while Redis is away
        return unavailable(SESSIONS_UNAVAILABLE)
    path = request.path
    if who is None and not kiosk and request.method == "GET" \
            and path != CALLBACK_PATH and not path.startswith("/ops/export"):
        # Quoted: the page's own query must come back whole, not split into login's.
        return redirect(f"/login?next={quote(sign_in.safe_next(request.full_path), safe='/')}")
    return Response("sign in required" if who is None else "not allowed for this role",
                    401 if who is None and not kiosk else 403)


def guard(runtime: Runtime, known_accounts: ActiveAccountsCache,
          callback_map: Mapping[str, dict]):
    def check() -> Response | None:
        if request.path != CALLBACK_PATH and \
                rule_for("path", request.path).needs == SOURCE_TOKEN:
            if request.blueprint in INTAKE_BLUEPRINTS or \
                    isinstance(request.routing_exception, MethodNotAllowed):
                return None  # the blueprint's own token check (or its 405) answers
            # Anything else under the prefix (Dash's catch-all page route) is no API path.
            return Response('{"type":"about:blank","title":"Not Found","status":404}', 404,
                            mimetype="application/problem+json")
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
            return Response("cross-origin request refused", 403)
        if ident.auth_disabled():
            return None
        if request.path != CALLBACK_PATH:
            return _judge(runtime, known_accounts, rule_for("path", request.path).needs)
        try:
            needs, problem = needs_for_callback(callback_map, request.get_json(silent=True))
        except BadCallback as exc:
            return Response(str(exc), 400)
        # Judged first: a caller who may not run the callback learns nothing of its shape.
        refused = _judge(runtime, known_accounts, needs)
        if refused is None and problem is not None:
            return Response(problem, 400)
        return refused

    return check


def install(app: Dash, runtime: Runtime, *, required: bool, limits: SessionLimits,
            cookie_secure: bool) -> None:
    """Server-side sessions, /login and /logout, and the guard, which runs after Dash has
    set itself up (its pages callback is registered on the first request)."""
    server: Flask = app.server
    server.config.update(
        GOVWALL_AUTH_REQUIRED=required,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure,
    )
    namespace = runtime.settings.redis_namespace
    server.session_interface = RedisSessionInterface(
        SessionStore(runtime.redis, namespace, limits), lambda: runtime.clock().timestamp())
    sign_in.add_routes(server, runtime, SignInThrottle(runtime.redis, namespace))
    known_accounts = ActiveAccountsCache(runtime.sessions, lambda: runtime.clock().timestamp())
    server.before_request(guard(runtime, known_accounts, app.callback_map))


def rules_table(rules: Iterable[Rule] = RULES) -> str:
    """The rules as text, for the README and `govwall` operators."""
    return "\n".join(f"{r.what:8} {r.prefix or '*':28} {r.needs}" for r in rules)
