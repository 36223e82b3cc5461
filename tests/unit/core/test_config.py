"""Settings from `FENGKONG_*` variables, and the secret key kept under the data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fengkong.core.config import Settings, ensure_secret_key, load_settings
from fengkong.core.errors import InvalidInput

EVERY_VARIABLE = {
    "FENGKONG_DATA_DIR": "/srv/fengkong",
    "FENGKONG_DATABASE_URL": "postgresql://fk@db/fengkong",
    "FENGKONG_BUS_URL": "memory://",
    "FENGKONG_SECRET_KEY": "s3cret",
    "FENGKONG_TIMEZONE": "Asia/Urumqi",
    "FENGKONG_LOG_LEVEL": "DEBUG",
    "FENGKONG_LOG_FORMAT": "text",
    "FENGKONG_PASSWORD_HASH_COST": "low",
    "FENGKONG_DEMO_PASSWORD": "another-demo-pw",
    "FENGKONG_ACCESS_TOKEN_TTL": "300",
    "FENGKONG_REFRESH_TOKEN_TTL": "86400",
    "FENGKONG_LOCKOUT_ATTEMPTS": "3",
    "FENGKONG_LOCKOUT_WINDOW": "600",
    "FENGKONG_LOCKOUT_COOLDOWN": "1200",
    "FENGKONG_PASSWORD_MIN_LENGTH": "12",
}


def test_an_empty_environment_gives_the_embedded_defaults() -> None:
    assert load_settings({}) == Settings()


def test_every_variable_reaches_its_setting() -> None:
    settings = load_settings(EVERY_VARIABLE)
    assert settings.data_dir == Path("/srv/fengkong")
    assert settings.database_url == "postgresql://fk@db/fengkong"
    assert settings.bus_url == "memory://"
    assert settings.secret_key == "s3cret"
    assert settings.timezone == "Asia/Urumqi"
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "text"
    assert settings.password_hash_cost == "low"
    assert settings.demo_password == "another-demo-pw"
    assert settings.access_token_ttl_s == 300
    assert settings.refresh_token_ttl_s == 86400
    assert settings.lockout_attempts == 3
    assert settings.lockout_window_s == 600
    assert settings.lockout_cooldown_s == 1200
    assert settings.password_min_length == 12


def test_an_empty_variable_keeps_the_default() -> None:
    settings = load_settings({"FENGKONG_LOCKOUT_ATTEMPTS": "", "FENGKONG_TIMEZONE": ""})
    assert settings.lockout_attempts == Settings().lockout_attempts
    assert settings.timezone == "Asia/Shanghai"


def test_variables_of_other_programs_are_ignored() -> None:
    assert load_settings({"DATABASE_URL": "sqlite://", "LOG_FORMAT": "xml"}) == Settings()


@pytest.mark.parametrize("variable", [
    "FENGKONG_ACCESS_TOKEN_TTL", "FENGKONG_REFRESH_TOKEN_TTL", "FENGKONG_LOCKOUT_ATTEMPTS",
    "FENGKONG_LOCKOUT_WINDOW", "FENGKONG_LOCKOUT_COOLDOWN", "FENGKONG_PASSWORD_MIN_LENGTH",
])
def test_a_non_integer_value_is_refused_naming_its_variable(variable: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_settings({variable: "15m"})
    assert caught.value.code == "invalid_setting"
    assert caught.value.field == variable
    assert variable in caught.value.detail


@pytest.mark.parametrize("log_format", ["xml", "JSON", "logfmt"])
def test_an_unknown_log_format_is_refused(log_format: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_settings({"FENGKONG_LOG_FORMAT": log_format})
    assert caught.value.code == "invalid_setting"
    assert caught.value.field == "FENGKONG_LOG_FORMAT"


def test_the_database_defaults_to_a_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    url = settings.resolved_database_url
    assert url == f"sqlite:///{(tmp_path / 'data' / 'fengkong.db').resolve()}"


def test_a_configured_database_url_is_used_as_given() -> None:
    settings = Settings(database_url="postgresql://fk@db/fengkong")
    assert settings.resolved_database_url == "postgresql://fk@db/fengkong"


def test_with_data_dir_changes_only_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(log_format="text").with_data_dir(tmp_path)
    assert settings.data_dir == tmp_path
    assert settings.log_format == "text"


def test_a_secret_key_is_made_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new-dir")
    first = ensure_secret_key(settings)
    key_file = tmp_path / "new-dir" / "secret_key"
    assert len(first.secret_key) >= 32
    assert key_file.read_text().strip() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings.secret_key == ""  # the given settings are left as they were


def test_the_second_run_keeps_the_key_made_by_the_first(tmp_path: Path) -> None:
    first = ensure_secret_key(Settings(data_dir=tmp_path))
    second = ensure_secret_key(Settings(data_dir=tmp_path))
    assert second.secret_key == first.secret_key


def test_installations_with_separate_data_dirs_get_different_keys(tmp_path: Path) -> None:
    one = ensure_secret_key(Settings(data_dir=tmp_path / "one"))
    two = ensure_secret_key(Settings(data_dir=tmp_path / "two"))
    assert one.secret_key != two.secret_key


def test_a_configured_secret_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    settings = load_settings({"FENGKONG_SECRET_KEY": "from-the-env",
                              "FENGKONG_DATA_DIR": str(tmp_path)})
    assert ensure_secret_key(settings).secret_key == "from-the-env"
    assert not (tmp_path / "secret_key").exists()
