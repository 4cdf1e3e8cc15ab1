"""`govwall seed --inject` and `govwall warnings detect` as an operator runs them: the
injected repeat caller is found, stored and printed; a second process waits its turn."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from dashboard.cli import main
from tests.dashboard.test_cli import seed_env  # noqa: F401  (the fixture)


def test_seed_inject_then_detect_finds_the_injected_caller(seed_env, capsys):  # noqa: F811
    seed_env.engine.dispose()
    assert main(["seed", "--days", "2", "--inject", "caller"]) == 0
    out = capsys.readouterr().out.splitlines()
    truth = json.loads(out[0])["injected"]["caller"]
    assert len(truth["cases"]) == 3
    assert main(["warnings", "detect"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["callers"]["found"] >= 1 and summary["saved"]["new"] >= 1
    with seed_env.engine.connect() as conn:
        linked = conn.execute(text(
            "SELECT c.case_id FROM warnings w JOIN warning_cases c ON c.warning_id = w.id "
            "WHERE w.kind = 'repeat_caller' ORDER BY c.case_id")).scalars().all()
    assert linked == sorted(truth["cases"])
    lock = f"{seed_env.namespace}:v1:warnings:320302:lock"
    seed_env.redis.set(lock, "another process", ex=60)
    assert main(["warnings", "detect"]) == 1
    assert "another process is detecting" in capsys.readouterr().err
    seed_env.redis.delete(lock)


def test_inject_refuses_an_unknown_kind(capsys):
    with pytest.raises(SystemExit) as done:
        main(["simulate", "--inject", "surge,earthquake"])
    assert done.value.code == 2
    assert "give some of surge,cluster,caller" in capsys.readouterr().err


def test_an_injected_surge_is_many_problems_not_one_repeat_complaint(seed_env, capsys):  # noqa: F811
    """A surge is more reports of a category in a township, each about its own spot: none of
    its reports may be taken for a repeat complaint (they were once one text copied 25 times
    with a number, and the demo showed them as four clusters)."""
    seed_env.engine.dispose()
    assert main(["seed", "--days", "2", "--inject", "surge"]) == 0
    truth = json.loads(capsys.readouterr().out.splitlines()[0])["injected"]["surge"]
    assert len(truth["cases"]) == 25
    assert main(["warnings", "detect"]) == 0
    capsys.readouterr()
    with seed_env.engine.connect() as conn:
        texts = conn.execute(text(
            "SELECT description FROM cases WHERE id IN ({})".format(
                ",".join(str(i) for i in truth["cases"])))).scalars().all()
        clustered = conn.execute(text(
            "SELECT c.case_id FROM warnings w JOIN warning_cases c ON c.warning_id = w.id "
            "WHERE w.kind = 'cluster'")).scalars().all()
    assert len(set(texts)) == 25
    assert set(clustered) & set(truth["cases"]) == set()
    # Each has the time limit of its kind (the queue's countdown showed "—" without one).
    with seed_env.engine.connect() as conn:
        spans = conn.execute(text(
            "SELECT reported_at, deadline_at FROM cases WHERE id IN ({})".format(
                ",".join(str(i) for i in truth["cases"])))).all()
    assert len(spans) == 25 and all(d is not None and d > r for r, d in spans)
