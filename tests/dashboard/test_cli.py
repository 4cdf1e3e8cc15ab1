"""The `govwall` command as an operator meets it: help for everything, clear errors."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import build_parser, main

GOVWALL = Path(sys.executable).parent / "govwall"
COMMANDS = [
    ["init-db"], ["seed"], ["simulate"], ["serve"], ["demo"], ["stats"], ["counters", "rebuild"],
    ["geo", "import"], ["user", "add"], ["kiosk-token", "create"], ["rollup", "rebuild"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: govwall {' '.join(command)}")
    # The description is more than the usage line: a sentence an operator can act on.
    assert len(out.splitlines()) > 3


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
