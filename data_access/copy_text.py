"""PostgreSQL COPY text format built from column arrays with numpy, without a per-row loop.

Each column becomes a byte matrix, one line per row, each value padded with NUL bytes to the
column's widest one. The matrices are laid side by side with tab and newline separators and
the NULs are dropped: what is left is the COPY text. PostgreSQL text cannot hold NUL, so the
padding never collides with data. Strings are encoded once per distinct value (factorized),
numbers and timestamps are turned into digits arithmetically.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

NULL = b"\\N"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_ZERO = ord("0")
_US_PER_S = 1_000_000
FLOAT_DECIMALS = 7  # 1e-7 degree is about a centimetre: more than any lon/lat here needs


def _escape(value: object) -> bytes:
    text = str(value)
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text.encode()


def _from_values(encoded: list[bytes], codes: np.ndarray) -> np.ndarray:
    """The matrix of encoded[code] per row (code -1 is NULL)."""
    table = np.array([*encoded, NULL], dtype=bytes)
    width = table.dtype.itemsize
    return table.view(np.uint8).reshape(len(table), width)[codes]


def _table(count: int, width: int) -> np.ndarray:
    """Row k: k as `width` ASCII digits, zero-padded (arithmetically: formatting each
    number in Python cost `govwall import`'s start 30 ms)."""
    k = np.arange(count, dtype=np.int64)[:, None]
    return (k // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64) % 10 + _ZERO).astype(
        np.uint8)


# Digits come from a table of 4-digit groups: one division per 4 digits instead of per digit.
_GROUPS = _table(10_000, 4)


def _digits(values: np.ndarray, width: int, keep_zeros: bool = False) -> np.ndarray:
    """Non-negative integers as `width` decimal digits; leading zeros dropped (NUL) unless
    `keep_zeros` (fractions)."""
    groups = -(-width // 4)
    out = np.empty((len(values), groups * 4), np.uint8)
    rest = values
    for g in range(groups - 1, -1, -1):
        out[:, g * 4:(g + 1) * 4] = _GROUPS[rest % 10_000]
        rest = rest // 10_000
    out = out[:, groups * 4 - width:]
    if not keep_zeros:
        powers = 10 ** np.arange(width - 1, 0, -1, dtype=np.int64)
        out[:, :-1][values[:, None] < powers] = 0
    return out


def _integers(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.int64)
    if len(values) and values.min() < 0:
        return _strings(values.astype(object))
    width = len(str(int(values.max()))) if len(values) else 1
    return _digits(values, width)


def _floats(values: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    scaled = np.rint(np.abs(np.where(missing, 0.0, values)) * 10**FLOAT_DECIMALS).astype(np.int64)
    whole = scaled // 10**FLOAT_DECIMALS
    parts = [
        np.where(values < 0, ord("-"), 0).astype(np.uint8)[:, None],
        _integers(whole),
        np.full((len(values), 1), ord("."), np.uint8),
        _digits(scaled % 10**FLOAT_DECIMALS, FLOAT_DECIMALS, keep_zeros=True),
    ]
    return _nullable(np.hstack(parts), missing)


# 'HH:MM:SS' for every second of a day, built once (from the tables of two digits: 86,400
# f-strings were 80 ms of `govwall import`'s start).
_SECOND = np.arange(86_400)
_SIXTY = _table(60, 2)
_COLON = np.full((86_400, 1), ord(":"), np.uint8)
_CLOCK = np.hstack([_SIXTY[_SECOND // 3600], _COLON, _SIXTY[_SECOND // 60 % 60], _COLON,
                    _SIXTY[_SECOND % 60]])


def _timestamps(values: np.ndarray) -> np.ndarray:
    """UTC datetime64 as 'YYYY-MM-DD HH:MM:SS.ffffff+00'; dates and clock times from tables
    (a chunk spans a few hundred days)."""
    values = values.astype("datetime64[us]")
    missing = np.isnat(values)
    safe = np.where(missing, values[~missing][0] if (~missing).any() else
                    np.datetime64(0, "us"), values)
    days = safe.astype("datetime64[D]")
    first, last = days.min(), days.max()
    calendar = np.array([f"{d} " for d in np.arange(first, last + 1)], dtype=bytes)
    us = (safe - days).astype(np.int64)
    n = len(values)
    parts = [
        calendar.view(np.uint8).reshape(len(calendar), 11)[(days - first).astype(np.int64)],
        _CLOCK[us // _US_PER_S],
        np.full((n, 1), ord("."), np.uint8),
        _digits(us % _US_PER_S, 6, keep_zeros=True),
        np.frombuffer(b"+00", np.uint8)[None, :].repeat(n, axis=0),
    ]
    return _nullable(np.hstack(parts), missing)


def _nullable(matrix: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if missing.any():
        matrix[missing] = 0
        matrix[missing, :len(NULL)] = np.frombuffer(NULL, np.uint8)
    return matrix


def _escaped(values) -> list[bytes]:
    """_escape of each value, done on all of them joined by NUL (which COPY text cannot
    hold, so no value has one): the escapes and the UTF-8 encoding run once over the
    joined text in C instead of five calls per value."""
    if not len(values):
        return []
    joined = "\x00".join(map(str, values))
    if joined.count("\x00") != len(values) - 1:  # a value's own NUL (COPY refuses it)
        return [_escape(v) for v in values]
    for raw, escaped in _ESCAPES:
        if raw in joined:
            joined = joined.replace(raw, escaped)
    return joined.encode().split(b"\x00")


def _strings(values: np.ndarray) -> np.ndarray:
    """Any other column (text, nullable integers as objects): each distinct value encoded
    once, None/NaN as NULL."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return _from_values(_escaped(uniques), codes)


def column_matrix(values: np.ndarray) -> np.ndarray:
    """One column as a (rows, width) uint8 matrix of COPY text, NUL-padded."""
    kind = values.dtype.kind
    if kind == "M":
        return _timestamps(values)
    if kind in "iu":
        return _integers(values)
    if kind == "f":
        return _floats(values)
    if kind == "b":
        return _strings(np.where(values, "t", "f").astype(object))
    return _strings(values)


def copy_text(columns: list[np.ndarray]) -> bytes:
    """The rows given as equally long column arrays, in COPY text format."""
    n = len(columns[0])
    pieces = []
    for i, values in enumerate(columns):
        pieces.append(column_matrix(np.asarray(values)))
        end = "\n" if i == len(columns) - 1 else "\t"
        pieces.append(np.full((n, 1), ord(end), np.uint8))
    matrix = np.hstack(pieces)
    return matrix[matrix != 0].tobytes()
