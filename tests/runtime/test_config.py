"""Settings from the environment: defaults, and what each variable changes."""

from __future__ import annotations

import pytest

from services.shared.config import Settings


def test_defaults_reach_only_airtable() -> None:
    assert Settings.from_env({}).airtable_endpoints == ("https://api.airtable.com",)


def test_connected_base_endpoints_are_a_comma_separated_list() -> None:
    env = {"PYAT_AIRTABLE_ENDPOINTS": " https://api.airtable.com, http://airtable-proxy:8080 ,"}
    assert Settings.from_env(env).airtable_endpoints == (
        "https://api.airtable.com",
        "http://airtable-proxy:8080",
    )


def test_a_port_that_is_not_a_number_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="PYAT_GRPC_PORT"):
        Settings.from_env({"PYAT_GRPC_PORT": "fifty"})
