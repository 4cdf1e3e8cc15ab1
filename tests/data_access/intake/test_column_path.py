"""The file import's column path (data_access/intake/columns.py) leaves the database the row
path (Intake.create, files.RowImport) leaves: the same cases, transitions, intake records,
rejections, rollups and counters, and the same rejected-rows file, for one mixed file of
good rows, every kind of bad row, duplicates (in the file and already stored), unknown
codes and unplaced rows."""
from __future__ import annotations

import csv
from datetime import timedelta

from sqlalchemy import select

from data_access.intake.files import import_file
from data_access.models import Case, CaseTransition, IntakeRecord, IntakeRejection
from tests.support.intake import (
    INSIDE,
    NOW,
    ZONE,
    _tallies,
    assert_counts_match_a_rebuild,
    make_intake,
    make_source,
)
from tests.support.tiny_territory import GRIDS

FIELDS = ("source_case_id", "reported_at", "category", "channel", "urgency", "stage",
          "title", "description", "grid_code", "lat", "lon", "address", "reporter_name",
          "reporter_phone", "resolved_level")


def mixed_rows() -> list[dict]:
    local = NOW.astimezone(ZONE)

    def row(i: int, **changes) -> dict:
        base = {"source_case_id": f"M{i:03d}",
                "reported_at": (local - timedelta(minutes=3 * i + 1, seconds=i,
                                                  microseconds=7 * i)).isoformat(),
                "category": ("0101", "噪声", "0301")[i % 3], "channel": "12345",
                "title": f"第{i}号：路灯不亮", "description": "夜间出行不便。\t请尽快处理",
                "grid_code": GRIDS[i % len(GRIDS)]}
        base.update(changes)
        return base

    lat, lon = INSIDE[GRIDS[7]]
    out = [row(i) for i in range(30)]
    out += [
        row(30, grid_code="", lat=str(lat), lon=str(lon)),  # placed by its point
        row(31, grid_code="", address="云龙区第02社区东门"),  # by its address
        row(32, grid_code="", address="无名地点"),  # unplaced, flagged
        row(33, grid_code="320303999999999"),  # an unknown grid, nothing else: unplaced
        row(34, category="XYZ", urgency="???"),  # unknown codes: 未分类, counted
        row(35, stage="registered"),  # past "reported": the savepoint route
        row(36, title=""),  # refused by CaseIn: title required
        row(37, reported_at="昨天"),  # not a time
        row(38, reported_at=(local + timedelta(hours=2)).isoformat()),  # future
        row(39, reported_at=(local - timedelta(days=400)).isoformat()),  # too old
        row(40, source_case_id="bad id!"),  # pattern
        row(41, description="a\x00b"),  # NUL
        row(42, title="长" * 201),  # too long
        row(43, lat="34.2"),  # lat without lon
        row(44, grid_code="", lat="95", lon="117.3"),  # out of range
        row(45, grid_code="", lat="39.9", lon="116.4"),  # outside the territory (Beijing)
        row(46, grid_code="12345"),  # not 15 digits
        row(47, reporter_phone="call me"),
        row(48, resolved_level="galaxy"),
        row(49, reported_at=local.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")),
        row(50, source_case_id="M001"),  # a duplicate of row M001 in the file
        row(51, source_case_id="OLD-1"),  # a duplicate of a case already stored
        row(52, source_case_id="M036"),  # the id of a refused row: this one is taken
        row(53, lat="34.21", lon="117.27", grid_code=GRIDS[0]),  # grid and point: grid
    ]
    return out


def write_csv(path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def snapshot(backend, source) -> dict:
    """The source's cases, transitions, intake records and rejections, with what names the
    source (ids, the external id's prefix, the actor) taken out."""
    prefix = f"{source.name}:"
    with backend.sessions() as s:
        cases = s.execute(select(Case).join(IntakeRecord, IntakeRecord.case_id == Case.id)
                          .where(IntakeRecord.source_id == source.id)).scalars().all()
        sid_of = {c.id: c.external_id.removeprefix(prefix) for c in cases}
        columns = [c.name for c in Case.__table__.columns if c.name != "id"]
        case_rows = sorted(
            [tuple(sid_of[c.id] if n == "external_id" else getattr(c, n) for n in columns)
             for c in cases], key=repr)  # repr: None sorts too
        steps = sorted(
            [(sid_of[t.case_id], t.kind, t.from_stage, t.to_stage, t.level,
              t.actor.replace(source.name, "SRC"), t.note, t.at, t.addressee)
             for t in s.scalars(select(CaseTransition)
                                .where(CaseTransition.case_id.in_(list(sid_of))))], key=repr)
        records = sorted(
            [(r.source_case_id, sid_of[r.case_id], r.placement, r.unknown_codes,
              r.source_reported_at, r.received_at)
             for r in s.scalars(select(IntakeRecord)
                                .where(IntakeRecord.source_id == source.id))], key=repr)
        rejections = sorted(
            (r.at, r.channel, r.source_case_id or "", r.reason)
            for r in s.scalars(select(IntakeRejection)
                               .where(IntakeRejection.source_id == source.id)))
    return {"cases": case_rows, "transitions": steps, "records": records,
            "rejections": rejections}


def _minus(after: dict, before: dict) -> dict:
    """What an import added to the tallies (rows as tuples whose numbers are counts)."""
    out = {}
    for name in after:
        def key(row):
            return tuple(x for x in row if isinstance(x, str | type(None)) or
                         not isinstance(x, int | float) or isinstance(x, bool))

        def amounts(row):
            return [x for x in row if isinstance(x, int | float) and not isinstance(x, bool)]

        added: dict = {}
        for row in after[name]:
            added[key(row)] = amounts(row)
        for row in before[name]:
            old = amounts(row)
            added[key(row)] = [a - b for a, b in zip(added[key(row)], old, strict=True)]
        out[name] = sorted((k, tuple(v)) for k, v in added.items() if any(v))
    return out


def test_the_column_path_leaves_what_the_row_path_leaves(fresh_backend, tmp_path):
    intake = make_intake(fresh_backend, clock=lambda: NOW)  # one clock for both paths
    by_rows, _ = make_source(fresh_backend, "rowpath")
    by_columns, _ = make_source(fresh_backend, "colpath")
    first, last = NOW.astimezone(ZONE).date() - timedelta(days=3), \
        NOW.astimezone(ZONE).date() + timedelta(days=60)
    stored = tmp_path / "stored.csv"
    write_csv(stored, [{**mixed_rows()[0], "source_case_id": "OLD-1"}])
    for source in (by_rows, by_columns):  # the case both files repeat, stored before
        assert import_file(intake, source, stored, by_rows=True).accepted == 1
    path = tmp_path / "mixed.csv"
    write_csv(path, mixed_rows())
    before = _tallies(fresh_backend, first, last)
    row_result = import_file(intake, by_rows, path, batch_size=20, by_rows=True)
    row_rejected = path.with_name(path.name + ".rejected.csv").read_text(encoding="utf-8")
    middle = _tallies(fresh_backend, first, last)
    column_result = import_file(intake, by_columns, path, batch_size=20)
    column_rejected = path.with_name(path.name + ".rejected.csv").read_text(encoding="utf-8")
    after = _tallies(fresh_backend, first, last)

    counts = (row_result.rows, row_result.accepted, row_result.duplicate, row_result.rejected)
    assert counts == (54, 39, 2, 13)  # 10 rows CaseIn refuses, 3 the ingest refuses
    assert (column_result.rows, column_result.accepted, column_result.duplicate,
            column_result.rejected) == counts
    assert column_rejected == row_rejected
    assert row_rejected.count("\n") == 1 + 13
    row_db, column_db = snapshot(fresh_backend, by_rows), snapshot(fresh_backend, by_columns)
    for part in row_db:
        assert column_db[part] == row_db[part], part
    assert len(row_db["cases"]) == 40 and len(row_db["rejections"]) == 13
    placements = sorted(r[2] for r in row_db["records"])
    assert placements.count("point") == 1 and placements.count("address") == 1
    assert placements.count("unplaced") == 2
    assert [r[3] for r in row_db["records"] if r[0] == "M034"] == [
        "category=XYZ;urgency=???"]
    assert _minus(after, middle) == _minus(middle, before)
    # today's counters: each accepted case once as reported (the file's times are today's)
    assert sum(amounts[0] for key, amounts in _minus(middle, before)["county counters"]
               if key[1] == "reported") == 39
    assert_counts_match_a_rebuild(fresh_backend)
