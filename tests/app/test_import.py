"""Importing organisations and annual facts from CSV and .xlsx: every row, or none, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from huiqi.app import vault
from huiqi.app.audit.models import AuditEntry
from huiqi.app.db import transaction
from huiqi.app.registry import service as registry
from huiqi.app.registry.importing import (
    BANK_FIELDS,
    FACT_COLUMNS,
    ORG_COLUMNS,
    ImportRefused,
    RowError,
    import_facts,
    import_organisations,
)
from huiqi.app.registry.models import AnnualFact, Organisation
from huiqi.app.registry.schemas import FactIn, OrganisationIn
from huiqi.cli import app
from tests.app.http import add_users, client, login
from tests.app.world import OFFICE, org_in

EXAMPLES = Path(__file__).parents[2] / "examples" / "registry"
ORGS_CSV = EXAMPLES / "organisations.csv"
FACTS_CSV = EXAMPLES / "facts.csv"
YUNFAN = "91110112MA01F0A11N"  # the examples' first organisation
YUNHE = "91110112MA01F0B26W"  # the examples' second; ...26X fails its check character
ORG_HEADER = ("uscc", "name", "kind", "industry")
FACT_HEADER = ("uscc", "year", "name", "value", "source")


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def two_orgs() -> list[list[str]]:
    return [list(ORG_HEADER), [YUNFAN, "通州云帆软件有限公司", "enterprise", "6513"],
            [YUNHE, "运河智造科技有限公司", "enterprise", "3911"]]


def orgs(factory: sessionmaker[Session], data: bytes, filename: str = "orgs.csv") -> int:
    with transaction(factory) as s:
        return import_organisations(s, actor=OFFICE, data=data, filename=filename)


def facts(factory: sessionmaker[Session], data: bytes, filename: str = "facts.csv") -> int:
    with transaction(factory) as s:
        return import_facts(s, actor=OFFICE, data=data, filename=filename)


def refused(call: Any, *args: Any) -> list[RowError]:
    with pytest.raises(ImportRefused) as info:
        call(*args)
    return info.value.errors


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with transaction(factory) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def registered(factory: sessionmaker[Session]) -> None:
    """The two organisations the fact files name."""
    orgs(factory, csv_bytes(two_orgs()))


def fact_rows(*rows: list[str]) -> bytes:
    return csv_bytes([list(FACT_HEADER), *rows])


def test_every_field_of_the_registry_models_has_a_column() -> None:
    org_fields = (set(OrganisationIn.model_fields) - {"bank_account"}) | set(BANK_FIELDS)
    assert set(ORG_COLUMNS) == org_fields
    assert set(FACT_COLUMNS) == set(FactIn.model_fields) | {"uscc"}


def test_a_valid_csv_registers_every_organisation(factory: sessionmaker[Session]) -> None:
    assert orgs(factory, ORGS_CSV.read_bytes()) == 4
    with transaction(factory) as s:
        yunhe = s.scalars(select(Organisation).where(Organisation.uscc == YUNHE)).one()
        park = s.scalars(select(Organisation).where(Organisation.kind == "park_operator")).one()
    assert (yunhe.name, yunhe.industry, yunhe.key_enterprise) == ("运河智造科技有限公司", "3911", True)
    with transaction(factory) as s:
        assert vault.of(s).open(yunhe.account_no_enc or "", "account_no") == "0200012309000123456"
    assert yunhe.account_no_masked == "***************3456"  # leading zero kept (19 digits)
    assert park.name == "副中心数字产业园运营管理有限公司" and park.account_no_enc is None


def test_each_imported_organisation_has_its_own_audit_entry(factory: sessionmaker[Session]) -> None:
    orgs(factory, ORGS_CSV.read_bytes(), "organisations.csv")
    with transaction(factory) as s:
        created = s.scalars(select(AuditEntry.after).where(
            AuditEntry.action == "organisation.create")).all()
        file_entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "import.organisations")).one()
    assert len(created) == 4
    assert file_entry.entity_id == "organisations.csv" and file_entry.after["rows"] == 4


def test_an_xlsx_workbook_imports_like_a_csv(factory: sessionmaker[Session]) -> None:
    rows: list[list[Any]] = [[*ORG_HEADER, "one_matter", "listed_on", "bank_name", "account_no",
                              "account_name"],
                             [YUNFAN, "通州云帆软件有限公司", "enterprise", 6513, "否", None, None, None,
                              None],
                             [YUNHE, "运河智造科技有限公司", "enterprise", 3911, True,
                              date(2021, 6, 8), "北京银行通州支行",
                              20000012345678, "运河智造科技有限公司"]]
    assert orgs(factory, xlsx_bytes(rows), "orgs.xlsx") == 2
    with transaction(factory) as s:
        yunhe = s.scalars(select(Organisation).where(Organisation.uscc == YUNHE)).one()
    assert (yunhe.industry, yunhe.one_matter, str(yunhe.listed_on)) == ("3911", True, "2021-06-08")
    assert yunhe.account_no_masked == "**********5678"
    with transaction(factory) as s:
        assert vault.of(s).open(yunhe.account_no_enc or "", "account_no") == "20000012345678"


def test_a_wrong_check_character_in_row_3_names_row_3_and_column_uscc_and_imports_nothing(
        factory: sessionmaker[Session]) -> None:
    rows = two_orgs()
    rows[2][0] = YUNHE[:-1] + "X"
    errors = refused(orgs, factory, csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(3, "uscc")]
    assert "统一社会信用代码" in errors[0].message
    assert count(factory, Organisation) == 0


def test_an_unknown_column_is_named_and_nothing_is_imported(factory: sessionmaker[Session]) -> None:
    rows = two_orgs()
    rows[0][3] = "industy"
    errors = refused(orgs, factory, csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(1, "industy")]
    assert "unknown column 'industy'" in errors[0].message
    assert count(factory, Organisation) == 0


def test_a_value_under_no_header_is_refused(factory: sessionmaker[Session]) -> None:
    rows = two_orgs()
    rows[1].append("3911")
    errors = refused(orgs, factory, csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(2, "E")]


def test_a_missing_required_column_is_named(factory: sessionmaker[Session]) -> None:
    rows = [[r[0], r[1], r[3]] for r in two_orgs()]
    errors = refused(orgs, factory, csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(1, None)]
    assert "missing column kind" in errors[0].message


def test_a_uscc_twice_in_the_file_is_refused_on_its_second_row(factory: sessionmaker[Session]) -> None:
    rows = [*two_orgs(), [YUNFAN, "通州云帆软件（重复）", "enterprise", ""]]
    errors = refused(orgs, factory, csv_bytes(rows))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (4, "uscc", f"{YUNFAN} is already in row 2")]
    assert count(factory, Organisation) == 0


def test_an_already_registered_uscc_is_refused_for_its_row(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        registry.create_org(s, actor=OFFICE, data=org_in(YUNHE, "运河智造科技有限公司"))
    errors = refused(orgs, factory, csv_bytes(two_orgs()))
    assert [(e.row, e.column, e.message) for e in errors] == [(3, "uscc", f"{YUNHE} is already registered")]
    assert count(factory, Organisation) == 1


def test_an_account_in_another_name_or_with_full_width_digits_names_its_column(
        factory: sessionmaker[Session]) -> None:
    rows = [[*ORG_HEADER, "开户银行", "银行账号", "户名"],
            [YUNFAN, "通州云帆软件有限公司", "enterprise", "6513", "北京银行", "20000012345678", "张三"],
            [YUNHE, "运河智造科技有限公司", "enterprise", "3911", "北京银行", "２０００００１２３４５６７８",
             "运河智造科技有限公司"]]
    errors = refused(orgs, factory, csv_bytes(rows))
    assert {(e.row, e.column) for e in errors} == {(2, "户名"), (3, "银行账号")}
    assert count(factory, Organisation) == 0


def test_a_partial_bank_account_names_the_missing_column(factory: sessionmaker[Session]) -> None:
    rows = [[*ORG_HEADER, "开户银行"], [YUNFAN, "通州云帆软件有限公司", "enterprise", "6513", "北京银行"]]
    errors = refused(orgs, factory, csv_bytes(rows))
    assert {(e.row, e.column) for e in errors} == {(2, "account_no"), (2, "account_name")}


def test_an_empty_file_is_refused(factory: sessionmaker[Session]) -> None:
    errors = refused(orgs, factory, b"")
    assert [(e.row, e.message) for e in errors] == [(None, "the file is empty")]


def test_a_file_with_headers_only_is_refused(factory: sessionmaker[Session]) -> None:
    errors = refused(orgs, factory, csv_bytes([list(ORG_HEADER), ["", "", "", ""]]))
    assert [e.message for e in errors] == ["the file has headers but no rows"]


def test_a_gb18030_csv_with_chinese_headers_imports(factory: sessionmaker[Session]) -> None:
    rows = [["统一社会信用代码", "名称", "类型", "行业代码"],
            [YUNFAN, "通州云帆软件有限公司", "企业", "6513"],
            [YUNHE, "运河智造科技有限公司", "专业服务机构", ""]]
    assert orgs(factory, csv_bytes(rows, "gb18030")) == 2
    with transaction(factory) as s:
        kinds = {o.name: o.kind for o in s.scalars(select(Organisation))}
    assert kinds == {"通州云帆软件有限公司": "enterprise", "运河智造科技有限公司": "service_institution"}


def test_a_utf8_csv_with_a_byte_order_mark_imports(factory: sessionmaker[Session]) -> None:
    assert orgs(factory, b"\xef\xbb\xbf" + csv_bytes(two_orgs())) == 2


def test_valid_facts_are_recorded_in_fen_and_as_counts(factory: sessionmaker[Session]) -> None:
    registered(factory)
    assert facts(factory, FACTS_CSV.read_bytes()) == 6
    with transaction(factory) as s:
        stored = {(f.year, f.name): f.value for f in s.scalars(select(AnnualFact).join(
            Organisation, Organisation.id == AnnualFact.org_id).where(Organisation.uscc == YUNFAN))}
    assert stored == {(2023, "regional_contribution"): 98_000_000,
                      (2024, "regional_contribution"): 120_000_000,
                      (2024, "employees"): 86, (2024, "revenue"): 3_250_000_000}


def test_money_with_three_decimals_is_refused_and_nothing_is_recorded(
        factory: sessionmaker[Session]) -> None:
    registered(factory)
    data = fact_rows([YUNFAN, "2024", "revenue", "100.00", "区统计局"],
                     [YUNFAN, "2024", "regional_contribution", "1200000.005", "区税务局"])
    errors = refused(facts, factory, data)
    assert [(e.row, e.column) for e in errors] == [(3, "value")]
    assert "2 decimal places" in errors[0].message
    assert count(factory, AnnualFact) == 0


def test_employees_with_a_fraction_are_refused(factory: sessionmaker[Session]) -> None:
    registered(factory)
    errors = refused(facts, factory, fact_rows([YUNFAN, "2024", "employees", "12.5", "区统计局"]))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (2, "value", "employees is a whole number, got 12.5")]


def test_a_fact_for_an_unregistered_uscc_is_refused(factory: sessionmaker[Session]) -> None:
    registered(factory)
    other = "91110112MA01F0C301"
    errors = refused(facts, factory, fact_rows([YUNFAN, "2024", "revenue", "100.00", "区统计局"],
                                              [other, "2024", "revenue", "100.00", "区统计局"]))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (3, "uscc", f"{other} is not registered; import the organisation first")]
    assert count(factory, AnnualFact) == 0


def test_the_same_fact_twice_in_the_file_is_refused(factory: sessionmaker[Session]) -> None:
    registered(factory)
    errors = refused(facts, factory, fact_rows([YUNFAN, "2024", "revenue", "100.00", "区统计局"],
                                              [YUNFAN, "2024", "营业收入", "200.00", "区统计局"]))
    assert [(e.row, e.message) for e in errors] == [(3, f"revenue 2024 of {YUNFAN} is already in row 2")]


def test_every_problem_of_a_file_is_reported_at_once(factory: sessionmaker[Session]) -> None:
    registered(factory)
    errors = refused(facts, factory, fact_rows([YUNFAN, "1999", "revenue", "1.00", "区统计局"],
                                              [YUNFAN, "2024", "profit", "-1", ""]))
    assert [(e.row, e.column) for e in errors] == [
        (2, "year"), (3, "name"), (3, "value"), (3, "source")]


def test_the_office_imports_organisations_over_http(db_url: str,
                                                    factory: sessionmaker[Session]) -> None:
    add_users(factory, None)
    c = client(db_url)
    r = c.post("/imports/organisations", headers=login(c, "office1"),
               files={"file": ("organisations.csv", ORGS_CSV.read_bytes(), "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 4}


def test_a_refused_file_answers_422_with_the_report_and_writes_nothing(
        db_url: str, factory: sessionmaker[Session]) -> None:
    add_users(factory, None)
    registered(factory)
    c = client(db_url)
    data = fact_rows([YUNFAN, "2024", "revenue", "100.00", "区统计局"],
                     [YUNFAN, "2024", "revenue", "1.001", "区统计局"])
    r = c.post("/imports/facts", headers=login(c, "office1"),
               files={"file": ("facts.csv", data, "text/csv")})
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert (error["row"], error["column"]) == (3, "value")
    assert "2 decimal places" in error["message"]
    assert "nothing was imported" in r.json()["detail"]
    assert count(factory, AnnualFact) == 0


def test_only_the_office_may_import(db_url: str, factory: sessionmaker[Session]) -> None:
    add_users(factory, None)
    c = client(db_url)
    r = c.post("/imports/organisations", headers=login(c, "econ1"),
               files={"file": ("organisations.csv", ORGS_CSV.read_bytes(), "text/csv")})
    assert r.status_code == 403, r.text
    assert count(factory, Organisation) == 0


def test_the_cli_imports_a_valid_file(db_url: str, factory: sessionmaker[Session]) -> None:
    result = CliRunner().invoke(app, ["import", "organisations", str(ORGS_CSV), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "imported 4 organisations" in result.stdout
    assert count(factory, Organisation) == 4


def test_the_cli_exits_2_with_the_report_and_imports_nothing(db_url: str, tmp_path: Path,
                                                             factory: sessionmaker[Session]) -> None:
    rows = two_orgs()
    rows[2][0] = YUNHE[:-1] + "X"
    bad = tmp_path / "organisations.csv"
    bad.write_bytes(csv_bytes(rows))
    result = CliRunner().invoke(app, ["import", "organisations", str(bad), "--db", db_url])
    assert result.exit_code == 2
    assert "import errors" in result.stderr and "uscc" in result.stderr
    assert "nothing was imported" in result.stderr
    assert count(factory, Organisation) == 0
