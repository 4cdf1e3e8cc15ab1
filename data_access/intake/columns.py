"""The column-wise path of `govwall import`: a chunk of a file's rows checked, placed, mapped
and written as columns (pandas/numpy), not as one pydantic model and one dict per row.

The row path (Intake.create) costs Python per row — validation, placement, code mapping,
the deadline, COPY's adaptation — which held a 1 M-row import under 1,000 rows/s. Here:

- A row whose every cell passes a vectorised check that is at least as strict as CaseIn
  ("plain" rows: text cells, an ISO time, in-range numbers) is taken without pydantic.
  Any other row is validated by CaseIn itself, so a bad row's reasons are the row path's
  own, word for word, and a valid but unusual one (XLSX numbers, a time pydantic parses
  but the check does not) still gets in.
- Report time in range, grid-code placement, code mapping and the vocabulary checks run
  on columns; placement by point or address, and every refusal's message, use the row
  path's own functions (Placer.place, Intake._check_time) for the few rows that need them.
- Deadlines are computed once per distinct (limit, reported minute): the working-time
  function is linear within a minute (its breakpoints — opening, lunch, closing — fall on
  whole minutes), so two exact calls per minute give every row's exact deadline; a minute
  where that does not hold is computed row by row.
- Duplicates are decided as the row path decides them (known ids, then the first valid
  row of an id in the chunk); cases that arrive past "reported" take the row path's
  savepoint-per-case route in the same transaction; a racing sender's commit (the insert
  fails) sends the whole chunk through Intake.create.
- The cases, transitions and intake records are written by case_store.report_case_columns
  and bulk_load.load (COPY text built per column); counters after the commit, once.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from data_access import bulk_load, sla
from data_access import case_store as cs
from data_access import vocabulary as v
from data_access.intake.ingest import (
    ACCEPTED,
    DUPLICATE,
    FUTURE_TOLERANCE,
    MAX_AGE,
    Intake,
    Outcome,
    Refused,
    _case_ids,
)
from data_access.intake.placement import OutsideRegion, ensure_unplaced_unit, unplaced_code
from data_access.intake.schema import SOURCE_CASE_ID_LENGTH, CaseIn, error_reasons
from data_access.intake.sources import SourceRef
from data_access.models import Case, CaseTransition, IntakeRecord

FIELDS = tuple(CaseIn.model_fields)
_CODES = ("category", "channel", "urgency", "stage")  # the row path's order of unknown codes
_ONE_LINE = r"[^\x00-\x1f\x7f]"
_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# What a plain cell looks like (fullmatch); anything else goes to CaseIn.
_PLAIN = {
    "source_case_id": rf"[A-Za-z0-9._:\-/]{{1,{SOURCE_CASE_ID_LENGTH}}}",
    "reported_at": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2})?",
    "category": rf"{_ONE_LINE}{{1,64}}", "channel": rf"{_ONE_LINE}{{1,64}}",
    "urgency": rf"{_ONE_LINE}{{1,64}}", "stage": rf"{_ONE_LINE}{{1,64}}",
    "title": rf"{_ONE_LINE}{{1,200}}", "description": rf"{_TEXT}{{0,4000}}",
    "grid_code": r"[0-9]{15}", "lat": r"-?\d{1,3}(\.\d{1,15})?", "lon": r"-?\d{1,3}(\.\d{1,15})?",
    "address": rf"{_ONE_LINE}{{0,200}}", "reporter_name": rf"{_ONE_LINE}{{0,32}}",
    "reporter_phone": r"[0-9+\-() ]{3,20}",
    "resolved_level": "|".join(re.escape(x) for x in v.RESOLUTION_LEVELS),
}
_NUMBER_FIELDS = ("lat", "lon")
_REQUIRED = ("source_case_id", "reported_at", "category", "title")
# A new case's columns as report_case_columns takes them: values, then instants.
_CASE_VALUES = ("external_id", "source", "major_class", "subclass", "priority", "title",
                "description", "grid_code", "lon", "lat", "reporter_name", "reporter_phone",
                "address")
_CASE_TIMES = ("reported_at", "deadline_at")
_CASE_COLUMNS = (*_CASE_VALUES, *_CASE_TIMES)
# And what its intake record takes besides.
_INTAKE_VALUES = ("source_case_id", "placement", "unknown_codes")
# The trigram GIN indexes of cases (migration 0005; all three serve the /ops free-text
# search, an OR of ILIKEs). Their inserts go to a pending list (fastupdate) that the
# inserting backend merges into the index whenever it passes gin_pending_list_limit (4 MB):
# many times in every 20,000-row chunk. The import lets its chunks' pending entries pile
# up (IMPORT_GIN_PENDING_KB) and merges them itself every MERGE_EVERY chunks and at the
# end (merge_gin_pending): one sort of 100,000 rows' trigrams in maintenance_work_mem
# instead of one per 4 MB. Not left to autovacuum: it may be off (it is on the bench's
# server), and an API request inserting with the default limit would pay for the merge.
GIN_INDEXES = ("ix_cases_title_trgm", "ix_cases_description_trgm",
               "ix_cases_external_id_trgm")
IMPORT_GIN_PENDING_KB = 1024 * 1024
MERGE_EVERY = 5
MERGE_MEMORY = "256MB"


def gin_pending_list(session) -> None:
    """PostgreSQL: this transaction's trigram entries stay in the pending lists."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL gin_pending_list_limit = {IMPORT_GIN_PENDING_KB}"))


def merge_gin_pending(sessions) -> None:
    """PostgreSQL: merge the trigram indexes' pending lists into the indexes (each index
    that exists: the trigram ones need pg_trgm)."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        session.execute(text(f"SET LOCAL maintenance_work_mem = '{MERGE_MEMORY}'"))
        for name in list(session.scalars(text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = 'cases' AND indexname = ANY(:names)"),
                {"names": list(GIN_INDEXES)})):
            session.execute(text("SELECT gin_clean_pending_list(CAST(:name AS regclass))"),
                            {"name": name})


def analyze_written(sessions) -> None:
    """PostgreSQL: fresh statistics of intake_records, which the look-up of known ids reads
    (see ColumnImport.merge); ANALYZE samples a fixed number of rows, so this stays cheap
    as the table grows (cases' wide rows made it cost 0.5 s a time: left out)."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE intake_records"))


@dataclass
class Row:
    """One row of the file: its number, its cells (or why it could not be read)."""

    number: int
    values: dict[str, Any] | str


@dataclass
class Chunk:
    """A chunk of a file's rows: the readable rows' numbers and cells, and the rows that
    could not be read (their reason as values). A CSV's cells come as columns, one list per
    header position (no dict per row); other formats' rows as dicts."""

    numbers: list[int]
    unreadable: list[Row]
    header: list[str] | None = None
    cells: list[Sequence[str]] | None = None  # per header position (CSV)
    dicts: list[dict[str, Any]] | None = None  # per row (JSONL, XLSX)

    @classmethod
    def of_rows(cls, rows: Sequence[Row]) -> Chunk:
        readable = [r for r in rows if not isinstance(r.values, str)]
        return cls([r.number for r in readable], [r for r in rows if isinstance(r.values, str)],
                   dicts=[r.values for r in readable])  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.numbers) + len(self.unreadable)

    def values(self, i: int) -> dict[str, Any]:
        """Readable row i's cells by name (for a CSV as the csv module's rows zipped with
        the header: an empty cell is '')."""
        if self.dicts is not None:
            return self.dicts[i]
        return dict(zip(self.header, (c[i] for c in self.cells), strict=True))  # type: ignore

    def rows(self) -> list[Row]:
        """Every row, in file order."""
        return sorted([*(Row(n, self.values(i)) for i, n in enumerate(self.numbers)),
                       *self.unreadable], key=lambda r: r.number)

    def columns(self) -> dict[str, np.ndarray]:
        """The readable rows' cells as one object array per column name, None for an empty
        or missing cell (a name the header repeats: its last column, as a dict keeps)."""
        n = len(self.numbers)
        if self.dicts is None:
            out = {}
            for name, cells in zip(self.header, self.cells, strict=True):  # type: ignore
                values = np.array(cells, dtype=object) if n else np.empty(0, object)
                values[values == ""] = None
                out[name] = values
            return out
        if not n:
            return {}
        frame = pd.DataFrame.from_records(self.dicts)
        frame = frame.where(frame.ne(""), None)
        return {name: frame[name].astype(object).where(frame[name].notna(), None)
                .to_numpy(object) for name in frame.columns}


@dataclass
class Rejected:
    number: int
    source_case_id: str | None
    reasons: str
    values: str


@dataclass
class ChunkResult:
    accepted: int = 0
    duplicate: int = 0
    rejected: list[Rejected] | None = None


@dataclass
class Checked:
    """A chunk read, checked, placed, mapped and made into columns (ColumnImport.check):
    everything that needs no transaction, so that `govwall import` can do it for the next
    chunk in a thread while the server writes this one."""

    chunk: Chunk
    plain: np.ndarray
    items: dict[int, CaseIn]
    invalid: list[Rejected]
    valid: np.ndarray  # row indices (into readable), ascending
    now: datetime
    sids: np.ndarray  # per valid row: its source case id (object)
    refused: dict[int, str]  # row index -> the ingest's refusal (made before the
    # duplicates are known: a duplicate's is not used)
    stage: np.ndarray  # per row: the stage its new case enters (object; None if refused)
    # The valid rows that would be new cases at "reported" (ascending row indices), and
    # their columns; the write takes the rows that are not duplicates out of them.
    candidates: np.ndarray
    columns: dict[str, np.ndarray]
    # PostgreSQL: the candidates' cases, transitions and intake records made ready to COPY
    # with ids reserved ahead (used when every candidate turns out new, the usual case).
    ready: cs.PreparedCases | None = None
    records: bulk_load.Batch | None = None
    # Made here, not in the write's transaction (whose Python waits for the GIL that the
    # next chunk's check holds): per valid row its id's hash (ColumnImport._known), and
    # which rows take their id and which are later rows of one, as if no id were known.
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    claims: tuple[np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.empty(0, bool), np.empty(0, bool)))


_PLAIN_RE = {name: re.compile(pattern) for name, pattern in _PLAIN.items()}


def _claims(ids: np.ndarray, is_known: np.ndarray, is_refused: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """As the row path decides: a known id is a duplicate; else the first row of an id
    that is not refused takes it (`taken`), and any later row of it is a duplicate
    (`later`); a refused row before it is rejected."""
    ids = pd.Series(ids, dtype=object)
    claims = ids[~is_known & ~is_refused]
    first = claims[~claims.duplicated()]
    taken = np.zeros(len(ids), bool)
    taken[first.index.to_numpy()] = True
    first_at = ids.map(pd.Series(first.index, index=first.to_numpy())).to_numpy()
    later = ~is_known & ~taken & (pd.notna(first_at)) & \
        (np.nan_to_num(first_at.astype(float), nan=-1) < np.arange(len(ids)))
    return taken, later


def _refused_rows(checked: Checked) -> np.ndarray:
    """Per valid row: refused by the ingest's rules."""
    return np.isin(checked.valid, np.fromiter(checked.refused, np.int64,
                                              len(checked.refused)))


def _id_hashes(ids: np.ndarray) -> np.ndarray:
    """Source case ids as 64-bit hashes (ColumnImport._known)."""
    return pd.util.hash_array(np.asarray(ids, dtype=object))


def _plain_mask(cells: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Rows every cell of which is plain text a CaseIn would take as it is (or empty).
    Cells are object arrays, None for empty; each pattern is run by the re module on each
    present cell (pandas' string methods cost several times more per cell)."""
    ok = np.ones(n, bool)
    for name, values in cells.items():
        present = pd.notna(values)
        if name not in _PLAIN:  # a cell CaseIn does not know (JSONL): CaseIn says why
            ok &= ~present
            continue
        match = _PLAIN_RE[name].fullmatch
        where = np.flatnonzero(present & ok)
        if len(where):  # each distinct value checked once (codes, grids: a few)
            codes, distinct = pd.factorize(values[where])
            ok[where] = np.array([type(x) is str and match(x) is not None for x in distinct],
                                 bool)[codes]
    for name in _REQUIRED:
        ok &= pd.notna(cells[name]) if name in cells else False
    if "lat" in cells or "lon" in cells:
        lat = pd.notna(cells["lat"]) if "lat" in cells else np.zeros(n, bool)
        lon = pd.notna(cells["lon"]) if "lon" in cells else np.zeros(n, bool)
        ok &= lat == lon
        for name, limit in (("lat", 90), ("lon", 180)):
            if name in cells:
                number = pd.to_numeric(pd.Series(cells[name]).where(ok), errors="coerce")
                ok &= (number.isna() | number.abs().le(limit)).to_numpy()
    return ok


def _times(column: pd.Series, zone) -> pd.Series:
    """The plain report times as UTC: with an offset as given, without one in the zone."""
    text = column.astype(str)
    # A plain time ends with its offset or has none: [+-] six from the end says which.
    has_offset = pd.Series([type(t) is str and len(t) > 6 and t[-6] in "+-"
                            for t in text.tolist()],
                           index=column.index, dtype=bool)
    out = pd.Series(pd.NaT, index=column.index, dtype="datetime64[us, UTC]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True,
                                         errors="coerce").astype("datetime64[us, UTC]")
    if (~has_offset).any():
        local = pd.to_datetime(text[~has_offset], format="ISO8601", errors="coerce")
        out[~has_offset] = local.dt.tz_localize(zone, ambiguous="NaT",
                                                nonexistent="NaT").dt.tz_convert(UTC) \
            .astype("datetime64[us, UTC]")
    return out


class Deadlines:
    """sla.add_working_time per row, computed once per (limit, reported minute)."""

    def __init__(self, zone):
        self.zone = zone
        self._minutes: dict[tuple[sla.TimeLimit, datetime], tuple[datetime, timedelta]] = {}

    def minute(self, limit: sla.TimeLimit, minute: datetime) -> tuple[datetime, timedelta]:
        """The deadline of a case reported at the start of `minute` (a whole minute), and
        how far it moves over that minute: one minute (working time throughout), none
        (closed throughout) or anything else (a breakpoint inside: compute each row)."""
        known = self._minutes.get((limit, minute))
        if known is None:
            start = sla.add_working_time(minute, limit, zone=self.zone)
            end = sla.add_working_time(minute + timedelta(minutes=1), limit, zone=self.zone)
            known = (start, end - start)
            self._minutes[(limit, minute)] = known
        return known

    def of(self, limit: sla.TimeLimit, at: datetime) -> datetime:
        minute = at.replace(second=0, microsecond=0)
        start, slope = self.minute(limit, minute)
        if slope == timedelta(minutes=1):
            return start + (at - minute)
        if slope == timedelta(0):
            return start
        return sla.add_working_time(at, limit, zone=self.zone)  # a breakpoint inside


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(micros: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime (exact)."""
    return _EPOCH + timedelta(microseconds=micros)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


@dataclass
class _Tally:
    """A chunk's outcomes as the file import needs them: counts, and the rejected rows
    (row index, source case id, reasons) in row order."""

    accepted: int = 0
    duplicate: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, i: int, outcome: Outcome) -> None:
        if outcome.status == ACCEPTED:
            self.accepted += 1
        elif outcome.status == DUPLICATE:
            self.duplicate += 1
        else:
            self.rejected.append((i, outcome.source_case_id, "; ".join(outcome.reasons)))


def clean_values(values: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Spreadsheet cells as CaseIn wants them: empty cells are absent, a time without an
    offset is the center's local time, ids and codes that a spreadsheet made numbers are
    text again."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if not name or value is None or value == "":
            continue
        if name == "reported_at":
            when = value if isinstance(value, datetime) else None
            if when is None and isinstance(value, str):
                try:
                    when = datetime.fromisoformat(value.strip())
                except ValueError:
                    when = None
            if when is not None:
                value = (when if when.tzinfo else when.replace(tzinfo=zone)).isoformat()
        elif name not in _NUMBER_FIELDS and isinstance(value, int | float) and \
                not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        out[name] = value
    return out


class ColumnImport:
    """Chunks of one source's file rows, each one transaction."""

    def __init__(self, intake: Intake, source: SourceRef):
        self.intake, self.source = intake, source
        self.deadlines = Deadlines(intake.zone)
        self._limits: dict[tuple[str, str, str, str], sla.TimeLimit] = {}
        self._maps: dict[tuple[str | None, ...], tuple | str] = {}
        self._counting: ThreadPoolExecutor | None = None
        self._unmerged = 0  # chunks committed since the last merge_gin_pending
        self._written = 0  # chunks committed
        self._counted: list[Future] = []
        # A first load (see _known): the source had no intake records when the import
        # started, so a chunk's ids can only be known if this run committed them. None:
        # not asked yet; False: every chunk looks its ids up.
        self._first_load: bool | None = None
        self._committed = np.empty(0, np.uint64)  # this run's ids' hashes, sorted

    def _count(self, events: list) -> None:
        """A committed chunk's counted events, applied to Redis in a thread while the next
        chunk is written (finish() waits for them)."""
        self._behind(cs.apply_counts, self.intake.counters, events)

    def _behind(self, work, *args) -> None:
        """`work` done in the import's one helper thread, in order, while the next chunk is
        written (finish() waits for it and raises what it raised)."""
        if self._counting is None:
            self._counting = ThreadPoolExecutor(1, thread_name_prefix="import-counters")
        self._counted.append(self._counting.submit(work, *args))

    def merge(self) -> None:
        """After a committed chunk: the pending trigram entries merged every MERGE_EVERY
        chunks (see GIN_INDEXES); intake_records' statistics refreshed after chunks 1,
        2, 4, 8, … (PostgreSQL): with a first load's statistics (an empty table) the
        planner looked the chunk's known ids up by a hash join over all of intake_records,
        a time growing with every chunk (200 ms a chunk on average over a 1 M-row import,
        py-spy 2026-12-03), instead of by probes of its unique index. The ANALYZE runs in
        the helper thread (0.9 s of a 1 M-row import's critical path otherwise): it does not
        block the next chunk's COPY (a SHARE UPDATE EXCLUSIVE lock), and a look-up planned
        meanwhile is planned as it was before."""
        self._unmerged += 1
        self._written += 1
        if self._unmerged >= MERGE_EVERY:
            merge_gin_pending(self.intake.sessions)
            self._unmerged = 0
        if self._written & (self._written - 1) == 0:
            self._behind(analyze_written, self.intake.sessions)

    def finish(self) -> None:
        """The pending trigram entries merged; wait until every committed chunk's events
        are counted."""
        if self._unmerged:
            merge_gin_pending(self.intake.sessions)
            self._unmerged = 0
        if self._counting is not None:
            self._counting.shutdown(wait=True)
            counted, self._counting, self._counted = self._counted, None, []
            for future in counted:
                future.result()  # apply_counts logs a Redis outage; anything else is raised

    def _known(self, session, checked: Checked) -> dict[str, int]:
        """The chunk's ids the source has sent before (their case ids), as _case_ids.

        A first load (the source had no intake records at the start) looks up only the
        ids whose hash is among this run's committed ids' (a file repeating an id across
        chunks, a rerun's rows): exactly, so a hash collision costs a look-up, never a new
        case. The look-up of every chunk's 20,000 ids was 6 s of a 1 M-row import's
        critical path (py-spy 2026-12-03). An id a racing sender commits meanwhile makes
        the COPY fail on the unique index: write() takes the row path for that chunk and
        every later chunk is looked up whole."""
        source = self.source
        if self._first_load is None:
            self._first_load = session.scalar(
                select(IntakeRecord.id).where(IntakeRecord.source_id == source.id)
                .limit(1)) is None
        sids = checked.sids
        if self._first_load:
            committed, hashes = self._committed, checked.hashes
            if not len(committed):
                return {}
            where = np.minimum(np.searchsorted(committed, hashes), len(committed) - 1)
            sids = sids[committed[where] == hashes]
        return _case_ids(session, source, sorted(pd.unique(sids).tolist()))

    def _committed_ids(self, checked: Checked) -> None:
        """A committed chunk's ids (all of them: any that did not become a case only
        costs a look-up) into the first load's hash set, kept sorted."""
        if not self._first_load:
            return
        hashes = np.unique(checked.hashes)
        self._committed = np.insert(self._committed,
                                    np.searchsorted(self._committed, hashes), hashes)

    def run(self, rows: Sequence[Row]) -> ChunkResult:
        return self.write(self.check(rows))

    def check(self, rows: Sequence[Row] | Chunk) -> Checked:
        """Everything about a chunk that needs no transaction (thread-safe: the caches it
        fills are dicts of values that do not change)."""
        intake = self.intake
        now = intake.clock()
        chunk = rows if isinstance(rows, Chunk) else Chunk.of_rows(rows)
        n = len(chunk.numbers)
        cells = chunk.columns()
        plain = _plain_mask(cells, n)
        reported = _times(pd.Series(cells["reported_at"], dtype=object).where(
            pd.Series(plain)), intake.zone) if n and "reported_at" in cells \
            else pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]")
        plain &= reported.notna().to_numpy()  # a time pandas cannot read: CaseIn says why
        # Rows CaseIn validates (not plain): items for the row path's _prepare.
        items: dict[int, CaseIn] = {}
        invalid: list[Rejected] = [Rejected(r.number, None, r.values, "")  # type: ignore
                                   for r in chunk.unreadable]
        for i in np.flatnonzero(~plain).tolist():
            values = chunk.values(i)
            try:
                items[i] = CaseIn.model_validate(clean_values(values, intake.zone))
            except ValidationError as exc:
                sid = values.get("source_case_id")
                invalid.append(Rejected(
                    chunk.numbers[i], str(sid)[:64] if sid is not None else None,
                    "; ".join(error_reasons(exc.errors(include_url=False))),
                    json.dumps(values, ensure_ascii=False, default=str)[:2000]))
        valid_mask = plain.copy()
        valid_mask[list(items)] = True
        valid = np.flatnonzero(valid_mask)
        col = {name: cells[name] if name in cells else np.full(n, None, object)
               for name in FIELDS}
        sids = col["source_case_id"][valid]
        for k, i in enumerate(valid.tolist()):
            if not plain[i]:
                sids[k] = items[i].source_case_id
        out, refused = self._prepare_all(chunk, col, plain, items, reported, now)
        candidates = valid[~np.isin(valid, np.fromiter(refused, np.int64, len(refused)))]
        candidates = candidates[out["stage"][candidates] == "reported"]
        columns = {name: out[name][candidates] for name in (*_CASE_VALUES, *_INTAKE_VALUES)}
        for name in _CASE_TIMES:
            columns[name] = out[name][candidates].astype("datetime64[us]")
        checked = Checked(chunk, plain, items, invalid, valid, now, sids, refused,
                          out["stage"], candidates, columns, hashes=_id_hashes(sids))
        checked.claims = _claims(sids, np.zeros(len(sids), bool), _refused_rows(checked))
        if len(candidates):
            self._prepare_ahead(checked)
        return checked

    def _prepare_ahead(self, checked: Checked) -> None:
        """PostgreSQL: the candidates' rows made ready to COPY, their ids reserved now
        (nextval is outside transactions; ids of rows that turn out duplicates are left
        unused), so that the write's transaction only sends them."""
        with self.intake.sessions() as session:
            connection = session.connection()
            if connection.dialect.name != "postgresql":
                return
            m = len(checked.candidates)
            ids, step_ids = bulk_load.reserve_ids_together(  # type: ignore[misc]
                connection, [(Case.__table__, m), (CaseTransition.__table__, m)])
            session.commit()
        columns = checked.columns
        checked.ready = cs.prepare_case_columns(
            "postgresql", {name: columns[name] for name in _CASE_COLUMNS},
            f"src:{self.source.name}", ids, step_ids, self.intake.counters.zone)
        checked.records = bulk_load.prepare("postgresql", self._records(
            columns, ids, checked.now))

    def _records(self, columns: dict[str, np.ndarray], case_ids: Sequence[int],
                 now: datetime) -> dict[str, np.ndarray]:
        """The intake records of new cases (their columns, their case ids)."""
        n = len(case_ids)
        return {"source_id": np.full(n, self.source.id, np.int64),
                "source_case_id": columns["source_case_id"],
                "case_id": np.asarray(case_ids, np.int64),
                "placement": columns["placement"], "unknown_codes": columns["unknown_codes"],
                "source_reported_at": columns["reported_at"],
                "received_at": np.full(n, np.datetime64(now.astimezone(UTC)
                                                        .replace(tzinfo=None), "us"))}

    def write(self, checked: Checked) -> ChunkResult:
        """A checked chunk written in one transaction; its rejections recorded."""
        intake, source = self.intake, self.source
        invalid, now = list(checked.invalid), checked.now
        result = ChunkResult(rejected=[])
        try:
            tally = self._write(checked)
            self._committed_ids(checked)
            self.merge()
        except IntegrityError:  # a racing sender committed one of these ids: row path
            self._first_load = False  # and from now on every chunk is looked up
            tally = self._by_rows(checked)
        if tally.rejected:
            intake.record_rejections(source, "file", [(sid, reasons)
                                                      for _, sid, reasons in tally.rejected],
                                     now)
        if invalid:
            intake.record_rejections(source, "file", [(r.source_case_id, r.reasons)
                                                      for r in invalid])
        if intake.on_commit is not None and tally.accepted:
            intake.on_commit()
        result.accepted, result.duplicate = tally.accepted, tally.duplicate
        for i, sid, reasons in tally.rejected:
            invalid.append(Rejected(checked.chunk.numbers[i], sid, reasons,
                                    self._item(checked, i).model_dump_json()))
        result.rejected = sorted(invalid, key=lambda r: r.number)
        return result

    def _item(self, checked: Checked, i: int) -> CaseIn:
        """Row i as CaseIn (the row path's object, for its rejected-rows line)."""
        if i in checked.items:
            return checked.items[i]
        return CaseIn.model_validate(clean_values(checked.chunk.values(i), self.intake.zone))

    def _by_rows(self, checked: Checked) -> _Tally:
        valid = checked.valid.tolist()
        ordered = [self._item(checked, i) for i in valid]
        tally = _Tally()
        for i, outcome in zip(valid, self.intake._create_each(self.source, ordered,
                                                              self.intake.clock()),
                              strict=True):
            tally.add(i, outcome)
        return tally

    def _limit(self, major: str, sub: str, priority: str, channel: str) -> sla.TimeLimit:
        key = (major, sub, priority, channel)
        if key not in self._limits:
            self._limits[key] = sla.limit_for(*key)
        return self._limits[key]

    def _prepare_all(self, chunk: Chunk, col: dict[str, np.ndarray],
                     plain: np.ndarray, items: dict[int, CaseIn], reported: pd.Series,
                     now: datetime) -> tuple[dict[str, np.ndarray], dict[int, str]]:
        """Each valid row's new case (one array per column, over all the chunk's rows) or
        refusal (no database work: the placer holds the territory).

        The common row — plain, reported in range, a known grid code — is done on columns:
        its codes mapped once per distinct combination, its deadline once per (time limit,
        reported minute). Any other valid row goes through _prepare_plain or the row path's
        _prepare, one by one."""
        n = len(plain)
        low, high = now - MAX_AGE, now + FUTURE_TOLERANCE
        in_range = (reported.notna() & reported.ge(low) & reported.le(high)).to_numpy()
        with self.intake.sessions() as session:
            placer = self.intake._placer_for(session)
        grid = col["grid_code"]
        known_grid = pd.Series(grid, dtype=object).isin(placer.grids).to_numpy()
        fast = plain & in_range & known_grid
        out = {name: np.full(n, None, object) for name in (*_CASE_VALUES, *_INTAKE_VALUES,
                                                          "stage")}
        at_us = reported.dt.tz_localize(None).to_numpy().astype("datetime64[us]") \
            .astype(np.int64)
        deadline_us = np.zeros(n, np.int64)
        refused: dict[int, str] = {}
        rows = np.flatnonzero(fast)
        if len(rows):
            self._prepare_fast(rows, col, at_us, out, deadline_us, refused)
        reported_us = np.where(fast, at_us, 0)
        slow: dict[int, dict[str, Any]] = {}
        for i in np.flatnonzero(~fast & (plain | np.isin(np.arange(n), list(items)))).tolist():
            try:
                if plain[i] and not in_range[i]:
                    # The row path's message (and any parse it does differently).
                    item = CaseIn.model_validate(clean_values(chunk.values(i),
                                                              self.intake.zone))
                    items[i] = item
                    slow[i] = self._prepare_row(placer, item, now)
                elif plain[i]:
                    cell = {name: col[name][i] for name in FIELDS}
                    slow[i] = self._prepare_plain(placer, cell, _instant(int(at_us[i])))
                else:
                    slow[i] = self._prepare_row(placer, items[i], now)
            except Refused as exc:
                refused[i] = exc.reason
        if slow:
            which = np.fromiter(slow, np.int64, len(slow))
            for name in out:
                out[name][which] = [slow[i][name] for i in slow]
            for name, into in (("reported_at", reported_us), ("deadline_at", deadline_us)):
                into[which] = pd.to_datetime([slow[i][name] for i in slow], utc=True) \
                    .tz_localize(None).to_numpy().astype("datetime64[us]").astype(np.int64)
        out["reported_at"] = reported_us.astype("datetime64[us]")
        out["deadline_at"] = deadline_us.astype("datetime64[us]")
        return out, refused

    def _prepare_fast(self, rows: np.ndarray, col: dict[str, np.ndarray], at_us: np.ndarray,
                      out: dict[str, np.ndarray], deadline_us: np.ndarray,
                      refused: dict[int, str]) -> None:
        """_prepare_plain for plain rows in range with a known grid code, on columns."""
        source = self.source
        # The code combinations: each column factorized, the codes combined.
        combined = np.zeros(len(rows), np.int64)
        uniques = []
        for kind in _CODES:
            codes, values = pd.factorize(col[kind][rows], use_na_sentinel=True)
            combined = combined * (len(values) + 1) + (codes + 1)
            uniques.append([None, *values])
        distinct, first, combo = np.unique(combined, return_index=True, return_inverse=True)
        mapped = []
        for j in first.tolist():
            given = tuple(col[kind][rows[j]] for kind in _CODES)
            mapped.append(self._mapped(given))
        bad = np.array([isinstance(m, str) for m in mapped], bool)
        for k in np.flatnonzero(bad[combo]).tolist():
            refused[int(rows[k])] = mapped[combo[k]]  # type: ignore[assignment]
        good = ~bad[combo]
        rows, combo, at = rows[good], combo[good], at_us[rows[good]]
        if not len(rows):
            return
        pick = [m if not isinstance(m, str) else (None,) * 7 for m in mapped]
        for name, slot in (("major_class", 0), ("subclass", 1), ("source", 2),
                            ("priority", 3), ("stage", 4), ("unknown_codes", 5)):
            out[name][rows] = np.array([m[slot] for m in pick], dtype=object)[combo]
        for name in ("source_case_id", "title", "grid_code", "reporter_name",
                     "reporter_phone", "address"):
            out[name][rows] = col[name][rows]
        description = col["description"][rows]
        description[pd.isna(description)] = ""
        out["description"][rows] = description
        prefix = f"{source.name}:"
        out["external_id"][rows] = [prefix + sid for sid in col["source_case_id"][rows]]
        out["placement"][rows] = "grid"
        for name in ("lat", "lon"):
            values = col[name][rows]
            present = np.flatnonzero(pd.notna(values))
            if len(present):
                values[present] = [float(x) for x in values[present]]
                out[name][rows] = values
        # Deadlines once per (code combination, reported minute).
        minute = at - at % 60_000_000
        pairs, pair_first, pair_of = np.unique(np.stack([combo, minute]), axis=1,
                                              return_index=True, return_inverse=True)
        start = np.zeros(pairs.shape[1], np.int64)
        slope = np.zeros(pairs.shape[1], np.int64)  # 1: a minute a minute; 0: constant
        exact = np.zeros(pairs.shape[1], bool)  # a breakpoint inside: row by row
        for p in range(pairs.shape[1]):
            limit = pick[pairs[0, p]][6]
            begin, span = self.deadlines.minute(limit, _instant(int(pairs[1, p])))
            start[p] = _micros(begin)
            if span == timedelta(minutes=1):
                slope[p] = 1
            elif span != timedelta(0):
                exact[p] = True
        pair_of = pair_of.reshape(-1)
        deadline_us[rows] = start[pair_of] + slope[pair_of] * (at - minute)
        for k in np.flatnonzero(exact[pair_of]).tolist():
            limit = pick[combo[k]][6]
            deadline_us[rows[k]] = _micros(sla.add_working_time(
                _instant(int(at[k])), limit, zone=self.intake.zone))

    def _write(self, checked: Checked) -> _Tally:
        intake, source = self.intake, self.source
        valid, sids, now = checked.valid, checked.sids, checked.now
        tally = _Tally()
        with cs.case_change(intake.sessions, intake.counters, self._count) as session:
            gin_pending_list(session)
            known = self._known(session, checked)
            placer = intake._placer_for(session)
            if known:
                is_known = pd.Series(sids, dtype=object).isin(list(known)).to_numpy()
                taken, later = _claims(sids, is_known, _refused_rows(checked))
            else:
                is_known = np.zeros(len(sids), bool)
                taken, later = checked.claims  # made by check(), as if no id were known
            tally.duplicate = int(is_known.sum() + later.sum())
            for k in np.flatnonzero(~is_known & ~taken & ~later).tolist():
                i = int(valid[k])
                tally.rejected.append((i, str(sids[k]), checked.refused[i]))
            stage = checked.stage[valid]
            fresh = valid[taken & (stage == "reported")]
            stepped = valid[taken & (stage != "reported")].tolist()
            every = np.array_equal(fresh, checked.candidates)
            columns = checked.columns if every else {
                name: values[np.searchsorted(checked.candidates, fresh)]
                for name, values in checked.columns.items()}
            unplaced = columns["placement"] == "unplaced"
            for county in sorted({code[:6] for code in columns["grid_code"][unplaced]}):
                ensure_unplaced_unit(session, county)
            if checked.ready is not None and every:
                cs.write_prepared(session, checked.ready)
                bulk_load.write(session.connection(), IntakeRecord.__table__,
                                checked.records)  # type: ignore[arg-type]
            else:  # some are duplicates: these rows' ids and text made now
                case_ids = cs.report_case_columns(
                    session, {name: columns[name] for name in _CASE_COLUMNS},
                    f"src:{source.name}")
                bulk_load.load(session.connection(), IntakeRecord.__table__,
                               self._records(columns, case_ids, now))
            tally.accepted = len(fresh)
            for i in stepped:
                tally.add(i, intake._create_one(session, placer, source,
                                                self._item(checked, i), now))
        tally.rejected.sort()
        return tally

    def _prepare_plain(self, placer, cell: dict[str, Any], at: datetime) -> dict[str, Any]:
        """A plain row's new case: as Intake._prepare, from its cells."""
        source = self.source
        lat = float(cell["lat"]) if cell["lat"] is not None else None
        lon = float(cell["lon"]) if cell["lon"] is not None else None
        grid = cell["grid_code"]
        if grid is not None and grid in placer.grids:
            grid_code, how = grid, "grid"
        else:
            try:
                place = placer.place(grid, lat, lon, cell["address"], source.county_code)
            except OutsideRegion as exc:
                raise Refused(str(exc)) from exc
            grid_code, how = place.grid_code, place.how
        mapped = self._mapped(tuple(cell[kind] for kind in _CODES))
        if isinstance(mapped, str):
            raise Refused(mapped)
        major, sub, channel, priority, stage, unknown_codes, limit = mapped
        if how != "grid" and not (len(grid_code) == v.CODE_LENGTH["grid"]
                                  and grid_code.isdigit()):
            raise Refused(f"grid_code: {grid_code!r} is not allowed")
        deadline = self.deadlines.of(limit, at)
        new = {"source_case_id": cell["source_case_id"],
               "external_id": f"{source.name}:{cell['source_case_id']}", "source": channel,
               "major_class": major, "subclass": sub, "priority": priority,
               "title": cell["title"], "description": cell["description"] or "",
               "grid_code": grid_code, "lon": lon, "lat": lat,
               "reporter_name": cell["reporter_name"],
               "reporter_phone": cell["reporter_phone"], "address": cell["address"],
               "reported_at": at, "deadline_at": deadline, "placement": how,
               "unknown_codes": unknown_codes, "stage": stage}
        return new

    def _mapped(self, given: tuple[str | None, ...]) -> tuple | str:
        """The codes of a row mapped (as Intake._prepare maps them), checked against the
        vocabulary (CaseDraft.validate's rules) and their time limit — once per distinct
        combination; a refusal's message when the mapping gives a value govwall refuses."""
        if given in self._maps:
            return self._maps[given]
        source, codes = self.source, self.intake.codes
        maps = {kind: codes.lookup(source.name, kind, code)
                for kind, code in zip(_CODES, given, strict=True)}
        unknown = [m.unknown for m in maps.values() if m.unknown]
        major, sub = maps["category"].value  # type: ignore[misc]
        channel, priority = str(maps["channel"].value), str(maps["urgency"].value)
        try:
            cs.CaseDraft("x", channel, major, sub, priority, "", "", "0" * 15, None, None,
                         None, None, None).validate()
            out: tuple | str = (major, sub, channel, priority, str(maps["stage"].value),
                                ";".join(unknown)[:200],
                                self._limit(major, sub, priority, channel))
        except cs.ActionRefused as exc:
            out = exc.message
        self._maps[given] = out
        return out

    def _prepare_row(self, placer, item: CaseIn, now: datetime) -> dict[str, Any]:
        """A CaseIn's new case by the row path's own _prepare."""
        new = self.intake._prepare(placer, self.source, item, now)
        try:
            new.draft.validate()
        except cs.ActionRefused as exc:
            raise Refused(exc.message) from exc
        d = new.draft
        return {"source_case_id": new.source_case_id, "external_id": d.external_id,
                "source": d.source, "major_class": d.major_class, "subclass": d.subclass,
                "priority": d.priority, "title": d.title, "description": d.description,
                "grid_code": d.grid_code, "lon": d.lon, "lat": d.lat,
                "reporter_name": d.reporter_name, "reporter_phone": d.reporter_phone,
                "address": d.address, "reported_at": new.reported_at,
                "deadline_at": new.deadline_at, "placement": new.placement,
                "unknown_codes": new.unknown_codes, "stage": new.stage}


__all__ = ["ColumnImport", "Chunk", "Row", "ChunkResult", "Rejected", "unplaced_code"]
