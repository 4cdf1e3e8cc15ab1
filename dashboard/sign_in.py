"""/login and /logout: the form, its CSRF token, throttling, and the session it starts.

A sign-in starts a new server-side session (dashboard/sessions.py) under a new id; sign-out
deletes it. Failed attempts are counted per account and per client address
(data_access/sign_in_throttle.py): a throttled attempt is answered 429 with Retry-After
before the password is looked at.
"""
from __future__ import annotations

import math
import secrets

from flask import Flask, Response, redirect, request, session
from markupsafe import escape
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from callbacks import identity as ident
from dashboard.runtime import Runtime
from dashboard.sessions import RedisSessionInterface
from data_access import accounts
from data_access.sign_in_throttle import SignInThrottle

# How often a client should come back after a 503 (a service away).
RETRY_SECONDS = 10
UNAVAILABLE = "the account database cannot be reached; retrying"
SESSIONS_UNAVAILABLE = "sign-in sessions cannot be read (Redis); retrying"


def unavailable(text: str = UNAVAILABLE) -> Response:
    return Response(text, 503, headers={"Retry-After": str(RETRY_SECONDS)})


def safe_next(target: str | None) -> str:
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
    "zh": ("值班登录", "用户名", "密码", "登录", "社会治理现代化指挥中心"),
    "en": ("Duty sign-in", "User name", "Password", "Sign in",
           "Social-governance command center"),
}
_PROBLEMS = {
    "wrong": ("用户名或密码不正确", "Wrong user name or password"),
    "throttled": ("尝试次数过多，请 {} 秒后再试", "Too many attempts; try again in {} s"),
    "long_name": (f"用户名最多 {accounts.MAX_USERNAME_LENGTH} 个字符",
                  f"A user name has at most {accounts.MAX_USERNAME_LENGTH} characters"),
    "long_password": (f"密码最多 {accounts.MAX_PASSWORD_LENGTH} 个字符",
                      f"A password has at most {accounts.MAX_PASSWORD_LENGTH} characters"),
    "nul": ("用户名和密码不能包含 NUL 字符", "A user name or password cannot contain NUL"),
}


def _login_page(lang: str, next_path: str, problem: str | None = None, *args: object) -> str:
    title, user, password, submit, center = _LOGIN_TEXT[lang]
    error = ""
    if problem is not None:
        text = _PROBLEMS[problem][lang == "en"].format(*args)
        error = f'<div class="alert alert-danger" role="alert">{escape(text)}</div>'
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
 maxlength="{accounts.MAX_USERNAME_LENGTH}" required autofocus></div>
<div class="mb-3"><label class="form-label" for="password">{escape(password)}</label>
<input class="form-control" id="password" name="password" type="password"
 maxlength="{accounts.MAX_PASSWORD_LENGTH}" autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" id="login-submit" type="submit">{escape(submit)}</button>
</form></main></body></html>"""


def _html(body: str, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body, status, headers=headers, content_type="text/html; charset=utf-8")


def _input_problem(username: str, password: str) -> str | None:
    if "\0" in username or "\0" in password:
        return "nul"
    if len(username.strip()) > accounts.MAX_USERNAME_LENGTH:
        return "long_name"
    if len(password) > accounts.MAX_PASSWORD_LENGTH:
        return "long_password"
    return None


def add_routes(server: Flask, runtime: Runtime, throttle: SignInThrottle) -> None:
    interface: RedisSessionInterface = server.session_interface

    def clock() -> float:
        return runtime.clock().timestamp()

    def login():
        lang = "en" if request.values.get("lang") == "en" else "zh"
        next_path = safe_next(request.values.get("next"))
        if session.unavailable:
            return unavailable(SESSIONS_UNAVAILABLE)
        if request.method == "GET":
            return _html(_login_page(lang, next_path))
        expected = session.get(ident.CSRF)
        if not expected or not secrets.compare_digest(expected, request.form.get("csrf", "")):
            return Response("the sign-in form expired; reload the page", 400)
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        if problem := _input_problem(username, password):
            return _html(_login_page(lang, next_path, problem), 400)
        counters = throttle.counters(username.strip(), request.remote_addr or "")
        try:
            if throttle.wait(counters, clock()) > 0:
                throttle.failed(counters, clock())
                wait = math.ceil(throttle.wait(counters, clock()))
                return _html(_login_page(lang, next_path, "throttled", wait), 429,
                             {"Retry-After": str(wait)})
            try:
                with runtime.sessions() as db:
                    user = accounts.authenticate(db, username, password)
            except SQLAlchemyError:
                return unavailable()
            if user is None:
                throttle.failed(counters, clock())
                return _html(_login_page(lang, next_path, "wrong"), 401)
            throttle.succeeded(counters[0])
            session.renew()  # a new session id for the new identity (no session fixation)
            session.update({ident.USER_ID: user.id, ident.USERNAME: user.username,
                            ident.DISPLAY_NAME: user.display_name, ident.ROLE: user.role,
                            ident.AREA: user.area, ident.CHECKED_AT: clock()})
            interface.commit(session)
        except RedisError:
            return unavailable(SESSIONS_UNAVAILABLE)
        return redirect(next_path)

    def logout():
        if session.unavailable:  # the session cannot be ended yet: say so, keep the cookie
            return unavailable(SESSIONS_UNAVAILABLE)
        session.clear()
        return redirect("/login")

    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    # Logout also answers GET: being signed out by a foreign link costs nothing but a sign-in.
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])
