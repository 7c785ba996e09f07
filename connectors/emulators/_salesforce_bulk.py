"""Salesforce emulator Bulk API 2.0 ingest (reference §2.6): job state machine, CSV upload, result CSVs.

Jobs run synchronously when closed (UploadComplete -> JobComplete at once). Choices where the reference
is silent: a `hardDelete` job without the "Bulk API Hard Delete" permission (switch bulk_hard_delete) is
refused at creation, 400 `INVALIDJOB`; an upload to a job that is no longer Open is 400 `INVALIDJOBSTATE`;
records already in the Recycle Bin fail `ENTITY_IS_DELETED` (hardDelete does not purge the bin).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from connectors.emulators._salesforce_api import Handler, json_response, transaction
from connectors.emulators._salesforce_ids import IdMint
from connectors.emulators._salesforce_objects import API_VERSION, SalesforceError
from connectors.emulators._salesforce_records import RecordStore, RequestError
from connectors.emulators._salesforce_schema import MetadataStore

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
MAX_UPLOAD = 150 * 1024 * 1024  # §2.6: 150 MB per upload
_TEXT_CSV = "text/csv; charset=UTF-8"


class BulkJobs:
    """Ingest jobs kept in SQLite; `process` applies one job's CSV through the record store."""

    def __init__(self, db: sqlite3.Connection, meta: MetadataStore, records: RecordStore, mint: IdMint,
                 *, hard_delete_allowed: Callable[[], bool], shuffle: Callable[[], bool]) -> None:
        self.db = db
        self.meta = meta
        self.records = records
        self.mint = mint
        self.hard_delete_allowed = hard_delete_allowed
        self.shuffle = shuffle
        db.execute("CREATE TABLE IF NOT EXISTS bulk_jobs (id TEXT PRIMARY KEY, info TEXT, upload TEXT, "
                   "results TEXT)")

    def info(self, job_id: str) -> dict[str, Any]:
        """The job's JSON, or 404 NOT_FOUND."""
        row = self.db.execute("SELECT info FROM bulk_jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        return dict(json.loads(row[0]))

    def _save(self, info: dict[str, Any], **columns: str) -> None:
        sets = ", ".join(["info = ?", *(f"{k} = ?" for k in columns)])
        self.db.execute(f"UPDATE bulk_jobs SET {sets} WHERE id = ?", (json.dumps(info), *columns.values(), info["id"]))

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /jobs/ingest: an Open job."""
        operation = str(body.get("operation") or "")
        if operation not in OPERATIONS:
            raise SalesforceError("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        if operation == "hardDelete" and not self.hard_delete_allowed():
            raise SalesforceError("INVALIDJOB", "InvalidJob : hardDelete needs the Bulk API Hard Delete permission")
        obj = self.meta.find(str(body.get("object") or ""))
        if obj is None:
            raise SalesforceError("INVALIDJOB", f"InvalidJob : Unable to find object: {body.get('object')}")
        if operation == "upsert" and not body.get("externalIdFieldName"):
            raise SalesforceError("INVALIDJOB", "InvalidJob : External ID was blank for upsert")
        job_id = self.mint.new("750")
        info = {"id": job_id, "operation": operation, "object": obj.name, "state": "Open",
                "externalIdFieldName": body.get("externalIdFieldName"), "contentType": "CSV",
                "columnDelimiter": "COMMA", "lineEnding": str(body.get("lineEnding") or "LF"), "apiVersion": 59.0,
                "contentUrl": f"services/data/v{API_VERSION}/jobs/ingest/{job_id}/batches",
                "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "errorMessage": None}
        self.db.execute("INSERT INTO bulk_jobs VALUES (?, ?, '', '{}')", (job_id, json.dumps(info)))
        return info

    def upload(self, job_id: str, data: bytes) -> None:
        """PUT <contentUrl>: the CSV, only while the job is Open."""
        info = self.info(job_id)
        if info["state"] != "Open":
            raise SalesforceError("INVALIDJOBSTATE", f"Job is not in Open state: {info['state']}", status=409)
        if len(data) > MAX_UPLOAD:
            raise SalesforceError("EXCEEDED_QUOTA", "Upload exceeds 150 MB", status=413)
        self._save(info, upload=data.decode("utf-8"))

    def change_state(self, job_id: str, state: str) -> dict[str, Any]:
        """PATCH /jobs/ingest/<id>: UploadComplete runs the job; Aborted stops an open one."""
        info = self.info(job_id)
        if state not in ("UploadComplete", "Aborted") or info["state"] != "Open":
            raise SalesforceError("INVALIDJOBSTATE", f"Cannot change job state from {info['state']} to {state}")
        if state == "Aborted":
            info["state"] = "Aborted"
            self._save(info)
            return info
        upload = self.db.execute("SELECT upload FROM bulk_jobs WHERE id = ?", (job_id,)).fetchone()[0]
        rows = list(csv.DictReader(io.StringIO(upload)))
        done, failed = self._run(info, rows)
        info.update(state="JobComplete", numberRecordsProcessed=len(rows), numberRecordsFailed=len(failed))
        if self.shuffle():  # results come back in an order unrelated to the upload (§2.6): match on columns
            done.reverse()
            failed.reverse()
        self._save(info, results=json.dumps({"done": done, "failed": failed}))
        return info

    def _run(self, info: dict[str, Any], rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        obj = self.meta.get(info["object"])
        done: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        for row in rows:
            # Bulk CSV: an empty cell leaves the field alone, #N/A sets it to null
            values = {k: (None if v == "#N/A" else v) for k, v in row.items() if v != ""}
            record_id, created = row.get("Id", ""), False
            self.db.execute("SAVEPOINT bulk_row")
            try:
                if info["operation"] == "insert":
                    record_id, created = self.records.create(obj, values), True
                elif info["operation"] == "update":
                    record_id = self.records.update(obj, row.get("Id", ""), {k: v for k, v in values.items()
                                                                              if k != "Id"})
                elif info["operation"] == "upsert":
                    ext = self.records.field(obj, str(info["externalIdFieldName"]))
                    record_id, created = self.records.upsert(obj, ext, values.get(ext.name), values)
                else:
                    record_id = self.records.delete(obj, row.get("Id", ""))
                    if info["operation"] == "hardDelete":
                        self.db.execute("DELETE FROM records WHERE id = ?", (record_id,))
            except (SalesforceError, RequestError) as exc:
                self.db.execute("ROLLBACK TO bulk_row")
                self.db.execute("RELEASE bulk_row")
                failed.append({"sf__Id": record_id or "", "sf__Error": f"{exc.code}:{exc.message}:--", **row})
                continue
            self.db.execute("RELEASE bulk_row")
            done.append({"sf__Id": record_id, "sf__Created": str(created).lower(), **row})
        return done, failed

    def results(self, job_id: str, kind: str) -> str:
        """successfulResults / failedResults / unprocessedrecords as CSV text."""
        info = self.info(job_id)
        stored = json.loads(self.db.execute("SELECT results FROM bulk_jobs WHERE id = ?", (job_id,)).fetchone()[0])
        upload = self.db.execute("SELECT upload FROM bulk_jobs WHERE id = ?", (job_id,)).fetchone()[0]
        columns = next(csv.reader(io.StringIO(upload)), [])
        if kind == "unprocessedrecords":
            header, rows = columns, [] if info["state"] == "JobComplete" else list(csv.DictReader(io.StringIO(upload)))
        elif kind == "successfulResults":
            header, rows = ["sf__Id", "sf__Created", *columns], stored.get("done", [])
        else:
            header, rows = ["sf__Id", "sf__Error", *columns], stored.get("failed", [])
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def delete(self, job_id: str) -> None:
        """DELETE /jobs/ingest/<id>: only a finished or aborted job."""
        info = self.info(job_id)
        if info["state"] not in ("JobComplete", "Failed", "Aborted"):
            raise SalesforceError("INVALIDJOBSTATE", "Only closed jobs can be deleted")
        self.db.execute("DELETE FROM bulk_jobs WHERE id = ?", (job_id,))


def bulk_handlers(jobs: BulkJobs) -> list[tuple[str, Handler, list[str]]]:
    """(path under /services/data/vXX.X, handler, methods) for the ingest endpoints."""

    async def create(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise RequestError("JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON value") from None
        with transaction(jobs.db):
            return json_response(jobs.create(body if isinstance(body, dict) else {}))

    async def one(request: Request) -> Response:
        job_id = request.path_params["job"]
        if request.method == "GET":
            return json_response(jobs.info(job_id))
        if request.method == "DELETE":
            with transaction(jobs.db):
                jobs.delete(job_id)
            return Response(status_code=204)
        body = json.loads(await request.body() or b"{}")
        with transaction(jobs.db):
            info = jobs.change_state(job_id, str(body.get("state") or ""))
        return json_response(info)

    async def upload(request: Request) -> Response:
        data = await request.body()
        with transaction(jobs.db):
            jobs.upload(request.path_params["job"], data)
        return Response(status_code=201)

    async def results(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in ("successfulResults", "failedResults", "unprocessedrecords"):
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        text = jobs.results(request.path_params["job"], kind)
        return Response(text, media_type=_TEXT_CSV)

    return [("/jobs/ingest", create, ["POST"]),
            ("/jobs/ingest/{job}", one, ["GET", "PATCH", "DELETE"]),
            ("/jobs/ingest/{job}/batches", upload, ["PUT"]),
            ("/jobs/ingest/{job}/{kind}", results, ["GET"])]
