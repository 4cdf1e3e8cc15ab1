"""kill -9 of `govwall import` in the middle of a file, then a rerun: the database ends with
exactly the file's cases — none lost, none twice — and the rollup agrees."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from data_access.models import Case, CaseDaily, IntakeRecord
from tests.support.intake import make_source, prepare_territory
from tests.support.tiny_territory import COUNTY, GRIDS

ROWS, BATCH = 400, 40


def _env(backend, tmp_path) -> dict:
    return {**os.environ, "GOVWALL_DATABASE_URL": backend.database_url,
            "GOVWALL_REDIS_URL": backend.redis_url,
            "GOVWALL_REDIS_NAMESPACE": backend.namespace, "GOVWALL_REGION": COUNTY,
            "GOVWALL_VAR_DIR": str(tmp_path / "var")}


def test_kill_9_mid_import_then_rerun_ends_with_exactly_the_files_rows(fresh_backend,
                                                                         tmp_path):
    prepare_territory(fresh_backend.sessions)
    make_source(fresh_backend, "killme")
    path = tmp_path / "big.csv"
    # Relative to the real clock: the import process runs on it (nothing here depends on
    # the date, only on the rows being recent).
    start = datetime.now(UTC) - timedelta(hours=2)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source_case_id", "reported_at", "category", "title", "grid_code"])
        for i in range(ROWS):
            writer.writerow([f"K{i:04d}", (start + timedelta(seconds=i)).isoformat(), "0101",
                             f"问题{i}", GRIDS[i % len(GRIDS)]])
    command = [sys.executable, "-m", "dashboard.cli", "import", str(path), "--source",
               "killme", "--batch", str(BATCH), "--quiet"]
    env = _env(fresh_backend, tmp_path)
    progress = path.with_name(path.name + ".progress.json")
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and first.poll() is None:
        if progress.exists():
            try:
                done = json.loads(progress.read_text())["rows_done"]
            except (ValueError, KeyError):
                done = 0  # caught mid-write
            if done >= 2 * BATCH:
                break
        time.sleep(0.05)
    assert first.poll() is None, first.communicate()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    with fresh_backend.sessions() as s:
        after_kill = s.scalar(select(func.count()).select_from(Case))
    assert 2 * BATCH <= after_kill < ROWS
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed" in rerun.stdout
    with fresh_backend.sessions() as s:
        ids = s.scalars(select(Case.external_id)).all()
        assert sorted(ids) == [f"killme:K{i:04d}" for i in range(ROWS)]
        assert s.scalar(select(func.count()).select_from(IntakeRecord)) == ROWS
        assert s.scalar(select(func.sum(CaseDaily.cases))) == ROWS


def test_kill_9_mid_bulk_import_then_upgrade_brings_the_indexes_back(fresh_backend,
                                                                     tmp_path):
    """--bulk on (PostgreSQL: the secondary indexes dropped for the load): after a kill -9
    they are missing and listed; `govwall init-db` recreates them exactly; the rerun ends
    with exactly the file's cases. On SQLite --bulk is ignored and the same holds."""
    from sqlalchemy import text

    from data_access.migrate import upgrade

    postgres = fresh_backend.engine.dialect.name == "postgresql"
    prepare_territory(fresh_backend.sessions)
    make_source(fresh_backend, "killme")

    def indexes() -> set:
        with fresh_backend.engine.connect() as connection:
            return set(connection.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('cases', 'case_transitions', 'intake_records')")).all()) | set(
                connection.execute(text(
                    "SELECT conname, pg_get_constraintdef(oid) || convalidated::text "
                    "FROM pg_constraint WHERE conrelid::regclass::text IN "
                    "('cases', 'case_transitions', 'intake_records')")).all())

    before = indexes() if postgres else None
    path = tmp_path / "big.csv"
    start = datetime.now(UTC) - timedelta(hours=2)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source_case_id", "reported_at", "category", "title", "grid_code"])
        for i in range(ROWS):
            writer.writerow([f"K{i:04d}", (start + timedelta(seconds=i)).isoformat(), "0101",
                             f"问题{i}", GRIDS[i % len(GRIDS)]])
    command = [sys.executable, "-m", "dashboard.cli", "import", str(path), "--source",
               "killme", "--batch", str(BATCH), "--quiet", "--bulk", "on"]
    env = _env(fresh_backend, tmp_path)
    progress = path.with_name(path.name + ".progress.json")
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None:
        if progress.exists():
            try:
                if json.loads(progress.read_text())["rows_done"] >= 2 * BATCH:
                    break
            except (ValueError, KeyError):
                pass  # caught mid-write
        time.sleep(0.05)
    assert first.poll() is None, first.communicate()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    if postgres:
        with fresh_backend.engine.connect() as connection:
            listed = connection.execute(text(
                "SELECT count(*) FROM import_held_indexes")).scalar_one()
        assert listed == 20 and len(indexes()) == len(before) - 20
        init_db = subprocess.run([sys.executable, "-m", "dashboard.cli", "init-db"], env=env,
                                 capture_output=True, text=True, timeout=600)
        assert init_db.returncode == 0, init_db.stderr
        assert indexes() == before
    else:
        upgrade(fresh_backend.engine)
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed" in rerun.stdout
    assert ("bulk mode" in rerun.stdout) is postgres
    with fresh_backend.sessions() as s:
        ids = s.scalars(select(Case.external_id)).all()
        assert sorted(ids) == [f"killme:K{i:04d}" for i in range(ROWS)]
        assert s.scalar(select(func.count()).select_from(IntakeRecord)) == ROWS
        assert s.scalar(select(func.sum(CaseDaily.cases))) == ROWS
    if postgres:
        assert indexes() == before
