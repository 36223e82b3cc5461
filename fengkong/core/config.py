"""Settings, read once from `FENGKONG_*` environment variables with embedded defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from fengkong.core.errors import InvalidInput


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    bus_url: str = "memory://"
    secret_key: str = ""  # empty: generated once and kept in data_dir/secret_key
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    log_format: str = "json"  # json | text
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    lockout_attempts: int = 5
    lockout_window_s: int = 15 * 60
    lockout_cooldown_s: int = 15 * 60
    password_min_length: int = 10
    password_hash_cost: str = "standard"  # standard | low (tests only)
    demo_password: str = "fengkong-demo"
    gateway_host: str = "0.0.0.0"  # where the tracker listeners bind
    gt06_port: int = 5023
    jt808_port: int = 5015
    frames_stream: str = "FENGKONG_FRAMES"  # the JetStream stream between gateway and worker
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fengkong.db').resolve()}"

    def with_data_dir(self, data_dir: Path) -> Settings:
        return replace(self, data_dir=data_dir)


_INT_FIELDS = {
    "access_token_ttl_s": "FENGKONG_ACCESS_TOKEN_TTL",
    "refresh_token_ttl_s": "FENGKONG_REFRESH_TOKEN_TTL",
    "lockout_attempts": "FENGKONG_LOCKOUT_ATTEMPTS",
    "lockout_window_s": "FENGKONG_LOCKOUT_WINDOW",
    "lockout_cooldown_s": "FENGKONG_LOCKOUT_COOLDOWN",
    "password_min_length": "FENGKONG_PASSWORD_MIN_LENGTH",
    "gt06_port": "FENGKONG_GT06_PORT",
    "jt808_port": "FENGKONG_JT808_PORT",
}
_STR_FIELDS = {
    "database_url": "FENGKONG_DATABASE_URL",
    "bus_url": "FENGKONG_BUS_URL",
    "secret_key": "FENGKONG_SECRET_KEY",
    "timezone": "FENGKONG_TIMEZONE",
    "log_level": "FENGKONG_LOG_LEVEL",
    "log_format": "FENGKONG_LOG_FORMAT",
    "password_hash_cost": "FENGKONG_PASSWORD_HASH_COST",
    "demo_password": "FENGKONG_DEMO_PASSWORD",
    "gateway_host": "FENGKONG_GATEWAY_HOST",
    "frames_stream": "FENGKONG_FRAMES_STREAM",
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; a bad value names its variable."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get("FENGKONG_DATA_DIR"):
        values["data_dir"] = Path(env["FENGKONG_DATA_DIR"])
    for name, var in _STR_FIELDS.items():
        if env.get(var):
            values[name] = env[var]
    for name, var in _INT_FIELDS.items():
        if env.get(var):
            try:
                values[name] = int(env[var])
            except ValueError:
                raise InvalidInput(f"{var} must be an integer", code="invalid_setting",
                                   field=var) from None
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.password_hash_cost not in ("standard", "low"):
        raise InvalidInput("FENGKONG_PASSWORD_HASH_COST is standard or low",
                           code="invalid_setting", field="FENGKONG_PASSWORD_HASH_COST")
    if settings.log_format not in ("json", "text"):
        raise InvalidInput("FENGKONG_LOG_FORMAT is json or text", code="invalid_setting",
                           field="FENGKONG_LOG_FORMAT")
    return settings


def ensure_secret_key(settings: Settings) -> Settings:
    """Use the configured key, or the one kept under the data dir, made on first run."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return replace(settings, secret_key=path.read_text().strip())
