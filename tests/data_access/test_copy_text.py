"""COPY text built with numpy: the exact bytes PostgreSQL reads, NULLs and escapes included."""
from __future__ import annotations

import numpy as np

from data_access.copy_text import copy_text


def test_rows_in_copy_text_format():
    columns = [
        np.array([1, 22, 1_000_000_000_000], dtype=np.int64),
        np.array(["a\tb\\c", None, ""], dtype=object),
        np.array([117.1846, -0.25, np.nan]),
        np.array(["2026-11-20T06:00:00.123456", "NaT", "1999-12-31T23:59:59"],
                 dtype="datetime64[us]"),
        np.array([None, 1, 2], dtype=object),
        np.array(["徐州市", "line\nbreak", "x"], dtype=object),
        np.array([0, 10, 100], dtype=np.int64),
    ]
    assert copy_text(columns).decode() == (
        "1\ta\\tb\\\\c\t117.1846000\t2026-11-20 06:00:00.123456+00\t\\N\t徐州市\t0\n"
        "22\t\\N\t-0.2500000\t\\N\t1\tline\\nbreak\t10\n"
        "1000000000000\t\t\\N\t1999-12-31 23:59:59.000000+00\t2\tx\t100\n")


def test_timestamps_match_numpy_for_any_instant():
    rng = np.random.default_rng(0)
    at = np.datetime64("2000-01-01", "us") + rng.integers(0, 10**16, 2_000).astype(
        "timedelta64[us]")
    expected = [f"{str(t).replace('T', ' ')}+00" for t in at]
    assert copy_text([at]).decode().splitlines() == expected


def test_negative_integers_fall_back_to_text():
    assert copy_text([np.array([-5, 12], dtype=np.int64)]) == b"-5\n12\n"


def test_text_escaped_at_once_as_value_by_value():
    from data_access.copy_text import _escape, _escaped

    values = ["a\tb\\c", "", "line\nbreak\r\n", "徐州市\\n", 7, "plain", "\\\\\t\t"]
    assert _escaped(values) == [_escape(v) for v in values]
    assert _escaped([]) == []
    assert _escaped(["x", "a\x00b"]) == [b"x", b"a\x00b"]  # one by one
