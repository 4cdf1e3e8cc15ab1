"""The `govwall` command as an operator meets it: help for everything, clear errors."""
from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from dashboard.cli import build_parser, main
from data_access.accounts import create_kiosk_token, create_user
from data_access.counter_sync import events_for_day
from data_access.counters import CountedEvent
from data_access.warnings.detect import last_run_key
from tests.support.backends import Backend

GOVWALL = Path(sys.executable).parent / "govwall"


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the command tree, by its subcommand path (the root's is ())."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


COMMANDS = [path for path, _ in _parsers(build_parser())]


def _entries(help_text: str) -> dict[str, str]:
    """Each argument's entry in a --help text, joined into one line, by its first word
    ("--days", "username", "COMMAND")."""
    entries: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            current = line.split()[0].rstrip(",")
            entries[current] = line.strip()
        elif current is not None and line.startswith("   "):
            entries[current] += " " + line.strip()
        else:
            current = None
    return entries


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "govwall")
def test_every_option_of_every_command_is_described_with_its_default(command, capsys):
    parser = dict(_parsers(build_parser()))[command]
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(('govwall', *command))}")
    assert parser.description, "a sentence an operator can act on"
    entries = _entries(out)
    either = {a for g in parser._mutually_exclusive_groups if g.required for a in g._group_actions}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = action.option_strings[0] if action.option_strings else action.metavar or \
            action.dest
        assert action.help, f"{name} has no description"
        entry = " ".join(entries[name].split())
        assert " ".join(action.help.split()).split(" (")[0] in entry, (name, entry)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # each subcommand is listed with help
                assert choice.help and " ".join(choice.help.split()) in entry, choice.dest
        elif action.option_strings:
            if action in either:
                expected = "(required: this or"
            elif action.required:
                expected = "(required)"
            elif action.nargs == 0:
                expected = "(default: off)"
            elif action.default is None:
                expected = "(default: "  # no value: it says in words what happens
            else:
                expected = f"(default: {action.default})"
            assert expected in entry, (name, entry)


BAD_VALUES = [
    (["seed", "--days", "0"], "argument --days: '0' is not a whole number of at least 1"),
    (["demo", "--days", "-3"], "argument --days: '-3' is not a whole number of at least 1"),
    (["serve", "--workers", "two"], "argument --workers: 'two' is not a whole number of at "
     "least 1"),
    (["serve", "--port", "0"], "argument --port: '0' is not a port number (1-65535)"),
    (["demo", "--port", "65536"], "argument --port: '65536' is not a port number (1-65535)"),
]


@pytest.mark.parametrize(("arguments", "error"), BAD_VALUES,
                         ids=[" ".join(arguments) for arguments, _ in BAD_VALUES])
def test_a_bad_value_is_refused_with_its_reason(arguments, error, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(arguments)
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"govwall {arguments[0]}: error: {error}"


def test_a_bad_setting_is_one_line_and_exit_code_2(tmp_path):
    env = {"GOVWALL_REGION": "110000", "GOVWALL_VAR_DIR": str(tmp_path), "PATH": "/usr/bin"}
    result = subprocess.run([GOVWALL, "stats"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "govwall: GOVWALL_REGION: '110000' is not a Jiangsu province, city or county code "
        "(e.g. 320300 for Xuzhou)"
    ]


def test_geo_import_of_a_bad_file_fails_with_a_message_and_exit_code_1(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.setenv("GOVWALL_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GOVWALL_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert main(["init-db"]) == 0
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "Feature", "geometry": None}), encoding="utf-8")
    assert main(["geo", "import", str(bad), "--level", "grid"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("govwall geo import: ")
    assert "FeatureCollection" in err


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    """An initialised SQLite database the commands find through the environment."""
    monkeypatch.setenv("GOVWALL_VAR_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("GOVWALL_DATABASE_URL", url)
    assert main(["init-db"]) == 0
    return url


def test_user_add_reads_the_password_from_stdin_and_it_signs_in(cli_db, monkeypatch, capsys):
    from data_access.accounts import authenticate
    from data_access.db import make_engine, session_factory

    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password-1\n"))
    assert main(["user", "add", "zhang", "--role", "duty_officer", "--name", "张值班",
                 "--password-stdin"]) == 0
    assert "user zhang (duty_officer) created" in capsys.readouterr().out
    engine = make_engine(cli_db)
    with session_factory(engine)() as session:
        user = authenticate(session, "zhang", "a-long-password-1")
        assert user is not None and user.display_name == "张值班"
        assert authenticate(session, "zhang", "a-long-password-1x") is None
    engine.dispose()
    monkeypatch.setattr(sys, "stdin", io.StringIO("another-password-2\n"))
    assert main(["user", "add", "zhang", "--role", "leader", "--password-stdin"]) == 1
    assert capsys.readouterr().err.startswith("govwall user add: ")


def test_kiosk_tokens_are_created_listed_and_revoked(cli_db, capsys):
    assert main(["kiosk-token", "create", "--label", "大厅左屏"]) == 0
    out = capsys.readouterr().out
    token = out.splitlines()[1]
    assert f"/wall?kiosk={token}" in out
    assert main(["kiosk-token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "大厅左屏" in listing and "active" in listing and token not in listing
    assert main(["kiosk-token", "revoke", "--label", "大厅左屏"]) == 0
    assert "revoked 1 kiosk token(s)" in capsys.readouterr().out
    assert main(["kiosk-token", "list"]) == 0
    assert "\trevoked " in capsys.readouterr().out


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_busy_port_is_one_line_and_nothing_happens(command, tmp_path):
    env = {"PATH": os.environ["PATH"], "GOVWALL_VAR_DIR": str(tmp_path / "var"),
           "GOVWALL_REGION": "320302"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([GOVWALL, command, "--port", str(port)], env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""  # no "seeding", no "govwall is running"
    [line] = result.stderr.splitlines()
    assert line.startswith(f"govwall {command}: cannot listen on 127.0.0.1:{port}: "
                           "Address already in use (choose another with --port")
    assert not (tmp_path / "var").exists()  # no database, no embedded Redis


@pytest.fixture
def seed_env(fresh_backend, tmp_path, monkeypatch) -> Backend:
    """`govwall seed` pointed at a fresh backend, for a small county (320302)."""
    monkeypatch.setenv("GOVWALL_DATABASE_URL", fresh_backend.database_url)
    monkeypatch.setenv("GOVWALL_REDIS_URL", fresh_backend.redis_url)
    monkeypatch.setenv("GOVWALL_REDIS_NAMESPACE", fresh_backend.namespace)
    monkeypatch.setenv("GOVWALL_REGION", "320302")
    monkeypatch.setenv("GOVWALL_VAR_DIR", str(tmp_path / "var"))
    return fresh_backend


HISTORY = ("cases", "case_transitions", "patrol_checkins", "case_daily", "case_daily_built",
           "intake_records", "intake_rejections", "township_daily", "topic_daily",
           "township_daily_built", "warnings", "warning_cases", "warning_events",
           "case_signatures", "grid_daily", "township_monthly", "topic_monthly",
           "county_topic_monthly", "grid_monthly", "village_monthly")
KEPT = ("units", "grid_workers", "users", "kiosk_tokens")


def _rows(backend: Backend) -> dict[str, int]:
    with backend.engine.connect() as connection:
        return {table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in HISTORY + KEPT}


def _seed(backend: Backend, capsys, *options: str) -> dict:
    # The seed's bulk load wants the SQLite file to itself (its journal mode changes).
    backend.engine.dispose()
    assert main(["seed", *options]) == 0
    return json.loads(capsys.readouterr().out)


def test_seed_prints_its_summary_and_writes_more_only_when_told(seed_env, capsys):
    first = _seed(seed_env, capsys, "--days", "2")
    rows = _rows(seed_env)
    assert first["cases"] == rows["cases"] > 0
    assert first["transitions"] == rows["case_transitions"] > first["cases"]
    assert first["checkins"] == rows["patrol_checkins"] > 0
    assert first["hot_spots"] and all(  # HotSpot runs, as JSON
        set(spot) == {"township_code", "major_class", "subclass", "first_day", "last_day"}
        and date.fromisoformat(spot["first_day"]) <= date.fromisoformat(spot["last_day"])
        for spot in first["hot_spots"])

    seed_env.engine.dispose()
    assert main(["seed", "--days", "2"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "govwall seed: the database already has cases; give --add to write more history on "
        "top of them, or --replace to remove them first"]
    assert _rows(seed_env) == rows  # nothing written

    added = _seed(seed_env, capsys, "--days", "1", "--seed", "8", "--add")
    after = _rows(seed_env)
    assert after["cases"] == rows["cases"] + added["cases"]
    assert after["case_transitions"] == rows["case_transitions"] + added["transitions"]
    assert {t: after[t] for t in KEPT} == {t: rows[t] for t in KEPT}


def test_seed_replace_keeps_territory_and_accounts_and_forgets_old_counters(seed_env, capsys):
    _seed(seed_env, capsys, "--days", "2")
    with seed_env.sessions.begin() as session:
        create_user(session, "duty", "值班员", "duty_officer", "a-long-password-1",
                    datetime.now(UTC))
        create_kiosk_token(session, "大厅左屏", datetime.now(UTC))
    counters = seed_env.counters
    two_days_ago = counters.local_day(datetime.now(UTC)) - timedelta(days=2)
    counters.apply([CountedEvent(10**12, datetime.now(UTC) - timedelta(days=2), "320302",
                                 "320302001", "reported", "urban", "hotline")])
    assert counters.day_counts(two_days_ago)
    # The early-warning detectors' last run, of the history about to go.
    last_run = last_run_key(counters.namespace, "320302")
    counters.redis.set(last_run, '{"ran_at": 1}')
    before = _rows(seed_env)

    second = _seed(seed_env, capsys, "--days", "1", "--seed", "9", "--replace")
    after = _rows(seed_env)
    assert second["removed"] == {table: before[table] for table in HISTORY}
    assert (after["cases"], after["case_transitions"], after["patrol_checkins"]) == \
        (second["cases"], second["transitions"], second["checkins"])
    assert {t: after[t] for t in KEPT} == {t: before[t] for t in KEPT}
    assert counters.day_counts(two_days_ago) == []
    assert counters.redis.get(last_run) is None  # the next serve/demo detects at once
    today = counters.local_day(datetime.now(UTC))
    with seed_env.sessions() as session:  # today's counters are the new history's
        assert counters.redis.scard(counters.applied_key(today)) == \
            len(events_for_day(session, today, counters.zone))


def test_init_db_builds_the_territory_once_so_an_import_can_place_cases(tmp_path, monkeypatch,
                                                                       capsys):
    """A center's first command: without units no case could be placed (an import once
    reported every row a duplicate and stored none)."""
    from sqlalchemy import func, select

    from data_access.db import make_engine, session_factory
    from data_access.models import Unit

    monkeypatch.setenv("GOVWALL_VAR_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("GOVWALL_DATABASE_URL", url)
    monkeypatch.setenv("GOVWALL_REGION", "320303")
    assert main(["init-db"]) == 0
    assert "territory of 320303 in place" in capsys.readouterr().out
    engine = make_engine(url)
    count = select(Unit.level, func.count()).group_by(Unit.level)
    with session_factory(engine)() as session:
        first = dict(session.execute(count).all())
    assert first["county"] == 1 and first["township"] > 5 and first["grid"] > 100
    assert main(["init-db"]) == 0  # a second run leaves it as it is
    with session_factory(engine)() as session:
        assert dict(session.execute(count).all()) == first
    engine.dispose()
