"""Settings: one typed model, read from the environment (``ADLENS_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-development-only-secret-key"


class Settings(BaseSettings):
    """Every setting adlens reads. Each one is documented in ``docs/settings.md``."""

    model_config = SettingsConfigDict(
        env_prefix="ADLENS_", env_file=None, extra="ignore", populate_by_name=True
    )

    db: Path = Field(Path("adlens.duckdb"), description="DuckDB file holding facts and ingests.")
    workspace: str = Field("default", description="Workspace new loads are written to.")
    reporting_currency: str = Field(
        "USD", min_length=3, max_length=3, description="ISO code `spend` is converted to."
    )
    memory_limit: str = Field("512MB", description="DuckDB memory limit during loads.")
    redis_url: str | None = Field(
        None, description="Redis URL for the shared query cache (L2); unset: in-process only."
    )
    cache_ttl: float = Field(300.0, gt=0, description="Seconds a cached query answer is kept.")
    cache_bytes: int = Field(
        64 << 20, ge=1024, description="Bytes of query answers kept in process (L1)."
    )
    holiday_country: str = Field(
        "US", description="ISO country whose public holidays the feature table flags."
    )
    detect_after_load: bool = Field(
        False, description="Run anomaly detection on the workspace after each successful load."
    )
    # --- HTTP API -------------------------------------------------------------------------
    app_env: Literal["development", "test", "production"] = Field(
        "development",
        validation_alias=AliasChoices("APP_ENV", "ADLENS_APP_ENV"),
        description="development, test or production (production refuses unsafe settings).",
    )
    secret_key: str = Field(
        DEFAULT_SECRET_KEY,
        validation_alias=AliasChoices("SECRET_KEY", "ADLENS_SECRET_KEY"),
        description="Key signing access tokens; at least 32 characters in production.",
    )
    access_token_expire_minutes: int = Field(
        15,
        ge=1,
        le=24 * 60,
        validation_alias=AliasChoices(
            "ACCESS_TOKEN_EXPIRE_MINUTES", "ADLENS_ACCESS_TOKEN_EXPIRE_MINUTES"
        ),
        description="Minutes an access token is valid.",
    )
    refresh_token_expire_days: int = Field(
        14, ge=1, le=365, description="Days a refresh token is valid (each use rotates it)."
    )
    app_db_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the app database (users, keys, audit); unset: a "
        "SQLite file next to the DuckDB file.",
    )
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Largest JSON request body.")
    max_upload_bytes: int = Field(
        256 << 20, ge=1024, description="Largest file accepted by POST /data/upload/file."
    )
    max_unpacked_bytes: int = Field(
        4 << 30,
        ge=1024,
        description="Largest export a compressed upload (ZIP, gzip) may unpack to.",
    )
    max_json_depth: int = Field(32, ge=2, le=512, description="Deepest JSON nesting accepted.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; empty: CORS closed."
    )
    rate_limit_default: str = Field("600/minute", description="Requests per principal and IP.")
    rate_limit_query: str = Field("1200/minute", description="Query requests per principal.")
    rate_limit_upload: str = Field("60/minute", description="Uploads per principal and IP.")
    rate_limit_auth: str = Field("30/minute", description="Login and refresh calls per IP.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins per account before it is throttled."
    )
    login_lockout_seconds: int = Field(
        300, ge=1, description="Seconds over which failed logins of an account are counted."
    )
    audit_retention_days: int = Field(90, ge=1, description="Days audit records are kept.")
    events_poll_seconds: float = Field(
        2.0, gt=0, description="How often /v1/events checks the data version."
    )
    log_level: str = Field("INFO", description="Level of the API's JSON logs.")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.app_env == "production" and (
            self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters when "
                "APP_ENV=production (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return self

    def resolved_app_db_url(self) -> str:
        """The app database URL: the setting, or a SQLite file next to the DuckDB file."""
        if self.app_db_url:
            return self.app_db_url
        return f"sqlite:///{self.db.with_name(self.db.name + '.app.sqlite')}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
