"""The Dentally emulator over real HTTP: envelopes, paging, filters, auth, rate limits, faults."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators._dentally_fixture import write_practice
from connectors.emulators.dentally import LOCAL_CREDENTIALS, create_app
from connectors.emulators.serve import RunningServer, free_port, start_in_thread
from connectors.sources._dentally_catalog import RESOURCES, TYPES

TOKEN = LOCAL_CREDENTIALS["BRIDGEWORK_DENTALLY_TOKEN"]
NOW = 1_750_001_234.0  # 2025-06-15 15:27:14 UTC; the next top of the hour is 1_750_003_200
HAS_DEMO = importlib.util.find_spec("connectors.sources.demo") is not None


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_practice(tmp_path_factory.mktemp("dentally") / "practice.sqlite", patients=230)


@pytest.fixture(scope="module")
def server(practice: Path) -> Iterator[RunningServer]:
    running = start_in_thread(create_app(practice))
    yield running
    running.stop()


@pytest.fixture()
def api(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "tests"}) as client:
        yield client
        client.post("/_emulator/faults", json={"unstable_every": 0, "throttle_every": 0, "error_every": 0,
                                               "hourly_limit": 3600, "now": None})


def faults(api: httpx.Client, **switches: Any) -> None:
    assert api.post("/_emulator/faults", json=switches).status_code == 200


def db_ids(practice: Path, sql: str, *args: Any) -> list[Any]:
    with sqlite3.connect(practice) as conn:
        return [r[0] for r in conn.execute(sql, args)]


def test_list_envelope_meta_and_default_page_size(api: httpx.Client) -> None:
    body = api.get("/v1/patients").json()
    assert set(body) == {"patients", "meta"}
    assert len(body["patients"]) == 25
    assert body["meta"]["page"] == 1 and body["meta"]["total_count"] == 230 and body["meta"]["total_pages"] == 10


@pytest.mark.parametrize(("asked", "served"), [(100, 100), (7, 7), (101, 25), (500, 25), (0, 25)])
def test_per_page_over_100_silently_falls_back_to_25(api: httpx.Client, asked: int, served: int) -> None:
    assert len(api.get("/v1/patients", params={"per_page": asked}).json()["patients"]) == served


def test_pages_past_the_end_are_empty_and_the_last_page_is_short(api: httpx.Client) -> None:
    assert len(api.get("/v1/patients", params={"per_page": 100, "page": 3}).json()["patients"]) == 30
    assert api.get("/v1/patients", params={"per_page": 100, "page": 4}).json()["patients"] == []


def test_single_record_envelope_and_json_404(api: httpx.Client) -> None:
    assert api.get("/v1/patients/7").json()["patient"]["id"] == 7
    missing = api.get("/v1/patients/999999")
    assert missing.status_code == 404 and "error" in missing.json()
    assert "practice" in api.get("/v1/practice").json()


def test_sorting(api: httpx.Client) -> None:
    desc = api.get("/v1/patients", params={"sort_by": "id", "sort_direction": "desc", "per_page": 3}).json()["patients"]
    assert [p["id"] for p in desc] == [230, 229, 228]
    assert api.get("/v1/patients", params={"sort_by": "nonsense"}).status_code == 400


def test_values_as_the_api_sends_them(api: httpx.Client) -> None:
    patient = api.get("/v1/patients/3").json()["patient"]
    assert isinstance(patient["active"], bool) and isinstance(patient["custom_fields"], list)
    invoice = api.get("/v1/invoices/3").json()["invoice"]
    assert isinstance(invoice["amount"], str)
    assert [i["total_price"] for i in invoice["invoice_items"]] == ["95.5", "-19.5"]
    practitioner = api.get("/v1/practitioners/1").json()["practitioner"]
    assert isinstance(practitioner["user"], dict)


def test_bearer_token_required(server: RunningServer) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = httpx.get(f"{server.url}/v1/patients", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json") and "error" in response.json()


def test_user_agent_required(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        del client.headers["User-Agent"]
        response = client.get("/v1/patients")
    assert response.status_code == 403 and "error" in response.json()


def test_errors_are_json_never_html(api: httpx.Client) -> None:
    for response in (api.get("/nothing/here"), api.post("/v1/patients"), api.get("/v1/unknown_things")):
        assert response.status_code in (404, 405)
        assert response.headers["content-type"].startswith("application/json")


def test_appointments_need_after_and_before(api: httpx.Client, practice: Path) -> None:
    for params in ({}, {"after": "2024-01-01"}, {"before": "2025-01-01"}):
        response = api.get("/v1/appointments", params=params)
        assert response.status_code == 400 and "after" in response.json()["error"]["message"]
    window = {"after": "2024-03-01T00:00:00Z", "before": "2024-06-01T00:00:00Z", "per_page": 100}
    got = api.get("/v1/appointments", params=window).json()
    expected = db_ids(practice, "SELECT id FROM appointments WHERE start_time >= ? AND start_time < ?",
                      "2024-03-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z")
    assert got["meta"]["total_count"] == len(expected)
    one = api.get("/v1/appointments", params={**window, "patient_id": 5}).json()["appointments"]
    assert {a["patient_id"] for a in one} <= {5}
    site = db_ids(practice, "SELECT site_id FROM practitioners WHERE id = 1")[0]
    by_site = api.get("/v1/appointments", params={**window, "site_id": site}).json()["appointments"]
    assert by_site and {a["practitioner_id"] for a in by_site} <= set(db_ids(practice, "SELECT id FROM practitioners WHERE site_id = ?", site))


def test_updated_after_and_created_filters(api: httpx.Client, practice: Path) -> None:
    since = "2024-12-01T00:00:00.000Z"
    changed = db_ids(practice, "SELECT id FROM patients WHERE updated_at > ?", since)
    assert 0 < len(changed) < 230
    assert api.get("/v1/patients", params={"updated_after": "2024-12-01T00:00:00Z"}).json()["meta"]["total_count"] == len(changed)
    created = api.get("/v1/patients", params={"created_after": "2024-01-02", "created_before": "2024-01-03"}).json()
    assert created["meta"]["total_count"] == len(db_ids(
        practice, "SELECT id FROM patients WHERE created_at > ? AND created_at < ?", "2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"))
    assert api.get("/v1/patients", params={"updated_after": "yesterday"}).status_code == 400


def test_invoice_date_filters(api: httpx.Client, practice: Path) -> None:
    body = api.get("/v1/invoices", params={"dated_on_after": "2024-01-02", "dated_on_before": "2024-01-03"}).json()
    expected = db_ids(practice, "SELECT id FROM invoices WHERE dated_on BETWEEN '2024-01-02' AND '2024-01-03'")
    assert body["meta"]["total_count"] == len(expected) > 0


def test_rate_limit_headers_count_per_clock_hour(api: httpx.Client) -> None:
    faults(api, now=NOW, hourly_limit=3)
    seen = [api.get("/v1/sites") for _ in range(4)]
    assert [r.headers["x-ratelimit-remaining"] for r in seen[:3]] == ["2", "1", "0"]
    assert {r.headers["x-ratelimit-limit"] for r in seen} == {"3"}
    assert seen[0].headers["x-ratelimit-reset"] == "1750003200"
    assert seen[3].status_code == 429 and "error" in seen[3].json()
    faults(api, now=NOW + 3600)  # the next clock hour: a fresh budget (faults reset counters too)
    assert api.get("/v1/sites").status_code == 200


def test_throttle_and_error_every_nth_request(api: httpx.Client) -> None:
    faults(api, throttle_every=3)
    statuses = [api.get("/v1/sites").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    faults(api, throttle_every=0, error_every=2)
    responses = [api.get("/v1/sites") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 503, 200, 503]
    assert responses[1].json()["error"]["type"] == "unavailable"


def test_unstable_ordering_repeats_and_skips_rows(api: httpx.Client) -> None:
    faults(api, unstable_every=2)
    ids: list[int] = []
    for page in range(1, 11):
        ids += [p["id"] for p in api.get("/v1/patients", params={"page": page}).json()["patients"]]
    assert len(ids) != len(set(ids))  # repeats
    assert len(set(ids)) < 230  # skips


def test_switches_from_environment_and_keywords(practice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_HOURLY_LIMIT", "10")
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_UNSTABLE_EVERY", "4")
    switches = create_app(practice, throttle_every=5).state.emulator.switches
    assert (switches.hourly_limit, switches.unstable_every, switches.throttle_every) == (10, 4, 5)


def test_admin_endpoint_rejects_unknown_switches(api: httpx.Client) -> None:
    response = api.post("/_emulator/faults", json={"explode": 1})
    assert response.status_code == 400 and "unknown switch" in response.json()["error"]["message"]


@pytest.mark.skipif(not HAS_DEMO, reason="the demo generator has not landed yet")
def test_demo_practice_follows_the_dentally_layout(tmp_path: Path) -> None:
    from connectors.sources.demo import generate_practice

    path = tmp_path / "demo.sqlite"
    generate_practice(path, patients=30, sites=2, seed=7, layout="dentally")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {r.name for r in RESOURCES} <= tables
        for resource in RESOURCES:
            columns = {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{resource.name}")')}
            assert "id" in columns
            for name in {n for n, t in TYPES[resource.name].items() if t == "json"} & set(columns):
                for (value,) in conn.execute(f'SELECT "{name}" FROM "{resource.name}" WHERE "{name}" IS NOT NULL LIMIT 5'):
                    json.loads(value)
            for name in {n for n, t in TYPES[resource.name].items() if t == "money"} & set(columns):
                for (value,) in conn.execute(f'SELECT "{name}" FROM "{resource.name}" WHERE "{name}" IS NOT NULL LIMIT 5'):
                    assert isinstance(value, str)
        stamps = [r[0] for r in conn.execute("SELECT updated_at FROM patients LIMIT 5")]
        assert all(len(s) == 24 and s.endswith(".000Z") for s in stamps)


@pytest.mark.skipif(not HAS_DEMO, reason="the demo generator has not landed yet")
def test_missing_state_generates_a_demo_practice(tmp_path: Path) -> None:
    state = tmp_path / "dentally.sqlite"
    running = start_in_thread(create_app(state))
    try:
        body = httpx.get(f"{running.url}/v1/patients", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    finally:
        running.stop()
    assert body["meta"]["total_count"] == 200 and state.stat().st_size > 0


def test_bridgework_emulate_dentally_serves_a_practice(practice: Path) -> None:
    port = free_port()
    command = [sys.executable, "-c", "from ui.cli import main; main()", "emulate", "dentally",
               "--port", str(port), "--state", str(practice)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/sites", headers={"Authorization": f"Bearer {TOKEN}"})
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["meta"]["total_count"] == 2
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"BRIDGEWORK_DENTALLY_TOKEN={TOKEN}" in output
