"""Sign-in throttling over HTTP against the running app (its clock frozen and moved by the
test, so that every delay is exact):
the tester's 40 quick wrong passwords end in a lock the right password does not open, an
address that tries many accounts is held for all of them, each lock and unlock is logged in
one line, and bad input on the form is answered 400 with a message, never 500."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from data_access.sign_in_throttle import ACCOUNT, ADDRESS
from tests.dashboard.live_app import START, app_settings, live_app
from tests.support.kiosk import PASSWORD, add_people


@pytest.fixture
def live(fresh_backend):
    """An app on a database and Redis namespace of this test's own: the address counter
    (every test signs in from 127.0.0.1) must start from nothing."""
    add_people(fresh_backend.sessions)
    settings = app_settings(fresh_backend.database_url, fresh_backend.redis_url,
                            fresh_backend.namespace)
    with live_app(settings, refresher=False) as app:
        app.runtime.clock = FrozenClock()
        app.advance = app.runtime.clock.advance
        yield app


class FrozenClock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def attempt(live, username: str, password: str):
    client = live.client()
    page = live.get(client, "/login?lang=en").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post(live.url + "/login", allow_redirects=False, timeout=30,
                       data={"username": username, "password": password, "csrf": csrf,
                             "lang": "en"})


def test_forty_wrong_passwords_lock_the_account_until_the_lock_ends(live, caplog):
    caplog.set_level(logging.WARNING, logger="data_access.sign_in_throttle")
    answers = [attempt(live, "duty", f"wrong-{i}") for i in range(40)]
    statuses = [a.status_code for a in answers]
    assert statuses[:ACCOUNT.free] == [401] * ACCOUNT.free
    assert statuses[ACCOUNT.free:] == [429] * (40 - ACCOUNT.free)
    assert "Too many attempts; try again in" in answers[-1].text
    # The lock began at the tenth attempt (the clock stands still); it is not extended.
    assert answers[-1].headers["Retry-After"] == str(ACCOUNT.lock_seconds)
    right = attempt(live, "duty", PASSWORD)
    assert (right.status_code, right.headers["Retry-After"]) == (429, "900")
    live.advance(ACCOUNT.lock_seconds - 120)
    right = attempt(live, "duty", PASSWORD)
    assert (right.status_code, right.headers["Retry-After"]) == (429, "120")
    live.advance(180)
    signed_in = attempt(live, "duty", PASSWORD)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/ops"
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["sign-in locked for 900 s: account 'duty' after 10 failures",
                     "sign-in unlocked: account 'duty' (its lock ended)"]


def test_a_delay_grows_before_the_lock_and_a_sign_in_resets_it(live):
    for _ in range(ACCOUNT.free):
        assert attempt(live, "lead", "wrong-password").status_code == 401
    held = attempt(live, "lead", PASSWORD)  # the right password, unread during the delay
    assert (held.status_code, held.headers["Retry-After"]) == (429, "2")
    live.advance(3)
    assert attempt(live, "lead", "wrong-password").status_code == 401
    held = attempt(live, "lead", PASSWORD)
    assert (held.status_code, held.headers["Retry-After"]) == (429, "8")
    live.advance(7)
    assert attempt(live, "lead", PASSWORD).status_code == 429  # early: counted, and longer
    live.advance(17)
    assert attempt(live, "lead", PASSWORD).status_code == 302
    # Signed in: the account starts from nothing again.
    assert [attempt(live, "lead", "wrong").status_code for _ in range(ACCOUNT.free)] == \
        [401] * ACCOUNT.free


def test_an_address_that_tries_many_accounts_is_throttled_for_all(live):
    for i in range(ADDRESS.free):
        assert attempt(live, f"guess-{i}", "wrong-password").status_code == 401
    held = attempt(live, "admin", PASSWORD)  # another, real account, never failed itself
    assert (held.status_code, held.headers["Retry-After"]) == (429, "2")
    live.advance(ADDRESS.window + ADDRESS.lock_seconds)
    assert attempt(live, "admin", PASSWORD).status_code == 302


BAD_INPUT = [
    ("d" * 33, PASSWORD, "A user name has at most 32 characters"),
    ("duty", "p" * 257, "A password has at most 256 characters"),
    ("du\0ty", PASSWORD, "A user name or password cannot contain NUL"),
    ("duty", "pass\0word", "A user name or password cannot contain NUL"),
    ("x" * 100_000, "y" * 100_000, "A user name has at most 32 characters"),
]


def test_bad_input_on_the_form_is_a_400_with_a_message(live):
    for username, password, message in BAD_INPUT * 3:
        response = attempt(live, username, password)
        assert response.status_code == 400, message
        assert f'role="alert">{message}</div>' in response.text
    # Refused before any counting: six bad tries at "duty" leave it free to sign in.
    assert attempt(live, "duty", PASSWORD).status_code == 302
