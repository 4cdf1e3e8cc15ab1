"""One app per backend for the API tests; each test makes its own sources (names are
unique per test), so their cases never meet."""
from __future__ import annotations

import itertools

import pytest

from tests.support.backends import backend_names, open_backend
from tests.support.intake import intake_app, make_source

_names = itertools.count()


@pytest.fixture(scope="package", params=backend_names())
def api_backend(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp(f"api-{request.param}")) as b:
        yield b


@pytest.fixture(scope="package")
def api(api_backend):
    app, client, intake_api = intake_app(api_backend)
    yield client, intake_api
    app.server.config["GOVWALL_RUNTIME"].close()


@pytest.fixture
def source(api_backend):
    """A new source: (SourceRef, headers with its token)."""
    ref, token = make_source(api_backend, f"src{next(_names)}")
    return ref, {"Authorization": f"Bearer {token}"}
