"""Settings: defaults, and one clear line naming the variable for a bad value."""
from __future__ import annotations

import pytest

from dashboard.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("GOVWALL_ENV", "GOVWALL_REGION", "GOVWALL_TIMEZONE", "GOVWALL_DATABASE_URL",
                "GOVWALL_REDIS_URL", "GOVWALL_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_defaults_are_the_embedded_demo_on_xuzhou():
    s = load_settings()
    assert s.region == "320300"
    assert s.effective_database_url.startswith("sqlite:///")
    assert s.effective_database_url.endswith("var/govwall.sqlite3")
    assert s.redis_url is None
    assert str(s.zone) == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("GOVWALL_REGION", "999999", "GOVWALL_REGION: '999999' is not a Jiangsu"),
        ("GOVWALL_TIMEZONE", "Mars/Olympus", "GOVWALL_TIMEZONE: 'Mars/Olympus'"),
        ("GOVWALL_DATABASE_URL", "not-a-url", "GOVWALL_DATABASE_URL: 'not-a-url'"),
        ("GOVWALL_REDIS_URL", "http://x", "GOVWALL_REDIS_URL: 'http://x'"),
        ("GOVWALL_ENV", "staging", "GOVWALL_ENV:"),
        ("GOVWALL_WARNING_CUSUM_SHARE", "0.6", "GOVWALL_WARNING_CUSUM_SHARE:"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(monkeypatch, var, value, fragment):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith(fragment)
    assert "\n" not in message


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.setenv("GOVWALL_ENV", "production")
    with pytest.raises(SettingsError, match="GOVWALL_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("GOVWALL_SECRET_KEY", "a-long-private-value")
    assert load_settings().env == "production"


@pytest.mark.parametrize("region", ["320000", "320300", "320302", "321300"])
def test_any_jiangsu_city_county_or_the_province_is_a_region(monkeypatch, region):
    monkeypatch.setenv("GOVWALL_REGION", region)
    assert load_settings().region == region
