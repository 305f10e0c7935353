"""Bad input never yields a 500: schemathesis generates requests from the OpenAPI spec (valid and
invalid) against a populated district, as an office user and as an applicant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.app.http import OpenDistrict

DISTRICT = OpenDistrict("huiqi-fuzz-")
APP = DISTRICT.app
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
HEADERS = DISTRICT.headers
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def district() -> Iterator[None]:
    with DISTRICT.populated():
        yield


@schema.parametrize()
@FUZZ
def test_no_request_of_the_office_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS["office"], checks=[not_a_server_error])


@schema.parametrize()
@FUZZ
def test_no_request_of_an_applicant_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS["applicant"], checks=[not_a_server_error])
