"""The /ops tests share one database per backend holding only the hand-counted cases."""
from __future__ import annotations

import pytest

from tests.support.backends import backend_names, open_backend
from tests.support.ops_cases import insert_ops_cases


@pytest.fixture(scope="package", params=backend_names())
def ops_backend(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp(f"ops-{request.param}")) as b:
        b.case_ids = insert_ops_cases(b.sessions)
        yield b
