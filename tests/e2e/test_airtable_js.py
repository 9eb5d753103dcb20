"""The official Airtable JavaScript client (npm `airtable`), unchanged, against our edge: records,
pages, filters and sorts, updates, replaces, upserts, typecast, deletes and errors, with a
personal access token, on SQLite and on PostgreSQL.

tests/e2e/airtable_js/compat.js drives the client and prints what it got as JSON; this test
installs it (npm ci, once per package-lock.json), runs it and asserts on that output.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_airtable_rest import create_base, sign_up

PROJECT = Path(__file__).parent / "airtable_js"
# Written once npm ci has installed the lock file whose digest it holds.
INSTALLED_STAMP = PROJECT / "node_modules" / ".pyat-installed"
# Generous: the machine is shared, and the script paces itself under the rate limit.
SCRIPT_TIMEOUT_S = 300
NPM_CI_TIMEOUT_S = 600
# Past the suite's default: a fresh machine's first test here runs npm ci, then the script.
pytestmark = pytest.mark.timeout(NPM_CI_TIMEOUT_S + SCRIPT_TIMEOUT_S + 60)


def _install() -> None:
    """npm ci, unless node_modules already holds this package-lock.json."""
    digest = hashlib.sha256((PROJECT / "package-lock.json").read_bytes()).hexdigest()
    if INSTALLED_STAMP.is_file() and INSTALLED_STAMP.read_text() == digest:
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=NPM_CI_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    INSTALLED_STAMP.write_text(digest)


@pytest.fixture(scope="session")
async def airtable_js() -> Path:
    """The script, with Airtable.js installed beside it."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    assert not missing, f"{' and '.join(missing)} must be on PATH to test Airtable.js"
    # In a thread: the fabric's servers share this event loop and must keep answering.
    await asyncio.to_thread(_install)
    return PROJECT / "compat.js"


async def run_script(script: Path, edge: str, pat: str, base_id: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "AIRTABLE_ENDPOINT_URL": edge,
        "AIRTABLE_PAT": pat,
        "AIRTABLE_BASE_ID": base_id,
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        cwd=PROJECT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), SCRIPT_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, f"compat.js failed:\n{stderr.decode()}"
    result: dict[str, Any] = json.loads(stdout)
    return result


async def test_airtable_js_reads_and_writes_records(
    http: httpx.AsyncClient, edge_url: str, airtable_js: Path
) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    out = await run_script(airtable_js, edge_url, account.pat, base["id"])

    # Records.
    plan = out["created"]
    assert plan["id"].startswith("rec") and plan["fields"] == {"Name": "Plan", "Points": 3}
    assert plan["createdTime"].endswith("Z")
    batch = out["batch"]
    assert [r["fields"] for r in batch] == [{"Name": f"Task {i}", "Points": i} for i in range(10)]
    assert out["found"] == {"id": plan["id"], "fields": {"Name": "Plan", "Points": 3}}

    # Pages.
    assert out["pageSizes"] == [4, 4, 3]
    assert out["allCount"] == 11
    assert out["firstPage"] == ["Task 0", "Task 1", "Task 2"]

    # Filters and sorts.
    assert out["filtered"] == [{"Name": "Task 9", "Points": 9}, {"Name": "Task 8", "Points": 8}]
    assert out["filteredByPost"] == ["Plan", "Task 3", "Task 4"]
    assert out["asStrings"] == [{"Name": "Task 9", "Points": "9"}]

    # Update, replace, upsert, typecast.
    assert out["updated"] == {"id": plan["id"], "fields": {"Name": "Plan", "Points": 5}}
    assert [r["fields"] for r in out["updatedMany"]] == [
        {"Name": "Task 0", "Points": 0, "Done": True},
        {"Name": "Task 1", "Points": 11},
    ]
    assert out["replaced"] == {"id": plan["id"], "fields": {"Name": "Plan B"}}
    updated, created = out["upserted"]
    assert updated == {"id": batch[2]["id"], "fields": {"Name": "Task 2", "Points": 20}}
    assert created["id"] not in {r["id"] for r in batch} and created["fields"] == {
        "Name": "Brand new",
        "Points": 1,
    }
    assert out["typecast"]["fields"] == {"Name": "Typed", "Points": 42}
    assert out["notTypecast"]["isAirtableError"] is True
    assert (out["notTypecast"]["statusCode"], out["notTypecast"]["error"]) == (
        422,
        "INVALID_VALUE_FOR_COLUMN",
    )

    # Delete.
    assert out["destroyed"] == plan["id"]
    assert out["destroyedMany"] == [batch[3]["id"], batch[4]["id"]]

    # Errors come back as the client's AirtableError with Airtable's status and type.
    for name, status, error in [
        ("missingRecord", 404, "NOT_FOUND"),
        ("missingTable", 404, "NOT_FOUND"),
        ("unknownField", 422, "UNKNOWN_FIELD_NAME"),
        ("badFormula", 422, "INVALID_FILTER_BY_FORMULA"),
    ]:
        failure = out[name]
        assert failure is not None, f"{name} did not fail"
        assert failure["isAirtableError"] is True, failure
        assert (failure["statusCode"], failure["error"]) == (status, error), failure

    remaining = [f"Task {i}" for i in (0, 1, 2, 5, 6, 7, 8, 9)]
    assert out["remaining"] == sorted(["Brand new", "Typed", *remaining])
