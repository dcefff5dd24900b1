"""Settings of the REST API (``CULTRADE_API_*`` variables), kept apart from the library settings.

>>> s = ApiSettings(cors_origins="http://localhost:5173, https://dash.example.org")
>>> s.cors_list
['http://localhost:5173', 'https://dash.example.org']
>>> ApiSettings().host, ApiSettings().cors_list
('127.0.0.1', [])
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Where ``cultrade serve`` listens, CORS, cookies, paging and analysis sizes."""

    model_config = SettingsConfigDict(env_prefix="CULTRADE_API_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface to bind (127.0.0.1 keeps it local).")
    port: int = Field(default=8000, ge=0, le=65535)
    cors_origins: str = Field(default="", description="Comma-separated allow-list of origins; empty = CORS off.")
    cookie_secure: bool = Field(default=False, description="Mark the session cookie Secure (serve over HTTPS).")
    cookie_max_age: int = Field(default=8 * 3600, ge=60, description="Session cookie lifetime in seconds.")
    default_limit: int = Field(default=100, ge=1, le=1000)
    max_limit: int = Field(default=1000, ge=1, le=10000)
    uncertainty_draws: int = Field(default=500, ge=10, le=5000, description="Monte Carlo draws for rank intervals.")
    risk_cache_size: int = Field(default=8, ge=1, description="Risk indices (home × domain) kept in memory.")
    rules_path: Path | None = Field(default=None, description="User rules file the admins edit; default "
                                    "CULTRADE_MONITOR_RULES or CULTRADE_HOME/rules.yaml.")
    last_used_resolution: int = Field(default=60, ge=0, description="Seconds between last_used_at writes per key.")

    @property
    def cors_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


__all__ = ["ApiSettings"]
