"""Limits on every input (issue 10, findings 3 and 6): body size, beneficiaries per calculation, the
public calculator's rate, and the extent of an imported sheet."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.api.main import create_app
from huiqi.app.config import Config, current
from huiqi.app.db import transaction
from huiqi.app.registry.importing import ImportRefused, import_organisations
from tests.app.http import add_users, client, login
from tests.app.world import OFFICE

CASE = Path(__file__).parents[2] / "examples" / "chain-leader.yaml"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
        '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
        'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def tiny_xlsx(dimension: str | None, rows: str) -> bytes:
    """A hand-made workbook: one sheet declaring ``dimension`` and holding ``rows`` (sheetData XML)."""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main">' + (f'<dimension ref="{dimension}"/>' if dimension else "")
             + f"<sheetData>{rows}</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER = '<row r="1">' + cell("A1", "uscc") + cell("B1", "name") + cell("C1", "kind") + "</row>"


def refusal(factory: sessionmaker[Session], data: bytes) -> tuple[str, float]:
    """The import's refusal message and the seconds it took."""
    start = time.perf_counter()
    with pytest.raises(ImportRefused) as caught, transaction(factory) as s:
        import_organisations(s, actor=OFFICE, data=data, filename="orgs.xlsx")
    return caught.value.errors[0].message, time.perf_counter() - start


def test_a_small_workbook_declaring_a1_to_xfd20000_is_refused_at_once(
        factory: sessionmaker[Session]) -> None:
    data = tiny_xlsx("A1:XFD20000", HEADER)
    assert len(data) < 2000  # the finding's 1.5 KB file
    message, seconds = refusal(factory, data)
    # XFD is column 16,384 (26² × 24 + 26 × 6 + 4); 20,000 rows
    assert "16,384 columns (to XFD)" in message and "declares" in message
    assert seconds < 0.5


def test_a_workbook_hiding_its_width_behind_a_small_declaration_is_refused_on_its_first_wide_row(
        factory: sessionmaker[Session]) -> None:
    wide = "".join(f'<row r="{n}">{cell(f"XFD{n}", "x")}</row>' for n in range(2, 20_001))
    message, seconds = refusal(factory, tiny_xlsx("A1:C1", HEADER + wide))
    assert "holds 16,384 columns" in message
    assert seconds < 1.0


def test_a_workbook_with_cells_in_more_rows_than_the_limit_is_refused(
        factory: sessionmaker[Session]) -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}"/></row>' for n in range(2, 10_003))  # 10,001 after row 1
    message, _ = refusal(factory, tiny_xlsx(None, HEADER + rows))
    assert "holds 10,002 rows" in message


def test_a_workbook_that_would_unpack_beyond_the_limit_is_refused_before_it_is_read(
        factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_IMPORT_MAX_UNPACKED_BYTES", "1000000")
    current.cache_clear()
    try:
        data = tiny_xlsx(None, HEADER + '<row r="2"/>' + " " * 2_000_000)  # blanks zip to ~2 KB
        message, seconds = refusal(factory, data)
    finally:
        monkeypatch.undo()
        current.cache_clear()
    assert "unpacks to" in message and "more than 1,000,000" in message
    assert len(data) < 10_000 and seconds < 1.0


def test_a_body_declared_larger_than_the_limit_is_refused_413_before_it_is_read(db_url: str) -> None:
    c = client(db_url)
    r = c.post("/auth/login", content=b"{}", headers={"Content-Length": "50000000",
                                                       "Content-Type": "application/json"})
    assert r.status_code == 413
    assert (r.json()["code"], r.json()["field"]) == ("too_large", None)


def test_a_streamed_body_is_cut_off_at_the_limit(db_url: str) -> None:
    """Driven as a server would (the test client reads a body whole before sending it)."""
    app = create_app(db_url, config=Config(body_max_bytes=200_000))
    pulled: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:  # 800 chunks of 64 KB (50 MB), no Content-Length
        pulled.append(1)
        return {"type": "http.request", "body": b" " * 65536, "more_body": len(pulled) < 800}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/auth/login", "raw_path": b"/auth/login", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert len(pulled) == 4  # 200,000 bytes are passed within the 4th chunk of 65,536; no more read
    app.state.engine.dispose()


def test_a_body_within_the_limit_passes(db_url: str) -> None:
    c = client(db_url, config=Config(body_max_bytes=2048))
    r = c.post("/auth/login", json={"username": "nobody", "password": "x" * 100})
    assert r.status_code == 401


def test_an_upload_has_its_own_larger_limit(db_url: str, factory: sessionmaker[Session]) -> None:
    add_users(factory, None)
    c = client(db_url, config=Config(body_max_bytes=2048, upload_max_bytes=8192))
    office = login(c, "office1")
    rows = "uscc,name,kind\n" + "91110112MA01F0A11N,云帆,企业\n"
    small = c.post("/imports/organisations", files={"file": ("o.csv", rows.encode() + b" " * 4000)},
                   headers=office)
    assert small.status_code == 200, small.text
    large = c.post("/imports/organisations", files={"file": ("o.csv", b" " * 9000)}, headers=office)
    assert large.status_code == 413


def test_more_beneficiaries_than_the_limit_are_refused_naming_the_field(db_url: str) -> None:
    c = client(db_url, config=Config(calc_max_beneficiaries=3))
    case = {"year": 2024, "beneficiaries": [{"id": f"b{i}", "kind": "enterprise"} for i in range(4)]}
    r = c.post("/calculate", json=case)
    assert r.status_code == 422
    assert (r.json()["field"], r.json()["code"]) == ("beneficiaries", "refused")
    assert "at most 3 per calculation, got 4" in r.json()["detail"]


def test_the_public_calculator_is_rate_limited_per_client_with_retry_after(db_url: str) -> None:
    import json

    import yaml

    case = json.loads(json.dumps(yaml.safe_load(CASE.read_text(encoding="utf-8")), default=str))
    c = client(db_url, config=Config(calc_rate="2/minute"))
    assert [c.post("/calculate", json=case).status_code for _ in range(2)] == [200, 200]
    r = c.post("/calculate", json=case)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert c.get("/measures").status_code == 200  # only the calculator is limited
