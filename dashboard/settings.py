"""Settings from the environment (prefix GOVWALL_), validated once at start-up.

A bad value is reported as one line naming the variable (see `SettingsError`), never a
traceback: operators set these by hand on the command center's server.
"""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from data_access.geography import known_region_codes

DEFAULT_SECRET_KEY = "govwall-demo-secret-change-me"


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVWALL_", extra="ignore")

    env: Literal["demo", "dev", "test", "production"] = "demo"
    database_url: str | None = None
    redis_url: str | None = None
    redis_namespace: str = "govwall"
    region: str = "320300"
    timezone: str = "Asia/Shanghai"
    secret_key: str = DEFAULT_SECRET_KEY
    var_dir: Path = Path("var")
    # Sign-in for /ops and kiosk tokens for /wall (dashboard/auth.py). Off only for local
    # development of a page; refused in production.
    auth_required: bool = True
    # A duty shift at the wall is up to 12 h; a person's session outlives it with a margin,
    # then ends however busy it is (it never slides past this).
    session_hours: int = Field(default=14, ge=1, le=24 * 7)
    # A person's session, or a wall screen's, also ends after this long without a request
    # (a screen polls every few seconds, and comes back by its kiosk token in any case).
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Set when served over HTTPS (behind the reverse proxy): the cookie is then never sent
    # over plain HTTP.
    cookie_secure: bool = False
    # /metrics answers loopback clients only (a Prometheus on the same host) unless true.
    metrics_public: bool = False
    # Intake (issue 11): the sources' code table (default: data_access/intake/codes.json)
    # and each source token's requests per minute on /api/v1 and /open311.
    intake_codes: Path | None = None
    intake_requests_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    # The briefing's composite score: "on_time_rate=30,satisfaction=25,..." (rates only);
    # empty: the published defaults of data_access/reports/rankings.py.
    briefing_weights: str = ""

    @field_validator("briefing_weights")
    @classmethod
    def _weights(cls, value: str) -> str:
        if value.strip():
            from data_access.reports.rankings import parse_weights

            parse_weights(value)
        return value

    @property
    def weights(self) -> dict[str, float] | None:
        from data_access.reports.rankings import parse_weights

        return parse_weights(self.briefing_weights) if self.briefing_weights.strip() else None
    # The HMAC key repeat-caller warnings key phone numbers with (never shown in clear);
    # unset: derived from the secret key.
    caller_key: str | None = None
    # Early warnings: surge warnings a day for the whole region, and how often serve/demo
    # run detection (0: never; `govwall warnings detect` from cron instead).
    warning_budget: int = Field(default=10, ge=1, le=1000)
    warning_every_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # The surge budget's share for the CUSUM of slow rises (0: off, the default: at 10 % it
    # found no more of the bench's ramps and fewer spikes; README, early warnings).
    warning_cusum_share: float = Field(default=0.0, ge=0.0, le=0.5)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in known_region_codes():
            raise ValueError(
                f"{value!r} is not a Jiangsu province, city or county code (e.g. 320300 for Xuzhou)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError(f"{value!r} is not a SQLAlchemy URL (e.g. postgresql+psycopg://...)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a Redis URL (redis://, rediss:// or unix://)")
        return value

    @model_validator(mode="after")
    def _real_secret_outside_demo(self) -> Settings:
        if self.env == "production" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "GOVWALL_SECRET_KEY must be set to a private value when GOVWALL_ENV=production"
            )
        if self.env == "production" and not self.auth_required:
            raise ValueError("GOVWALL_AUTH_REQUIRED cannot be false when GOVWALL_ENV=production")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'govwall.sqlite3').resolve()}"

    @property
    def caller_secret(self) -> bytes:
        if self.caller_key:
            return self.caller_key.encode()
        return hmac.new(self.secret_key.encode(), b"govwall-caller", hashlib.sha256).digest()

    @property
    def embedded_redis_path(self) -> Path:
        return (self.var_dir / "redis.db").resolve()


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with a one-line SettingsError on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        variable = f"GOVWALL_{field.upper()}" if field else "GOVWALL_*"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{variable}: {message}") from None
