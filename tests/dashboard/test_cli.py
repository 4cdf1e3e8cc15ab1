"""The `govwall` command as an operator meets it: help for everything, clear errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import build_parser, main

GOVWALL = Path(sys.executable).parent / "govwall"
COMMANDS = [
    ["init-db"], ["seed"], ["simulate"], ["serve"], ["demo"], ["stats"], ["counters", "rebuild"],
    ["geo", "import"], ["user", "add"], ["kiosk-token", "create"],
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
