"""The house rules, executable: import direction, lint, and labels for every code."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from data_access import vocabulary as v
from layouts.i18n import _merged

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold():
    result = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_ruff_is_clean():
    result = subprocess.run([BIN / "ruff", "check", "."], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("level", v.LEVELS), ("stage", v.ALL_STAGES), ("event", v.TRANSITION_KINDS),
        ("priority", v.PRIORITIES), ("satisfaction", v.SATISFACTION),
        ("deadline", v.DEADLINE_STATES), ("resolved", v.RESOLUTION_LEVELS),
        ("source", v.SOURCES), ("major", v.MAJOR_CLASSES),
        ("subclass", tuple(s for subs in v.SUBCLASSES.values() for s in subs)),
        ("dispute", v.DISPUTE_TYPES), ("mediation", v.MEDIATION_TYPES),
        ("outcome", v.MEDIATION_OUTCOMES),
        ("supervision", tuple(str(n) for n in v.SUPERVISION_LEVELS)),
    ],
)
def test_every_code_has_a_chinese_and_an_english_label(kind, codes):
    table = _merged()
    missing = [c for c in codes if not (table.get(f"{kind}.{c}", {}).get("zh")
                                        and table.get(f"{kind}.{c}", {}).get("en"))]
    assert missing == []
