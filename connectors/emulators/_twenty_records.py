"""The record half of the Twenty emulator: create/upsert, get, list, update, delete, restore in SQLite."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from connectors.emulators._twenty_filter import FilterError, compile_filter
from connectors.emulators._twenty_meta import MetadataStore, default_value, stored_key, unique_column
from connectors.emulators._twenty_schema import COMPOSITES, INVITED_MEMBERS, SAMPLE_COMPANIES, WORKSPACE_MEMBER, stable_id
from connectors.emulators._twenty_values import ApiError, bad, check_uuid, composite, iso_now, scalar

RECORD_SQL = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, object TEXT NOT NULL, id TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records (object, id);
CREATE INDEX IF NOT EXISTS records_live ON records (object, deleted, seq);
CREATE TABLE IF NOT EXISTS uniq (object TEXT, key TEXT, value TEXT, id TEXT, PRIMARY KEY (object, key, value));
"""

SERVER_MANAGED = frozenset({"updatedAt", "deletedAt", "createdBy", "searchVector"})


class RecordStore:
    """Records of every object as JSON documents; unique values in their own table."""

    def __init__(self, db: sqlite3.Connection, meta: MetadataStore, profile: str, now: Callable[[], datetime]) -> None:
        self.db = db
        self.meta = meta
        self.profile = profile
        self._now = now
        self._last = datetime.min.replace(tzinfo=timezone.utc)
        self.db.executescript(RECORD_SQL)

    def timestamp(self) -> str:
        """Now, strictly after the previous timestamp handed out (so updatedAt always moves)."""
        moment = max(self._now(), self._last + timedelta(milliseconds=1))
        self._last = moment
        return iso_now(moment)

    def seed(self, samples: bool) -> None:
        """The workspace member (always) and, when asked, two invited members, the five sample companies and their people."""
        if self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0]:
            return
        self.create("workspaceMember", [{"id": stable_id("sample", "member"), "userId": stable_id("sample", "user"),
                                         **WORKSPACE_MEMBER}], upsert=False)
        if not samples:
            return
        self.create("workspaceMember", [{"id": stable_id("sample", "member", email), "userId": stable_id("sample", "user", email),
                                         "name": {"firstName": first, "lastName": last}, "userEmail": email}
                                        for first, last, email in INVITED_MEMBERS], upsert=False)
        companies = [{"id": stable_id("sample", "company", name), "name": name,
                      "domainName": {"primaryLinkUrl": url, "primaryLinkLabel": ""}}
                     for name, url, *_ in SAMPLE_COMPANIES]
        self.create("company", companies, upsert=False)
        people = [{"id": stable_id("sample", "person", email), "name": {"firstName": first, "lastName": last},
                   "emails": {"primaryEmail": email}, "companyId": stable_id("sample", "company", name)}
                  for name, _, first, last, email in SAMPLE_COMPANIES]
        self.create("person", people, upsert=False)

    # --- documents -----------------------------------------------------------------------

    def _fields(self, obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {key: f for f in self.meta.active_fields(obj) if (key := stored_key(f))}

    def _apply(self, obj: dict[str, Any], body: dict[str, Any], doc: dict[str, Any], *, creating: bool) -> None:
        fields = self._fields(obj)
        name = obj["nameSingular"]
        for key, value in body.items():
            field = fields.get(key)
            if field is None:
                if key == "body" and name in ("note", "task"):
                    raise bad("Rich text is not supported, please use RICH_TEXT_V2 instead")
                raise bad(f'Object {name} doesn\'t have any "{key}" field.')
            if key in SERVER_MANAGED or (key == "id" and not creating):
                continue
            if field["type"] in COMPOSITES:
                doc[key] = composite(key, field["type"], value, doc.get(key))
            elif field["type"] == "RELATION":
                doc[key] = None if value is None else check_uuid(value)
            elif key == "id":
                doc[key] = check_uuid(value)
            else:
                doc[key] = scalar(name, field, value)

    def _new_doc(self, obj: dict[str, Any], body: dict[str, Any], seq: int) -> dict[str, Any]:
        now = self.timestamp()
        doc: dict[str, Any] = {}
        for key, field in self._fields(obj).items():
            doc[key] = default_value(field)
        doc.update({"id": str(uuid.uuid4()), "createdAt": now, "updatedAt": now, "deletedAt": None, "position": seq,
                    "createdBy": {"source": "API", "workspaceMemberId": None, "name": "API key", "context": {}}})
        self._apply(obj, body, doc, creating=True)
        if "createdAt" not in body or body["createdAt"] is None:
            doc["createdAt"] = now
        return doc

    def _out(self, obj: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
        """A stored document in the depth-0 REST shape: active fields only, in metadata order."""
        return {key: doc.get(key, default_value(f)) for key, f in self._fields(obj).items()}

    # --- integrity -----------------------------------------------------------------------

    def _unique_values(self, obj: dict[str, Any], doc: dict[str, Any]) -> list[tuple[str, str, str]]:
        out = []
        for field in self.meta.active_fields(obj):
            if not field.get("isUnique"):
                continue
            path, column = unique_column(field)
            value: Any = doc.get(field["name"])
            if "." in path:
                value = (value or {}).get(path.split(".", 1)[1])
            if value not in (None, ""):  # empty values never collide (partial index)
                out.append((path, column, value if isinstance(value, str) else json.dumps(value)))
        return out

    def _duplicate(self, obj: dict[str, Any], column: str) -> ApiError:
        index = "IDX_UNIQUE_" + hashlib.sha1(f"{obj['nameSingular']}.{column}".encode()).hexdigest()[:27]
        label = next((f["label"] for f in obj["fields"] if f.get("isUnique") and unique_column(f)[1] == column), column)
        graphql = f"Duplicate {label}. Please set a unique one."  # GraphQL wording (reference §1.5)
        if self.profile == "2025-06":
            return ApiError(400, f'duplicate key value violates unique constraint "{index}"', graphql_message=graphql)
        return ApiError(400, f'A duplicate entry for {column} was found. This is not allowed. '
                             f'Details: unique constraint "{index}" was violated', graphql_message=graphql)

    def _check_unique(self, obj: dict[str, Any], docs: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
        name = obj["nameSingular"]
        rows: list[tuple[str, str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for doc in docs:
            for path, column, value in self._unique_values(obj, doc):
                if (path, value) in seen:
                    raise self._duplicate(obj, column)
                seen.add((path, value))
                holder = self.db.execute("SELECT id FROM uniq WHERE object = ? AND key = ? AND value = ?",
                                         (name, path, value)).fetchone()
                if holder and holder[0] != doc["id"]:
                    raise self._duplicate(obj, column)
                rows.append((name, path, value, doc["id"]))
        return rows

    def _check_references(self, obj: dict[str, Any], docs: list[dict[str, Any]]) -> None:
        batch_ids = {d["id"] for d in docs}
        for key, field in self._fields(obj).items():
            if field["type"] != "RELATION":
                continue
            target = field["relation"]["target"]
            wanted = {d[key] for d in docs if d.get(key)} - (batch_ids if target == obj["nameSingular"] else set())
            if not wanted:
                continue
            marks = ",".join("?" * len(wanted))
            found = {r[0] for r in self.db.execute(f"SELECT id FROM records WHERE object = ? AND id IN ({marks})",
                                                   (target, *wanted))}
            if wanted - found:
                fk = "FK_" + hashlib.sha1(f"{obj['nameSingular']}.{key}".encode()).hexdigest()[:27]
                raise bad(f'insert or update on table "{obj["nameSingular"]}" violates foreign key constraint "{fk}"')

    # --- writes --------------------------------------------------------------------------

    def create(self, name: str, bodies: list[dict[str, Any]], *, upsert: bool) -> list[dict[str, Any]]:
        """Insert (or with `upsert`, update on id / unique match) every body, all or nothing."""
        obj = self.meta.objects[name]
        with self.db:
            docs = [self._upsert_one(obj, body) for body in bodies] if upsert else self._insert(obj, bodies)
        return [self._out(obj, d) for d in docs]

    def _insert(self, obj: dict[str, Any], bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        name = obj["nameSingular"]
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
        docs = [self._new_doc(obj, body, seq + i + 1) for i, body in enumerate(bodies)]
        ids = [d["id"] for d in docs]
        marks = ",".join("?" * len(ids))
        if len(set(ids)) != len(ids) or self.db.execute(
            f"SELECT 1 FROM records WHERE object = ? AND id IN ({marks}) LIMIT 1", (name, *ids)
        ).fetchone():
            raise bad("Record already exists")
        uniques = self._check_unique(obj, docs)
        self._check_references(obj, docs)
        self.db.executemany("INSERT INTO records (object, id, data) VALUES (?, ?, ?)",
                            [(name, d["id"], json.dumps(d)) for d in docs])
        self.db.executemany("INSERT INTO uniq VALUES (?, ?, ?, ?)", uniques)
        return docs

    def _upsert_one(self, obj: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Updates on an id match, then on a unique-field match; inserts otherwise (reference §1.5)."""
        name = obj["nameSingular"]
        match: str | None = None
        if body.get("id") is not None:
            row = self.db.execute("SELECT id FROM records WHERE object = ? AND id = ? AND deleted = 0",
                                  (name, check_uuid(body["id"]))).fetchone()
            match = row[0] if row else None
        if match is None:
            probe = self._new_doc(obj, body, 0)
            for path, _, value in self._unique_values(obj, probe):
                row = self.db.execute("SELECT id FROM uniq WHERE object = ? AND key = ? AND value = ?",
                                      (name, path, value)).fetchone()
                if row:
                    match = row[0]
                    break
        if match is None:
            return self._insert(obj, [body])[0]
        return self._patch(obj, match, {k: v for k, v in body.items() if k != "id"})

    def _load(self, name: str, record_id: str, *, deleted: bool = False) -> dict[str, Any]:
        record_id = check_uuid(record_id)
        row = self.db.execute("SELECT data, deleted FROM records WHERE object = ? AND id = ?", (name, record_id)).fetchone()
        if row is None or bool(row[1]) != deleted:
            raise bad("Record not found")
        doc: dict[str, Any] = json.loads(row[0])
        return doc

    def _save(self, obj: dict[str, Any], doc: dict[str, Any], *, deleted: bool = False) -> None:
        name = obj["nameSingular"]
        self.db.execute("DELETE FROM uniq WHERE object = ? AND id = ?", (name, doc["id"]))
        uniques = [] if deleted and self.profile == "2025-06" else self._check_unique(obj, [doc])
        self._check_references(obj, [doc])
        self.db.execute("UPDATE records SET data = ?, deleted = ? WHERE object = ? AND id = ?",
                        (json.dumps(doc), int(deleted), name, doc["id"]))
        self.db.executemany("INSERT INTO uniq VALUES (?, ?, ?, ?)", uniques)

    def update(self, name: str, record_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH: merge `body` over the record; updatedAt moves."""
        obj = self.meta.objects[name]
        with self.db:
            doc = self._patch(obj, record_id, body)
        return self._out(obj, doc)

    def _patch(self, obj: dict[str, Any], record_id: str, body: dict[str, Any]) -> dict[str, Any]:
        doc = self._load(obj["nameSingular"], record_id)
        self._apply(obj, body, doc, creating=False)
        doc["updatedAt"] = self.timestamp()
        self._save(obj, doc)
        return doc

    def delete(self, name: str, record_id: str, *, soft: bool) -> str:
        """Hard delete with cascades, or (soft) set deletedAt."""
        obj = self.meta.objects[name]
        with self.db:
            doc = self._load(name, record_id)
            if soft:
                doc["deletedAt"] = self.timestamp()
                self._save(obj, doc, deleted=True)
            else:
                self._destroy(name, doc["id"])
        return str(doc["id"])

    def restore(self, name: str, record_id: str) -> dict[str, Any]:
        """Undo a soft delete."""
        obj = self.meta.objects[name]
        with self.db:
            doc = self._load(name, record_id, deleted=True)
            doc["deletedAt"] = None
            self._save(obj, doc)
        return self._out(obj, doc)

    def _destroy(self, name: str, record_id: str) -> None:
        self.db.execute("DELETE FROM records WHERE object = ? AND id = ?", (name, record_id))
        self.db.execute("DELETE FROM uniq WHERE object = ? AND id = ?", (name, record_id))
        for other in self.meta.objects.values():
            for field in self.meta.active_fields(other):
                rel = field.get("relation") or {}
                if rel.get("target") != name or rel.get("type") != "MANY_TO_ONE":
                    continue
                path = f'$."{field["name"]}Id"'
                if rel["onDelete"] == "CASCADE":
                    children = [r[0] for r in self.db.execute(
                        "SELECT id FROM records WHERE object = ? AND json_extract(data, ?) = ?",
                        (other["nameSingular"], path, record_id))]
                    for child in children:
                        self._destroy(other["nameSingular"], child)
                else:
                    self.db.execute("UPDATE records SET data = json_set(data, ?, NULL) "
                                    "WHERE object = ? AND json_extract(data, ?) = ?",
                                    (path, other["nameSingular"], path, record_id))

    def add_column(self, name: str, key: str, value: Any) -> None:
        """A new field's default written into existing records (ALTER TABLE ADD COLUMN ... DEFAULT)."""
        with self.db:
            self.db.execute("UPDATE records SET data = json_set(data, ?, json(?)) WHERE object = ?",
                            (f'$."{key}"', json.dumps(value), name))

    def index_uniques(self) -> None:
        """Expression indexes on unique TEXT fields, as Postgres has, so lookups by them stay fast."""
        for obj in self.meta.objects.values():
            for field in self.meta.active_fields(obj):
                if field.get("isUnique") and field["type"] == "TEXT":
                    index = "idx_" + hashlib.sha1(f"{obj['nameSingular']}.{field['name']}".encode()).hexdigest()[:16]
                    self.db.execute(f"CREATE INDEX IF NOT EXISTS {index} ON records "
                                    f"(object, {json_column(field['name'])})")
        self.db.commit()

    def drop_column(self, name: str, key: str, unique_path: str | None) -> None:
        """A deleted (or deactivated, for uniques) field's values leave every record."""
        with self.db:
            if unique_path:
                self.db.execute("DELETE FROM uniq WHERE object = ? AND key = ?", (name, unique_path))
            self.db.execute("UPDATE records SET data = json_remove(data, ?) WHERE object = ?", (f'$."{key}"', name))

    def drop_object(self, name: str) -> None:
        """Every record of a deleted custom object."""
        with self.db:
            self.db.execute("DELETE FROM records WHERE object = ?", (name,))
            self.db.execute("DELETE FROM uniq WHERE object = ?", (name,))

    # --- reads ---------------------------------------------------------------------------

    def get(self, name: str, record_id: str) -> dict[str, Any]:
        """One live record."""
        obj = self.meta.objects[name]
        return self._out(obj, self._load(name, record_id))

    def list(self, name: str, *, filter_text: str | None, limit: int, starting_after: str | None) -> dict[str, Any]:
        """A page in the REST list shape: records, pageInfo, totalCount."""
        obj = self.meta.objects[name]
        fields = self._fields(obj)

        def column(path: str) -> tuple[str, str]:
            if path == "id":
                return "id", "UUID"
            head, _, sub = path.partition(".")
            field = fields.get(head)
            missing = head if field is None else sub if sub and sub not in COMPOSITES.get(field["type"], ()) else None
            if missing is not None or field is None:
                table = f"_{name}" if obj["isCustom"] else name
                raise FilterError(f"field '{missing}' does not exist in '{table}' object")
            return json_column(head, sub), field["type"]

        where, params = "object = ?", [name]
        deleted_clause = " AND deleted = 0"
        if filter_text:
            try:
                sql, values, paths = compile_filter(filter_text, column)
            except FilterError as exc:
                raise bad(str(exc)) from None
            where += f" AND ({sql})"
            params += values
            if "deletedAt" in paths:  # asking about deletedAt is how Twenty shows soft-deleted records
                deleted_clause = ""
        where += deleted_clause
        total = self.db.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()[0]
        after = 0
        if starting_after:
            after = self._cursor_seq(name, starting_after)
        rows = self.db.execute(f"SELECT seq, data FROM records WHERE {where} AND seq > ? ORDER BY seq LIMIT ?",
                               (*params, after, limit + 1)).fetchall()
        page = rows[:limit]
        docs = [json.loads(data) for _, data in page]
        return {
            "records": [self._out(obj, d) for d in docs],
            "pageInfo": {
                "hasNextPage": len(rows) > limit,
                "startCursor": _cursor(docs[0]["id"]) if docs else None,
                "endCursor": _cursor(docs[-1]["id"]) if docs else None,
            },
            "totalCount": total,
        }

    def _cursor_seq(self, name: str, cursor: str) -> int:
        try:
            record_id = json.loads(base64.b64decode(cursor.encode()).decode())["id"]
        except (ValueError, KeyError, TypeError):
            raise bad("Invalid cursor") from None
        row = self.db.execute("SELECT seq FROM records WHERE object = ? AND id = ?", (name, record_id)).fetchone()
        if row is None:
            raise bad("Invalid cursor")
        return int(row[0])

    def counts(self) -> dict[str, int]:
        """Live records per object (for GET /_emulator/state)."""
        return {o: n for o, n in self.db.execute(
            "SELECT object, COUNT(*) FROM records WHERE deleted = 0 GROUP BY object ORDER BY object")}


def json_column(head: str, sub: str = "") -> str:
    """The SQL expression of a field (or subfield) inside a record document."""
    path = f'$."{head}"' + (f'."{sub}"' if sub else "")
    return f"json_extract(data, '{path}')"


def _cursor(record_id: str) -> str:
    return base64.b64encode(json.dumps({"id": record_id}).encode()).decode()
