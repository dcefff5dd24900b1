"""Settings: one pydantic-settings object, read from ``CULTRADE_*`` variables.

>>> s = Settings(home="/tmp/ct-doc")
>>> s.store_path.name
'cultrade.duckdb'
>>> s.cache_dir.as_posix()
'/tmp/ct-doc/cache'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    """Everything configurable, with defaults that work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="CULTRADE_", extra="ignore")

    home: Path = Field(default=Path("~/.cultrade"), description="Working directory for the store and caches.")
    store_path: Path | None = Field(default=None, description="DuckDB file; defaults to HOME/cultrade.duckdb.")
    cache_dir: Path | None = Field(default=None, description="HTTP cache; defaults to HOME/cache.")
    log_level: LogLevel = "INFO"
    shared_data: Path | None = Field(
        default=None, description="Folder with the publishers' raw files (the project's ../shared/data)."
    )
    duckdb_memory_limit: str = Field(default="2GB", description="DuckDB memory_limit for the embedded store.")
    duckdb_threads: int | None = Field(default=None, description="DuckDB threads; None lets DuckDB decide.")
    home_country: str = Field(default="CHN", description="The enterprise's home economy (ISO3): monitor rules "
                              "with `pairs_with: home` watch its relations.")
    monitor_stale_after: float = Field(default=3600.0, gt=0, description="Seconds without a new slice after "
                                       "which the event feed is shown as stale instead of live.")
    http_timeout: float = 30.0
    http_retries: int = 4
    http_backoff: float = 0.5

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.home = Path(self.home).expanduser()
        if self.store_path is None:
            self.store_path = self.home / "cultrade.duckdb"
        if self.cache_dir is None:
            self.cache_dir = self.home / "cache"
        self.store_path = Path(self.store_path).expanduser()
        self.cache_dir = Path(self.cache_dir).expanduser()
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
