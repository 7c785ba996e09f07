"""The review app, driven with streamlit.testing: every decision lands in mapping.yaml at once."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from executor.workspace import Workspace
from mapper.spec import MappingSpec
from tests.ui.conftest import APP, open_review


def _spec(ws: Workspace) -> MappingSpec:
    return MappingSpec.load(ws.mapping_path)


def test_review_page_shows_proposals(review_workspace: Workspace) -> None:
    at = open_review()
    assert at.title[0].value == "Review the map"
    assert [m.value for m in at.metric][:3] == ["5", "0", "5"]
    frame = at.data_editor[0].value
    assert list(frame["Source field"]) == ["firstname", "pager", "emailaddr", "birthdate", "status"]
    assert "@" not in " ".join(frame["Samples (masked)"]) or "•" in " ".join(frame["Samples (masked)"])


def test_confirm_a_field(review_workspace: Workspace) -> None:
    at = open_review()
    at.selectbox(key="field_pick").set_value(1).run()
    at.button(key="confirm_field").click().run()
    assert not at.exception
    fm = _spec(review_workspace).entities[0].fields[1]
    assert fm.status == "confirmed" and fm.target == "mobile" and fm.decision.by and fm.decision.at


def test_change_a_target(review_workspace: Workspace) -> None:
    at = open_review()
    at.selectbox(key="field_pick").set_value(1).run()
    at.selectbox(key="target_pick_patient->res.partner_1").set_value("phone").run()
    at.button(key="confirm_field").click().run()
    assert _spec(review_workspace).entities[0].fields[1].target == "phone"


def test_create_a_custom_field(review_workspace: Workspace) -> None:
    at = open_review()
    at.selectbox(key="field_pick").set_value(3).run()
    at.button(key="custom_field").click().run()
    fm = _spec(review_workspace).entities[0].fields[3]
    assert fm.kind == "custom" and fm.target == "custom:x_birthdate" and fm.custom is not None
    assert fm.custom.type == "date" and fm.status == "confirmed"


def test_bulk_accept_above_threshold(review_workspace: Workspace) -> None:
    at = open_review()
    at.slider(key="threshold").set_value(0.9).run()
    at.button(key="bulk_accept").click().run()
    statuses = [fm.status for fm in _spec(review_workspace).entities[0].fields]
    assert statuses == ["proposed", "confirmed", "confirmed", "proposed", "proposed"]


def test_skip_and_edit_in_the_table(review_workspace: Workspace) -> None:
    at = open_review()
    at.session_state["editor_patient->res.partner"] = {
        "edited_rows": {4: {"Target": "skip"}, 0: {"Confirm": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    fields = _spec(review_workspace).entities[0].fields
    assert fields[4].kind == "skip" and fields[4].status == "confirmed"
    assert fields[0].status == "confirmed"


def test_no_workspace_is_a_readable_message(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BRIDGEWORK_WORKSPACE", raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert "bridgework review --workspace" in at.error[0].value


def test_entity_level_choice_is_editable(review_workspace: Workspace) -> None:
    at = open_review()
    at.selectbox(key="entity_kind_patient->res.partner").set_value("merge").run()
    at.button(key="entity_save_patient->res.partner").click().run()
    assert not at.exception
    em = _spec(review_workspace).entities[0]
    assert em.kind == "merge" and em.status == "confirmed" and em.decision.by


def test_changed_since_last_review_shows_stale_decisions(review_workspace: Workspace) -> None:
    spec = _spec(review_workspace)
    spec.entities[0].fields[1].decision = spec.entities[0].fields[1].decision.model_copy(update={"status": "confirmed", "by": "ann"})
    spec.entities[0].fields[1].target = "pager_gone"
    spec.save(review_workspace.mapping_path)
    at = open_review()
    assert "no longer fit" in at.warning[0].value
    at.radio(key="show_filter").set_value("Changed since last review").run()
    assert list(at.data_editor[0].value["Source field"]) == ["pager"]
