"""POST /v1/formulas/evaluate through a real Envoy, as a signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.test_rest import register


@pytest.fixture
async def edge_http(edge: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
        yield client


@pytest.mark.envoy
async def test_evaluate_over_rest(edge_http: httpx.AsyncClient) -> None:
    token = (await register(edge_http))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"formula": "IF({Unit Price} * Qty > 10, 'big', 'small')",
            "fields": {"Unit Price": 4.5, "Qty": 3}}  # fmt: skip
    response = await edge_http.post("/v1/formulas/evaluate", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"value": "big"}

    bad = await edge_http.post("/v1/formulas/evaluate", json={"formula": "LEN("}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["code"] == 3  # INVALID_ARGUMENT

    anonymous = await edge_http.post("/v1/formulas/evaluate", json=body)
    assert anonymous.status_code == 401


@pytest.mark.envoy
async def test_evaluate_over_rest_is_bounded(edge_http: httpx.AsyncClient) -> None:
    token = (await register(edge_http))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    catastrophic = {"formula": 'REGEX_MATCH(Name, "(a+)+$")', "fields": {"Name": "a" * 40 + "!"}}
    response = await edge_http.post("/v1/formulas/evaluate", json=catastrophic, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"value": 0}

    for formula, expected in (
        ('REPT("x", 1000000000)', "REPT() would make a text of 1,000,000,000 characters"),
        ('REGEX_MATCH("aa", "(a)\\\\1")', "invalid regular expression"),
    ):
        bad = await edge_http.post("/v1/formulas/evaluate", json={"formula": formula}, headers=auth)
        assert bad.status_code == 400, bad.text
        assert bad.json()["code"] == 3  # INVALID_ARGUMENT
        assert expected in bad.json()["message"]
