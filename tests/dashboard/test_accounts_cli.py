"""`govwall user …` and `govwall kiosk-token revoke` as an operator runs them (through
`dashboard.cli.main`, exit codes and output checked), each change recorded with who and
when, and its effect on live sessions checked over HTTP at once (the app's clock does not
move: nothing waits for the guard's once-a-minute re-read)."""
from __future__ import annotations

import getpass
import io
import re
import sys
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.cli import main
from data_access.accounts import account_events
from tests.dashboard.live_app import app_settings, live_app
from tests.support.kiosk import PASSWORD

NEW_PASSWORD = "another-password-2"


@pytest.fixture
def live(backend, monkeypatch):
    for name, value in (("DATABASE_URL", backend.database_url),
                        ("REDIS_URL", backend.redis_url),
                        ("REDIS_NAMESPACE", backend.namespace), ("ENV", "test")):
        monkeypatch.setenv(f"GOVWALL_{name}", value)
    settings = app_settings(backend.database_url, backend.redis_url, backend.namespace)
    with live_app(settings, refresher=False) as app:
        app.backend = backend
        yield app


def govwall(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys, monkeypatch, username: str, role: str = "duty_officer") -> None:
    code, out, _err = govwall(capsys, monkeypatch, "user", "add", username, "--role", role,
                              "--password-stdin", "--by", "tester", stdin=PASSWORD + "\n")
    assert code == 0 and out == f"user {username} ({role}) created\n"


def sign_in(live, username: str, password: str = PASSWORD):
    client = live.client()
    page = live.get(client, "/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post(live.url + "/login", allow_redirects=False, timeout=30,
                           data={"username": username, "password": password, "csrf": csrf})
    return client, response.status_code


def signed_in(live, client) -> bool:
    response = live.get(client, "/ops")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def events(live, username: str) -> list[tuple[str, str, str]]:
    with live.backend.sessions() as session:
        rows = account_events(session, username)
    for at, *_rest in rows:  # recorded now (SQLite gives UTC back without its zone)
        assert abs(at.replace(tzinfo=at.tzinfo or UTC) - datetime.now(UTC)) < timedelta(hours=1)
    return [tuple(rest) for _at, *rest in rows]


def test_list_shows_users_their_roles_and_state(live, capsys, monkeypatch):
    add(capsys, monkeypatch, "cli-list-a")
    add(capsys, monkeypatch, "cli-list-b", "leader")
    assert govwall(capsys, monkeypatch, "user", "disable", "cli-list-b")[0] == 0
    code, out, err = govwall(capsys, monkeypatch, "user", "list")
    assert code == 0 and err == ""
    rows = {line.split("\t")[0]: line.split("\t")[1:3] for line in out.splitlines()}
    assert rows["cli-list-a"] == ["duty_officer", "active"]
    assert rows["cli-list-b"] == ["leader", "disabled"]


def test_disable_ends_every_session_of_the_user_at_once_and_enable_restores(
        live, capsys, monkeypatch):
    add(capsys, monkeypatch, "cli-off")
    (desk, status), (phone, _) = sign_in(live, "cli-off"), sign_in(live, "cli-off")
    assert status == 302 and signed_in(live, desk) and signed_in(live, phone)
    code, out, err = govwall(capsys, monkeypatch, "user", "disable", "cli-off", "--by", "chief")
    assert (code, err) == (0, "")
    assert out == "user cli-off disabled\nended 2 session(s)\n"
    assert not signed_in(live, desk) and not signed_in(live, phone)
    assert sign_in(live, "cli-off")[1] == 401
    code, out, _ = govwall(capsys, monkeypatch, "user", "enable", "cli-off", "--by", "chief")
    assert (code, out) == (0, "user cli-off enabled\n")
    client, status = sign_in(live, "cli-off")
    assert status == 302 and signed_in(live, client)
    assert events(live, "cli-off") == [("tester", "add", "duty_officer"),
                                       ("chief", "disable", ""), ("chief", "enable", "")]


def test_set_password_ends_sessions_and_only_the_new_password_signs_in(
        live, capsys, monkeypatch):
    add(capsys, monkeypatch, "cli-pw")
    client, status = sign_in(live, "cli-pw")
    assert status == 302
    code, out, _ = govwall(capsys, monkeypatch, "user", "set-password", "cli-pw",
                           "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert code == 0
    assert out == "password of cli-pw changed\nended 1 session(s)\n"
    assert not signed_in(live, client)
    assert sign_in(live, "cli-pw")[1] == 401
    assert sign_in(live, "cli-pw", NEW_PASSWORD)[1] == 302
    # --by left out: the operating-system user is recorded.
    assert events(live, "cli-pw")[-1] == (getpass.getuser(), "set-password", "")
    code, _, err = govwall(capsys, monkeypatch, "user", "set-password", "cli-pw",
                           "--password-stdin", stdin="short\n")
    assert code == 1
    assert err == "govwall user set-password: a password has at least 8 characters\n"


def test_set_role_ends_sessions_and_the_new_role_holds(live, capsys, monkeypatch):
    from tests.ops.test_auth import supervise

    add(capsys, monkeypatch, "cli-role")
    client, _ = sign_in(live, "cli-role")
    code, out, _ = govwall(capsys, monkeypatch, "user", "set-role", "cli-role",
                           "--role", "leader", "--by", "chief")
    assert code == 0
    assert out == "user cli-role is now leader\nended 1 session(s)\n"
    assert not signed_in(live, client)
    leader, _ = sign_in(live, "cli-role")
    refused = leader.post(live.url + "/_dash-update-component", json=supervise(1), timeout=30)
    assert (refused.status_code, refused.text) == (403, "not allowed for this role")
    assert events(live, "cli-role")[-1] == ("chief", "set-role", "duty_officer -> leader")


def test_unlock_lifts_a_lock_before_it_ends(live, capsys, monkeypatch):
    add(capsys, monkeypatch, "cli-locked")
    statuses = [sign_in(live, "cli-locked", "wrong-password")[1] for _ in range(12)]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429
    assert sign_in(live, "cli-locked")[1] == 429
    code, out, _ = govwall(capsys, monkeypatch, "user", "unlock", "cli-locked", "--by", "chief",
                           "--address", "127.0.0.1")
    assert (code, out) == (0, "unlocked account cli-locked, address 127.0.0.1\n")
    assert sign_in(live, "cli-locked")[1] == 302
    assert events(live, "cli-locked")[-1] == ("chief", "unlock", "address 127.0.0.1")
    code, out, _ = govwall(capsys, monkeypatch, "user", "unlock", "cli-locked")
    assert (code, out) == (0, "nothing was locked or counted\n")


@pytest.mark.parametrize("command", ["disable", "enable", "set-role"])
def test_an_unknown_user_is_one_line_and_exit_code_1(live, capsys, monkeypatch, command):
    extra = ["--role", "leader"] if command == "set-role" else []
    code, out, err = govwall(capsys, monkeypatch, "user", command, "nobody-here", *extra)
    assert (code, out) == (1, "")
    assert err == f"govwall user {command}: no user 'nobody-here'\n"


def test_revoking_a_kiosk_token_ends_its_screens_at_once(live, capsys, monkeypatch):
    code, out, _ = govwall(capsys, monkeypatch, "kiosk-token", "create", "--label", "cli-screen")
    assert code == 0
    token = out.splitlines()[1]
    screen, kept = live.screen(token), live.screen(token)
    assert live.get(screen, "/wall").status_code == 200
    code, out, _ = govwall(capsys, monkeypatch, "kiosk-token", "revoke", "--label", "cli-screen")
    assert (code, out) == (0, "revoked 1 kiosk token(s)\nended 2 session(s)\n")
    for client in (screen, kept):
        assert live.get(client, "/wall").headers["Location"].startswith("/login")
