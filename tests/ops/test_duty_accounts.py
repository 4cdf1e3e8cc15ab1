"""An account's area, as an operator sets it: `govwall user add --area` and `govwall user
set-area` (through dashboard.cli.main: output, exit codes), recorded in account_events with who,
checked against the territory and the region, and shown by `user list`."""
from __future__ import annotations

import io
import sys

import pytest

from dashboard.cli import main
from data_access.accounts import account_events, find_user
from tests.support.kiosk import PASSWORD, sign_in
from tests.support.tiny_territory import COUNTY, TOWNSHIPS


@pytest.fixture
def cli(ops_backend, monkeypatch, capsys):
    for name, value in (("DATABASE_URL", ops_backend.database_url),
                        ("REDIS_URL", ops_backend.redis_url),
                        ("REDIS_NAMESPACE", ops_backend.namespace), ("ENV", "test"),
                        ("REGION", "320300")):
        monkeypatch.setenv(f"GOVWALL_{name}", value)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _area(backend, username: str) -> str | None:
    with backend.sessions() as session:
        return find_user(session, username).area


def _events(backend, username: str) -> list[tuple[str, str, str]]:
    with backend.sessions() as session:
        return [tuple(rest) for _at, *rest in account_events(session, username)]


def test_add_with_an_area_then_move_it_and_back_to_the_whole_region(cli, ops_backend, admin):
    code, out, err = cli("user", "add", "area-a", "--role", "duty_officer", "--area",
                         TOWNSHIPS[0], "--password-stdin", "--by", "chief",
                         stdin=PASSWORD + "\n")
    assert (code, out, err) == (0, f"user area-a (duty_officer, area {TOWNSHIPS[0]}) created\n",
                                "")
    assert _area(ops_backend, "area-a") == TOWNSHIPS[0]
    # The area is part of the session: a new one ends the user's sessions at once.
    client = admin[0].server.test_client()
    assert sign_in(client, "area-a").status_code == 302
    assert client.get("/ops").status_code == 200
    code, out, _ = cli("user", "set-area", "area-a", COUNTY, "--by", "chief")
    assert (code, out) == (0, f"user area-a now has the area {COUNTY}\nended 1 session(s)\n")
    assert client.get("/ops").status_code == 302
    code, out, _ = cli("user", "set-area", "area-a", "320300", "--by", "lead")
    assert (code, out) == (0, "user area-a now has the area 320300 (the whole region)\n"
                              "ended 0 session(s)\n")
    assert _area(ops_backend, "area-a") is None
    assert _events(ops_backend, "area-a") == [
        ("chief", "add", f"duty_officer {TOWNSHIPS[0]}"),
        ("chief", "set-area", f"{TOWNSHIPS[0]} -> {COUNTY}"),
        ("lead", "set-area", f"{COUNTY} -> 320300")]
    code, out, _ = cli("user", "list")
    line = next(x for x in out.splitlines() if x.startswith("area-a\t"))
    assert code == 0 and line.split("\t")[-1] == "area 320300"


@pytest.mark.parametrize("area, message", [
    ("320303999", "area '320303999' is no unit of the territory (county, township, village "
                  "or grid code)"),
    ("320111001", "area '320111001' is outside the region 320300"),
])
def test_an_area_outside_the_territory_is_one_line_and_nothing_changes(cli, ops_backend, area,
                                                                       message):
    cli("user", "add", "area-b", "--role", "duty_officer", "--password-stdin",
        stdin=PASSWORD + "\n")
    before = _events(ops_backend, "area-b")
    code, out, err = cli("user", "set-area", "area-b", area)
    assert (code, out, err) == (1, "", f"govwall user set-area: {message}\n")
    assert _area(ops_backend, "area-b") is None and _events(ops_backend, "area-b") == before
    code, _, err = cli("user", "add", "area-c", "--role", "duty_officer", "--area", area,
                       "--password-stdin", stdin=PASSWORD + "\n")
    assert (code, err) == (1, f"govwall user add: {message}\n")
