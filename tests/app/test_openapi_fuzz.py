"""Bad input never yields a 500: schemathesis generates requests from the OpenAPI spec (valid and
invalid) against a populated district, as an office user and as an applicant."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from huiqi.app.api.main import create_app
from huiqi.app.config import Config
from huiqi.app.db import make_engine, sessions, upgrade
from tests.app.http import add_users, login
from tests.app.world import build

_folder = tempfile.TemporaryDirectory(prefix="huiqi-fuzz-")
URL = f"sqlite:///{Path(_folder.name) / 'huiqi.db'}"
upgrade(URL)
# the docs open (schemathesis reads the spec) and the calculator not rate-limited, to reach it
APP = create_app(URL, config=Config(public_docs=True, calc_rate="100000/minute"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
HEADERS: dict[str, dict[str, str]] = {}
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def district() -> Iterator[None]:
    """The world's chain leader, users of every role, and their tokens."""
    engine = make_engine(URL)
    world = build(sessions(engine))
    add_users(sessions(engine), world.org_id)
    with TestClient(APP) as c:
        HEADERS["office"] = login(c, "office1")
        HEADERS["applicant"] = login(c, "ent1")
    yield
    engine.dispose()
    APP.state.engine.dispose()
    _folder.cleanup()


@schema.parametrize()
@FUZZ
def test_no_request_of_the_office_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS["office"], checks=[not_a_server_error])


@schema.parametrize()
@FUZZ
def test_no_request_of_an_applicant_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS["applicant"], checks=[not_a_server_error])
