"""Settings come from the environment; production never runs on a development secret."""

import pytest

from community.config import ConfigError, load_config


def test_defaults_suit_a_newcomers_laptop(tmp_path):
    config = load_config(str(tmp_path), {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'community.db'}"
    assert config["SITE_URL"] == "http://127.0.0.1:5000"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert not config["DEMO_MODE"] and config["MAIL_SERVER"] is None
    assert config["CAFE_RETENTION_DAYS"] == 30
    # The generated development key is kept, so sessions survive a restart.
    assert load_config(str(tmp_path), {})["SECRET_KEY"] == config["SECRET_KEY"]
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_a_real_secret(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_config(str(tmp_path), {"SITE_URL": "https://community.example.org"})
    with pytest.raises(ConfigError, match="too short"):
        load_config(str(tmp_path), {"SITE_URL": "https://community.example.org", "SECRET_KEY": "short"})


def test_redis_url_moves_rate_limits_to_redis(tmp_path):
    config = load_config(str(tmp_path), {"REDIS_URL": "redis://127.0.0.1:6379/0", "DEMO_MODE": "1",
                                         "DATABASE_URL": "postgresql+psycopg://db/community"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/community"
    assert config["DEMO_MODE"] is True


def test_db_pool_size_sets_each_processes_postgresql_connections(tmp_path):
    url = {"DATABASE_URL": "postgresql+psycopg://db/community"}
    default = load_config(str(tmp_path), url)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (default["pool_size"], default["max_overflow"]) == (10, 5)
    chosen = load_config(str(tmp_path), {**url, "DB_POOL_SIZE": "3"})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert chosen["pool_size"] == 3 and chosen["pool_pre_ping"]
    # SQLite opens a file, not a server connection: no pool to size.
    assert "pool_size" not in load_config(str(tmp_path), {})["SQLALCHEMY_ENGINE_OPTIONS"]
