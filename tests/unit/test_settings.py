import pytest

from carrier.settings import SettingsError, load_settings

BASE = {"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "SECRET_PREFIX": "carrier/x/"}


def test_ladder_and_flags_are_parsed() -> None:
    settings = load_settings({**BASE, "RETRY_LADDER": "300,1800", "ALLOW_PRIVATE_TARGETS": "true"})
    assert settings.retry_ladder == (300, 1800)
    assert settings.allow_private_targets is True


def test_missing_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="TABLE_NAME"):
        load_settings({"EVENT_BUS_NAME": "b", "SECRET_PREFIX": "p"})
