"""Shared fixtures: every data test runs on the embedded pair and, in CI, on the servers."""
from __future__ import annotations

import pytest

from tests.support.backends import Backend, backend_names, open_backend


@pytest.fixture(scope="session", params=backend_names())
def backend(request, tmp_path_factory) -> Backend:
    """A migrated, empty database and a Redis namespace, shared by a test session."""
    with open_backend(request.param, tmp_path_factory.mktemp(request.param)) as opened:
        yield opened


@pytest.fixture(params=backend_names())
def fresh_backend(request, tmp_path) -> Backend:
    """A migrated, empty database of its own, for tests that must start from nothing."""
    with open_backend(request.param, tmp_path) as opened:
        yield opened
