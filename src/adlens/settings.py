"""Settings: one typed model, read from the environment (``ADLENS_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting adlens reads. Each one is documented in ``docs/settings.md``."""

    model_config = SettingsConfigDict(env_prefix="ADLENS_", env_file=None, extra="ignore")

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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
