"""Importing organisations and annual facts from a spreadsheet: every row, or none.

A file (CSV or .xlsx) is read into rows of text; its header (row 1) is mapped to the fields of
``OrganisationIn`` or ``FactIn``; every row is validated with those models and against the
registry. Only when no row has a problem are the rows written, one by one through the registry's
services (so each is audited), in the caller's transaction. Otherwise ``ImportRefused`` carries
the report — spreadsheet row, column as headed in the file, message — and nothing is written::

    try:
        n = import_organisations(session, actor=actor, data=path.read_bytes(), filename=path.name)
    except ImportRefused as exc:
        for e in exc.errors: print(e.row, e.column, e.message)

Reading: CSV is comma-separated, in UTF-8 (with or without BOM) or GB18030 (what Chinese office
software exports); .xlsx is read from its first sheet. Rows are numbered as a spreadsheet shows
them. Empty rows are skipped; a value under no header is an error.

Columns — the English field name or the Chinese label, case and surrounding spaces ignored:
- organisations: uscc 统一社会信用代码, name 名称/单位名称/企业名称, kind 类型/主体类型,
  industry 行业代码, one_matter 一事一议, key_enterprise 重点企业,
  fits_industry_positioning 符合产业定位, listed_on 上市日期, and the bank account:
  bank_name 开户银行, account_no 银行账号, account_name 账户名称/户名 (all three or none);
- facts: uscc 统一社会信用代码, year 年度, name 指标, value 数值, source 来源. The organisation must
  be registered; a fact already recorded for that year is corrected (the audit keeps the old value).

Values: yes/no also as 是/否; a kind or a fact name also by its Chinese name (企业, 区域贡献, …);
dates also as 2024/5/1 or 2024年5月1日; numbers may carry thousands separators. An unknown column
is refused, so that a misspelt header cannot silently drop its values.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

import openpyxl
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_code

from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.config import Config, current
from huiqi.app.errors import Refused
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation
from huiqi.app.registry.schemas import BankAccount, FactIn, OrganisationIn

M = TypeVar("M", bound=BaseModel)
ORG_COLUMNS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码",), "name": ("名称", "单位名称", "企业名称"), "kind": ("类型", "主体类型"),
    "industry": ("行业代码",), "one_matter": ("一事一议",), "key_enterprise": ("重点企业",),
    "fits_industry_positioning": ("符合产业定位",), "listed_on": ("上市日期",),
    "bank_name": ("开户银行",), "account_no": ("银行账号",), "account_name": ("账户名称", "户名"),
}
FACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码",), "year": ("年度",), "name": ("指标",), "value": ("数值",),
    "source": ("来源",),
}
BANK_FIELDS = tuple(BankAccount.model_fields)
KINDS = {"企业": "enterprise", "园区运营主体": "park_operator", "楼宇运营主体": "building_operator",
         "基金": "fund", "专业招商平台": "attraction_platform", "金融机构": "bank",
         "专业服务机构": "service_institution", "私募基金管理人": "fund_manager"}
FACT_NAMES = {"区域贡献": "regional_contribution", "年度区域贡献": "regional_contribution",
              "研发投入": "rd_investment", "营业收入": "revenue", "资产总额": "assets",
              "从业人员": "employees", "从业人数": "employees"}
YES_NO = {"是": "true", "否": "false"}
DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (header = 1; None for the whole file) and the column as
    headed in the file (or its letter; None when the row as a whole is at fault)."""

    row: int | None
    column: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRefused(Refused):
    """The file has problems; ``errors`` lists them row by row, and nothing was imported."""

    code = "import_refused"

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: e.row or 0)
        super().__init__(f"{len(self.errors)} problem(s) in the file; nothing was imported")


def _whole_file(message: str) -> ImportRefused:
    return ImportRefused([RowError(None, None, message)])


class Importer(Protocol):
    """``import_organisations`` or ``import_facts``."""

    def __call__(self, session: Session, *, actor: Actor, data: bytes, filename: str) -> int: ...


Rows = list[tuple[int, list[str]]]  # (spreadsheet row number, cells as text), non-empty rows only


def read_rows(data: bytes, filename: str) -> Rows:
    """The file's non-empty rows as text: .xlsx by its name or content, anything else as CSV."""
    name = filename.lower()
    if name.endswith(".xls"):
        raise _whole_file("an old .xls workbook; save it as .xlsx or CSV")
    limits = current()
    raw = (_xlsx(data, limits) if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04"
           else _csv(data))
    rows: Rows = []
    for number, cells in enumerate(raw, start=1):
        if any(cells):
            rows.append((number, cells))
        if len(rows) > limits.import_max_rows + 1:
            raise _whole_file(f"more than {limits.import_max_rows:,} rows; split the file")
    if not rows:
        raise _whole_file("the file is empty")
    if rows[0][0] != 1:
        raise ImportRefused([RowError(1, None, "row 1 must hold the column headers; it is empty")])
    if len(rows) == 1:
        raise _whole_file("the file has headers but no rows")
    return rows


def _csv(data: bytes) -> Iterable[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise _whole_file(f"not a readable CSV file: {exc}") from None
    raise _whole_file("a CSV file must be in UTF-8 or GB18030")


def _xlsx(data: bytes, limits: Config) -> Iterable[list[str]]:
    """The first sheet's rows, streamed (``read_only``). What the sheet declares of its size and
    what it really holds are both held to the limits before any row is padded out to its width:
    a few KB declaring ``A1:XFD20000`` would otherwise become 327 million empty cells."""
    _check_unpacked(data, limits.import_max_unpacked_bytes)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook fails deep in openpyxl, in many ways
        raise _whole_file(f"not a readable .xlsx file: {exc}") from None
    try:
        sheet = book.worksheets[0]
        _check_extent(sheet.max_row or 0, sheet.max_column or 0, limits, "declares")
        sheet.reset_dimensions()  # the declaration may also understate: read what is there
        rows_with_cells = 0
        for row in sheet.iter_rows(values_only=True):
            rows_with_cells += bool(row)
            _check_extent(rows_with_cells, len(row), limits, "holds")
            yield [_cell(v) for v in row]
    except ImportRefused:
        raise
    except Exception as exc:
        raise _whole_file(f"not a readable .xlsx file: {exc}") from None
    finally:
        book.close()


def _check_unpacked(data: bytes, most: int) -> None:
    """A workbook is a zip: refuse one that would unpack to more than ``most`` bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise _whole_file("not a readable .xlsx file (not a zip archive)") from None
    if unpacked > most:
        raise _whole_file(f"the workbook unpacks to {unpacked:,} bytes, more than {most:,}; split it")


def _check_extent(rows: int, columns: int, limits: Config, how: str) -> None:
    if columns > limits.import_max_columns:
        last = get_column_letter(min(columns, 16384))
        raise _whole_file(f"the sheet {how} {columns:,} columns (to {last}); "
                          f"at most {limits.import_max_columns} are read")
    if rows > limits.import_max_rows + 1:
        raise _whole_file(f"the sheet {how} {rows:,} rows; at most {limits.import_max_rows:,} rows "
                          "and the header are imported at once; split the file")


def _cell(value: object) -> str:
    """An Excel value as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise(field: str, value: str) -> str:
    """Accept the office's spellings: 是/否, Chinese kinds and fact names, dates, 1,234.50."""
    if field in ("one_matter", "key_enterprise", "fits_industry_positioning"):
        return YES_NO.get(value, value)
    if field == "kind":
        return KINDS.get(value, value)
    if field == "name" and value in FACT_NAMES:
        return FACT_NAMES[value]
    if field == "listed_on" and (m := DATE.match(value)):
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    if field in ("year", "value"):
        return value.replace(",", "").replace("，", "")
    return value


@dataclass
class _Table:
    """The data rows as {field: text}, the header text of each field, and the problems so far."""

    records: list[tuple[int, dict[str, str]]]
    headers: dict[str, str]
    errors: list[RowError]


def _table(rows: Rows, columns: dict[str, tuple[str, ...]], required: Sequence[str]) -> _Table:
    """Map the header to fields; refuse at once when the header itself is wrong."""
    lookup = {f.casefold(): f for f in columns} | {
        label: f for f, labels in columns.items() for label in labels}
    header = rows[0][1]
    fields: dict[int, str] = {}
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    expected = ", ".join(f"{f} ({labels[0]})" for f, labels in columns.items())
    for i, text in enumerate(header):
        if not text:
            continue
        field = lookup.get(text.casefold())
        if field is None:
            errors.append(RowError(1, text, f"unknown column {text!r}; expected one of {expected}"))
        elif field in headers:
            errors.append(RowError(1, text, f"the same column as {headers[field]!r}"))
        else:
            fields[i], headers[field] = field, text
    errors += [RowError(1, None, f"missing column {f} ({' / '.join(columns[f])})")
               for f in required if f not in headers]
    if errors:
        raise ImportRefused(errors)
    records = []
    for number, cells in rows[1:]:
        values: dict[str, str] = {}
        for i, value in enumerate(cells):
            if value and i in fields:
                values[fields[i]] = _normalise(fields[i], value)
            elif value and (i >= len(header) or not header[i]):
                errors.append(RowError(number, get_column_letter(i + 1),
                                       f"a value ({value!r}) in a column without a header"))
        records.append((number, values))
    return _Table(records, headers, errors)


def _validate(model: type[M], number: int, values: dict[str, Any],
              table: _Table) -> M | None:
    """The row as ``model``, or None with each field's problem added to the report."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        for e in exc.errors():
            field = next((p for p in reversed(e["loc"]) if isinstance(p, str) and p != "bank_account"),
                         None)
            if tuple(e["loc"]) == ("bank_account",):  # the account as a whole: its name ≠ the name
                field = "account_name"
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] not in ("value_error", "missing") and isinstance(e["input"], str):
                message += f" (got {e['input']!r})"
            table.errors.append(RowError(number, table.headers.get(field or "", field), message))
        return None


def _registered(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """The ids of those USCCs that are registered (queried in chunks of a safe size)."""
    unique = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        stmt = select(Organisation.uscc, Organisation.id).where(Organisation.uscc.in_(chunk))
        found.update({code: org_id for code, org_id in session.execute(stmt)})
    return found


def check_organisations(session: Session, rows: Rows) -> list[OrganisationIn]:
    """Every row as an organisation to register, or ``ImportRefused`` with the whole report."""
    table = _table(rows, ORG_COLUMNS, ("uscc", "name", "kind"))
    first: dict[str, int] = {}
    valid: list[OrganisationIn] = []
    for number, values in table.records:
        org_values: dict[str, Any] = {k: v for k, v in values.items() if k not in BANK_FIELDS}
        if any(k in values for k in BANK_FIELDS):
            org_values["bank_account"] = {k: values[k] for k in BANK_FIELDS if k in values}
        org = _validate(OrganisationIn, number, org_values, table)
        if org is None:
            continue
        if org.uscc in first:
            table.errors.append(RowError(number, table.headers["uscc"],
                                         f"{org.uscc} is already in row {first[org.uscc]}"))
            continue
        first[org.uscc] = number
        valid.append(org)
    table.errors += [RowError(first[code], table.headers["uscc"], f"{code} is already registered")
                     for code in _registered(session, first)]
    if table.errors:
        raise ImportRefused(table.errors)
    return valid


def check_facts(session: Session, rows: Rows) -> list[tuple[int, FactIn]]:
    """Every row as (organisation id, fact), or ``ImportRefused`` with the whole report."""
    table = _table(rows, FACT_COLUMNS, tuple(FACT_COLUMNS))
    codes = {n: v.get("uscc", "").upper() for n, v in table.records}
    orgs = _registered(session, codes.values())
    first: dict[tuple[str, int, str], int] = {}
    valid: list[tuple[int, FactIn]] = []
    for number, values in table.records:
        code, column = codes[number], table.headers["uscc"]
        if not code:
            table.errors.append(RowError(number, column, "required: the organisation's 统一社会信用代码"))
        elif not uscc_code.is_valid(code):
            table.errors.append(RowError(number, column, f"{code!r} is not a valid 统一社会信用代码 "
                                                         "(18 characters, check character)"))
        elif code not in orgs:
            table.errors.append(RowError(number, column, f"{code} is not registered; import the "
                                                         "organisation first"))
        fact = _validate(FactIn, number, {k: v for k, v in values.items() if k != "uscc"}, table)
        if fact is None or code not in orgs:
            continue
        try:
            registry.fact_value(fact.name, fact.value)
        except Refused as exc:
            table.errors.append(RowError(number, table.headers["value"],
                                         exc.message.removeprefix("value: ")))
            continue
        key = (code, fact.year, fact.name)
        if key in first:
            table.errors.append(RowError(number, None, f"{fact.name} {fact.year} of {code} is "
                                                       f"already in row {first[key]}"))
            continue
        first[key] = number
        valid.append((orgs[code], fact))
    if table.errors:
        raise ImportRefused(table.errors)
    return valid


def import_organisations(session: Session, *, actor: Actor, data: bytes, filename: str) -> int:
    """Register every organisation of the file (office), or none; returns how many."""
    actor.require(Role.OFFICE)
    orgs = check_organisations(session, read_rows(data, filename))
    for org in orgs:
        registry.create_org(session, actor=actor, data=org)
    _audit(session, actor, "organisations", filename, data, len(orgs))
    return len(orgs)


def import_facts(session: Session, *, actor: Actor, data: bytes, filename: str) -> int:
    """Record every annual fact of the file (office), or none; returns how many."""
    actor.require(Role.OFFICE)
    facts = check_facts(session, read_rows(data, filename))
    for org_id, fact in facts:
        registry.set_fact(session, actor=actor, org_id=org_id, data=fact)
    _audit(session, actor, "facts", filename, data, len(facts))
    return len(facts)


def _audit(session: Session, actor: Actor, what: str, filename: str, data: bytes, rows: int) -> None:
    """One entry for the file itself, beside the entry of each row: which file, which content."""
    record(session, actor=actor, action=f"import.{what}", entity="import_file", entity_id=filename,
           after={"rows": rows, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
