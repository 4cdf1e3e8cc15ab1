"""`govwall import FILE`: CSV (UTF-8 or GBK), XLSX or JSONL, one case per row, through the
column-wise path (data_access/intake/columns.py) in resumable batches.

Resumable batches, not all-or-nothing per file: a file of a million rows in one transaction
would hold its locks for minutes and lose everything to one failure at the end. Each batch
of BATCH rows is one transaction (the column path, which uses the ingest's rules); after
its commit the number of rows done is written to FILE.progress.json, so a rerun after a
crash starts at the first batch not committed. Even without that file nothing doubles: a
case is unique by (source, source case id), so a row sent again is a duplicate.

Columns are CaseIn's field names (source_case_id, reported_at, category, title, …). A time
without a UTC offset is taken in the center's zone (files from Chinese systems rarely carry
one). Rows that fail go to FILE.rejected.csv with their row number and reasons.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from data_access.intake import bulk_mode
from data_access.intake.columns import (
    Chunk,
    ChunkResult,
    ColumnImport,
    Rejected,
    Row,
    clean_values,
)
from data_access.intake.ingest import ACCEPTED, DUPLICATE, Intake
from data_access.intake.schema import CaseIn, error_reasons
from data_access.intake.sources import SourceRef

# Rows per transaction: the column path's fixed costs (the lookup of known ids, the COPY
# statements, the commit, one counters call) spread over 20,000 rows.
BATCH = 20_000
FORMATS = ("csv", "xlsx", "jsonl")
_FIELDS = tuple(CaseIn.model_fields)


class ImportFileError(ValueError):
    """The file cannot be read at all (format, encoding, header)."""


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read from it (the progress bar's position)."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.done = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.done += n or 0
        return n or 0


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the first 64 KB decode as UTF-8, else gb18030 (GBK's superset)."""
    head = path.open("rb").read(65536)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    raise ImportFileError(f"{path.name}: say --format ({', '.join(FORMATS)})")


def _check_header(names: list[str]) -> None:
    unknown = [n for n in names if n and n not in _FIELDS]
    if unknown or "source_case_id" not in names:
        raise ImportFileError(
            f"the header must name CaseIn's fields ({', '.join(_FIELDS)}); "
            f"unknown: {', '.join(unknown) or '-'}"
            + ("" if "source_case_id" in names else "; source_case_id is missing"))


def _csv_chunks(path: Path, encoding: str | None, counter: _Counting, batch_size: int,
                done_rows: int) -> Iterator[tuple[Chunk, int, int]]:
    """A CSV's chunks of `batch_size` rows, each with the rows of the file seen up to its
    end and how many of them it skipped (the first `done_rows`, committed by an earlier
    run). The csv module's C reader gives each row as a list; a chunk keeps them as
    columns, no dict per row. Blank rows are skipped (their numbers kept: row numbers count
    the file's CSV records, the header as 1). A row with more or fewer cells than the
    header cannot be read: its cells cannot be matched to the columns."""
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 20),
                            encoding=encoding or detect_encoding(path), newline="")
    reader = csv.reader(text)
    header = [h.strip() for h in next(reader, [])]
    _check_header(header)
    width = len(header)
    numbers: list[int] = []
    rows: list[list[str]] = []
    unreadable: list[Row] = []
    seen = skipped = 0
    for number, cells in enumerate(reader, start=2):
        if not any(cells):
            continue
        seen += 1
        if seen <= done_rows:
            skipped += 1
            continue
        if len(cells) == width:
            numbers.append(number)
            rows.append(cells)
        else:
            unreadable.append(Row(number, f"{len(cells)} cells where the header has {width}: "
                                          "a row must have one cell per column"))
        if len(numbers) + len(unreadable) >= batch_size:
            yield Chunk(numbers, unreadable, header, _transposed(rows, width)), seen, skipped
            numbers, rows, unreadable, skipped = [], [], [], 0
    yield Chunk(numbers, unreadable, header, _transposed(rows, width)), seen, skipped


def _transposed(rows: list[list[str]], width: int) -> list[tuple[str, ...]]:
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def read_rows(path: Path, fmt: str, counter: _Counting
              ) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """JSONL's or XLSX's (row number, values) for each data row; values is a string when
    the row cannot be read at all (bad JSON). Row numbers count the header as 1 (XLSX)."""
    if fmt == "jsonl":
        for number, line in enumerate(io.BufferedReader(counter, 1 << 20), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                yield number, f"not a JSON object: {exc}"[:300]
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"
    else:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
            _check_header(header)
            for number, cells in enumerate(rows, start=2):
                if all(c is None or c == "" for c in cells):
                    continue
                counter.done = number  # XLSX progress counts rows
                yield number, dict(zip(header, cells, strict=False))
        finally:
            book.close()


def read_chunks(path: Path, fmt: str, encoding: str | None, counter: _Counting,
                batch_size: int, done_rows: int) -> Iterator[tuple[Chunk, int, int]]:
    """The file's chunks (as _csv_chunks: chunk, rows seen, rows skipped)."""
    if fmt == "csv":
        yield from _csv_chunks(path, encoding, counter, batch_size, done_rows)
        return
    chunk: list[Row] = []
    seen = skipped = 0
    for number, values in read_rows(path, fmt, counter):
        seen += 1
        if seen <= done_rows:
            skipped += 1
            continue
        chunk.append(Row(number, values))
        if len(chunk) >= batch_size:
            yield Chunk.of_rows(chunk), seen, skipped
            chunk, skipped = [], 0
    yield Chunk.of_rows(chunk), seen, skipped


class RowImport:
    """The row path for a file's chunk (what `govwall import` did before the column path:
    each row a CaseIn, the batch through Intake.create). Kept as the reference the column
    path is tested against (tests/data_access/intake/test_column_path.py); same interface
    as ColumnImport."""

    def __init__(self, intake: Intake, source: SourceRef):
        self.intake, self.source = intake, source

    def check(self, chunk: Chunk) -> list[Row]:
        return chunk.rows()

    def finish(self) -> None:
        pass

    def run(self, rows: list[Row]) -> ChunkResult:
        return self.write(rows)

    def write(self, rows: list[Row]) -> ChunkResult:
        result = ChunkResult(rejected=[])
        pending: list[tuple[int, CaseIn]] = []
        invalid: list[Rejected] = []
        for row in rows:
            if isinstance(row.values, str):
                invalid.append(Rejected(row.number, None, row.values, ""))
                continue
            try:
                pending.append((row.number, CaseIn.model_validate(
                    clean_values(row.values, self.intake.zone))))
            except ValidationError as exc:
                sid = row.values.get("source_case_id")
                invalid.append(Rejected(
                    row.number, str(sid)[:64] if sid is not None else None,
                    "; ".join(error_reasons(exc.errors(include_url=False))),
                    json.dumps(row.values, ensure_ascii=False, default=str)[:2000]))
        outcomes = self.intake.create(self.source, [c for _, c in pending], "file") \
            if pending else []
        if invalid:
            self.intake.record_rejections(self.source, "file",
                                          [(r.source_case_id, r.reasons) for r in invalid])
        for (number, item), outcome in zip(pending, outcomes, strict=True):
            if outcome.status == ACCEPTED:
                result.accepted += 1
            elif outcome.status == DUPLICATE:
                result.duplicate += 1
            else:
                invalid.append(Rejected(number, item.source_case_id,
                                        "; ".join(outcome.reasons), item.model_dump_json()))
        result.rejected = sorted(invalid, key=lambda r: r.number)
        return result


@dataclass
class _Part:
    """A chunk read and checked ahead: its rows, what check() made of them, the rows of the
    file seen up to its end (the progress file's count), the bytes read by then."""

    chunk: Chunk
    checked: Any
    seen: int
    position: int
    skipped: int


def _read_ahead(columns: ColumnImport | RowImport, chunks: Iterator[tuple[Chunk, int, int]],
                counter: _Counting) -> Iterator[_Part]:
    """The file's chunks, each read and checked (columns.check: no transaction) in a thread
    one chunk ahead of the caller, which writes the one before meanwhile: the two cores are
    the import's Python and the server's COPY (psycopg lets go of the GIL while it waits).
    An error of the reader (a bad header, a decoding error) is raised here, in order."""
    parts: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                parts.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk, seen, skipped in chunks:
                if not put(_Part(chunk, columns.check(chunk) if len(chunk) else None, seen,
                                 counter.done, skipped)):
                    return
            put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            put(exc)

    reader = threading.Thread(target=read, name="import-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = parts.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


@dataclass
class ImportResult:
    rows: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    skipped: int = 0  # rows of batches a previous run committed (resumed)
    batches: int = 0
    bulk: bool = False  # the secondary indexes were dropped for the load (bulk_mode)
    rejected_file: Path | None = None


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    return f"{path.stat().st_size}:{digest.hexdigest()}"


def estimated_rows(path: Path, fmt: str) -> int:
    """A CSV's or JSONL's rows, from the lines of its first MB (XLSX: 0, never bulk by
    itself)."""
    if fmt == "xlsx":
        return 0
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    lines = head.count(b"\n")
    return int(path.stat().st_size * lines / len(head)) if lines else 1


def import_file(intake: Intake, source: SourceRef, path: Path, *, fmt: str | None = None,
                encoding: str | None = None, batch_size: int = BATCH, fresh: bool = False,
                progress: Callable[[int, ImportResult], None] | None = None,
                by_rows: bool = False, bulk: bool | None = None) -> ImportResult:
    """Import `path` for `source`; resumes after the last committed batch unless `fresh`.
    `by_rows`: through the row path (RowImport) instead of the column path. `bulk`: the
    tables' secondary indexes dropped for the load and rebuilt after it (bulk_mode;
    PostgreSQL only); None: when the file is big and at least as big as the table."""
    fmt = fmt or format_of(path)
    with intake.sessions() as session:
        engine = session.get_bind()
    if bulk is None:
        bulk = bulk_mode.worth_it(engine, estimated_rows(path, fmt))  # type: ignore[arg-type]
    bulk = bulk and bulk_mode.available(engine)  # type: ignore[arg-type]
    progress_file = path.with_name(path.name + ".progress.json")
    rejected_path = path.with_name(path.name + ".rejected.csv")
    fingerprint = _fingerprint(path)
    done_rows = 0
    if not fresh and progress_file.exists():
        kept = json.loads(progress_file.read_text())
        if kept.get("file") == fingerprint and kept.get("source") == source.name:
            done_rows = int(kept["rows_done"])
    result = ImportResult(rejected_file=rejected_path)
    resuming = done_rows > 0
    with path.open("rb") as raw, rejected_path.open("a" if resuming else "w", newline="",
                                                    encoding="utf-8") as rejected_out:
        writer = csv.writer(rejected_out)
        if not resuming:
            writer.writerow(["row", "source_case_id", "reasons", "values"])
        counter = _Counting(raw)  # type: ignore[arg-type]
        columns = (RowImport if by_rows else ColumnImport)(intake, source)
        ahead = contextlib.closing(_read_ahead(
            columns, read_chunks(path, fmt, encoding, counter, batch_size, done_rows), counter))
        with contextlib.ExitStack() as stack:
            if bulk:  # entered first: the indexes come back after finish()
                result.bulk = stack.enter_context(bulk_mode.indexes_held(engine))  # type: ignore[arg-type]
            stack.callback(columns.finish)  # the committed chunks counted, even on an error
            parts = stack.enter_context(ahead)
            for part in parts:
                result.skipped += part.skipped
                result.rows += len(part.chunk)
                if not part.chunk:
                    continue
                done = columns.write(part.checked)
                result.accepted += done.accepted
                result.duplicate += done.duplicate
                for row in done.rejected or []:
                    writer.writerow([row.number, row.source_case_id, row.reasons, row.values])
                    result.rejected += 1
                rejected_out.flush()
                progress_file.write_text(json.dumps({"file": fingerprint, "source": source.name,
                                                     "rows_done": part.seen}))
                result.batches += 1
                if progress:
                    progress(part.position, result)
    progress_file.unlink(missing_ok=True)
    return result
