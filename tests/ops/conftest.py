"""The /ops tests share one database per backend holding only the hand-counted cases."""
from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.backends import backend_names, open_backend
from tests.support.kiosk import add_people, sign_in
from tests.support.ops_cases import NOW, insert_ops_cases


@pytest.fixture(scope="package", params=backend_names())
def ops_backend(request, tmp_path_factory):
    with open_backend(request.param, tmp_path_factory.mktemp(f"ops-{request.param}")) as b:
        b.case_ids = insert_ops_cases(b.sessions)
        yield b


@pytest.fixture(scope="module")
def admin(ops_backend):
    """The app (no wall refresher) at the cases' NOW, and a client signed in as admin."""
    add_people(ops_backend.sessions)
    settings = Settings(env="test", database_url=ops_backend.database_url,
                        redis_url=ops_backend.redis_url, redis_namespace=ops_backend.namespace)
    app = create_app(settings, refresher=False)
    runtime = app.server.config["GOVWALL_RUNTIME"]
    runtime.clock = lambda: NOW
    client = app.server.test_client()
    assert sign_in(client, "admin").status_code == 302
    yield app, client
    runtime.close()
