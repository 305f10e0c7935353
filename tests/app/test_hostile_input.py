"""No input makes the server fail (issue 10, finding 4): every operation of the OpenAPI spec, as the
office, as an applicant and anonymously, with hostile path, query and body values — lone
surrogates, NUL, right-to-left marks, very long texts, 1e400, NaN, -0, huge integers, deep nesting —
answers below 500, in the one error shape, never echoing text that cannot be encoded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.http import OpenDistrict

DISTRICT = OpenDistrict("huiqi-hostile-")
APP = DISTRICT.app
SPEC = APP.openapi()
HEADERS = DISTRICT.headers
CLIENT = TestClient(APP, raise_server_exceptions=False)


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is (``1e400``, ``NaN``): no encoder would produce it."""

    token: str


TEXTS = ["\ud800", "a\udfffb", "\udbff\udbff", "\x00", "x\x00y", "\u202egnp.exe", "\u200f\u200e\u2066",
         "\ufeff", "\u0085\u2028", "𠀀𪚥", "😀", "A" * 100_000, "名" * 5_000, "' OR 1=1 --",
         "<script>alert(1)</script>", "../../etc/passwd", "%00", "\\", "", " ", "null", "NaN", "-0",
         "1e400", "Infinity", "９９", "٣٣", "2024-02-30", "0000-00-00", "m01.new", "9" * 40]
NUMBERS = [Raw("1e400"), Raw("-1e400"), Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("-0"),
           Raw("-0.0"), Raw("1e-400"), Raw("9" * 50), 2**63, -(2**63) - 1, 0, -1, 0.1, 1e308, True]


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


scalars = st.one_of(st.sampled_from(TEXTS), st.sampled_from(NUMBERS), st.none(),
                    st.text(st.characters(codec=None, exclude_categories=()), max_size=20))
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.sampled_from(TEXTS[:12]),
                                                                         scalars, max_size=2),
                   st.sampled_from([deep(20), deep(40), Raw("[" * 5000 + "]" * 5000)]))


def dump(value: Any) -> str:
    """JSON text with lone surrogates escaped (as a hostile client would) and raw tokens kept."""
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    return json.dumps(value)  # ensure_ascii: a surrogate goes out as \\udxxx


def url_part(value: Any) -> str:
    text = value.token if isinstance(value, Raw) else str(value)
    # 2,000 characters: long enough to be hostile, short enough for a URL (servers cap them)
    return quote(text[:2000].encode("utf-8", "surrogatepass"), safe="")


def properties(schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return list(schema.get("properties", {}))


OPERATIONS = [(method.upper(), path, op) for path, ops in SPEC["paths"].items()
              for method, op in ops.items()]


@pytest.fixture(scope="module", autouse=True)
def district() -> Iterator[None]:
    with DISTRICT.populated():
        yield


@st.composite
def requests(draw: st.DrawFn, path: str, op: dict[str, Any]) -> tuple[str, bytes | None,
                                                                      dict[str, Any] | None, str]:
    """(URL, JSON body, multipart files, content type) with hostile values where values go."""
    url = path
    query = []
    for p in op.get("parameters", []):
        ident = st.sampled_from([1, 2, 10**20, -1, 0])
        value = draw(st.one_of(ident, scalars) if p["in"] == "path" else scalars)
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", url_part(value) or "x")
        elif draw(st.booleans()):
            query.append(f"{p['name']}={url_part(value)}")
    url += "?" + "&".join(query) if query else ""
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        name = draw(st.sampled_from(["o.csv", "o.xlsx", "\u202exslx.csv", "x" * 300]))
        data = draw(st.sampled_from([b"", b"PK\x03\x04junk", "uscc,name\n\x00,\u202e".encode(),
                                     "\ud800".encode("utf-8", "surrogatepass"), b"\xff\xfe" * 100]))
        return url, None, {"file": (name, data)}, "multipart/form-data"
    if "application/json" not in content:
        return url, None, None, "application/json"
    fields = properties(content["application/json"]["schema"])
    if fields and draw(st.booleans()):
        body: Any = {f: draw(values) for f in fields if draw(st.booleans())}
    else:
        body = draw(values)
    return url, dump(body).encode("utf-8"), None, "application/json"


@pytest.mark.parametrize("role", ["office", "applicant", "anonymous"])
@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_no_hostile_input_makes_the_server_fail(method: str, path: str, op: dict[str, Any], role: str,
                                                data: st.DataObject) -> None:
    if path == "/auth/logout" and role != "anonymous":
        return  # would end the session the other examples use
    url, body, files, kind = data.draw(requests(path, op))
    headers = dict(HEADERS[role])
    if body is not None:
        headers["Content-Type"] = kind
    r = CLIENT.request(method, url, content=body, files=files, headers=headers)
    assert r.status_code < 500, (method, url, body and body[:200], r.status_code, r.text[:500])
    if r.status_code >= 400:
        answer = r.json()
        assert {"detail", "code", "field", "message"} <= set(answer), answer
        assert "\\ud8" not in r.text.lower() and "\\udf" not in r.text.lower()
