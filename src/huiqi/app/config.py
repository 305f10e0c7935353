"""The server's limits and exposure, from the environment (``HUIQI_<NAME>``, e.g. ``HUIQI_BODY_MAX_BYTES``).

These are settings of the running process, not of the district (those are in ``app/settings``,
kept in the database and changed by the administrator)::

    HUIQI_BODY_MAX_BYTES=2000000 HUIQI_CALC_RATE="120/minute" huiqi serve
"""

from __future__ import annotations

from functools import lru_cache

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Config(BaseSettings):
    """Input limits, the public calculator's rate limit, the docs' exposure, retry hints."""

    model_config = SettingsConfigDict(env_prefix="HUIQI_", frozen=True, extra="ignore")

    body_max_bytes: int = Field(default=1_000_000, ge=1024, description="largest request body (413 beyond)")
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024,
                                  description="largest body of a file upload (POST /imports/...)")
    json_max_depth: int = Field(default=32, ge=4, le=1000, description="deepest nesting of a JSON body")
    calc_max_beneficiaries: int = Field(default=50, ge=1, description="beneficiaries per POST /calculate")
    calc_rate: str = Field(default="30/minute", description="POST /calculate per client address "
                           "(the `limits` notation: '30/minute', '5/second;100/hour')")
    calc_page_rate: str = Field(default="120/minute", description="calculator pages per client address "
                                "(each question runs the calculator once)")
    import_max_rows: int = Field(default=10_000, ge=1, description="data rows of an imported file")
    import_max_columns: int = Field(default=64, ge=1, description="columns of an imported sheet")
    import_max_unpacked_bytes: int = Field(default=100 * 1024 * 1024, ge=1024,
                                           description="an .xlsx file's size once unzipped")
    public_docs: bool = Field(default=False, description="/docs, /redoc and /openapi.json without login "
                              "(on with --demo)")
    retry_after_seconds: int = Field(default=5, ge=1, description="Retry-After when the database is away")
    notice_senders: str = Field(default="", description="senders of notices besides the in-app inbox: "
                                "'module:Class, …' (e.g. huiqi.app.notices.senders:LoggingSender)")

    @field_validator("calc_rate", "calc_page_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_many(value)  # raises ValueError on a malformed rate
        return value


@lru_cache(maxsize=1)
def current() -> Config:
    """The process's configuration, read from the environment once."""
    return Config()
