"""Permanent deletes through a Bulk API 2.0 `hardDelete` job (reference §2.6, §2.9)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from mapper.errors import DestinationError

Request = Callable[..., httpx.Response]
FINISHED = ("JobComplete", "Failed", "Aborted")
MAX_POLLS = 60
_HINT = ('Grant the API user "Bulk API Hard Delete" (a permission set), or remove hard_delete from bridgework.toml '
         "to leave deleted records in the Recycle Bin.")


def _code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    first: Any = body[0] if isinstance(body, list) and body else body
    return str(first.get("errorCode") or f"HTTP {response.status_code}") if isinstance(first, dict) else ""


def _checked(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 400:
        raise DestinationError(f"Salesforce refused {what} ({_code(response)}, HTTP {response.status_code}).",
                               hint=_HINT)
    return response


def hard_delete(request: Request, base: str, entity: str, ids: Sequence[str],
                sleep: Callable[[float], None]) -> dict[str, str | None]:
    """Id -> None when deleted for good, else the Salesforce error code of that id (e.g. ENTITY_IS_DELETED)."""
    created = _checked(request("POST", f"{base}/jobs/ingest", json={
        "object": entity, "operation": "hardDelete", "contentType": "CSV", "lineEnding": "LF"}),
        f"a hardDelete job on {entity}")
    job = created.json()
    path = f"{base}/jobs/ingest/{job['id']}"
    try:
        _checked(request("PUT", f"/{job['contentUrl'].lstrip('/')}", content=("Id\n" + "\n".join(ids) + "\n").encode(),
                         headers={"Content-Type": "text/csv"}), "the hardDelete upload")
        _checked(request("PATCH", path, json={"state": "UploadComplete"}), "closing the hardDelete job")
        wait = 0.5
        for _ in range(MAX_POLLS):
            job = _checked(request("GET", path), "the hardDelete job status").json()
            if job["state"] in FINISHED:
                break
            sleep(wait)
            wait = min(wait * 2, 10.0)
        if job["state"] != "JobComplete":
            raise DestinationError(f"The hardDelete job on {entity} ended {job['state']}"
                                   f"{' (still running)' if job['state'] not in FINISHED else ''}.",
                                   hint="Run the same rollback again; deleted records stay deleted.")
        outcome: dict[str, str | None] = {}
        for row in csv.DictReader(io.StringIO(request("GET", f"{path}/successfulResults/").text)):
            outcome[row.get("Id") or row["sf__Id"]] = None  # results come in any order: match on the Id column
        for row in csv.DictReader(io.StringIO(request("GET", f"{path}/failedResults/").text)):
            outcome[row.get("Id") or row["sf__Id"]] = row.get("sf__Error", "").split(":", 1)[0] or "rejected"
        return outcome
    finally:
        if job.get("state") in FINISHED:
            request("DELETE", path)
