"""Filling a picklist's value map in the review app (streamlit.testing): codes in, options out, saved at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from executor.workspace import Workspace
from mapper.schema import Schema
from mapper.spec import FieldMap, MappingSpec, TransformStep
from mapper.transforms import Chain, TransformError
from tests.ui.conftest import MAP_ID, open_review, picklist_workspace_at
from ui.value_maps import LEAVE_EMPTY, NOT_MAPPED, REJECT, apply_choices, known_codes


def test_the_editor_lists_the_source_codes_and_saves_a_working_map(picklist_workspace: Workspace) -> None:
    at = open_review()
    editor = at.data_editor(key=f"value_map_{MAP_ID}_status")
    assert sorted(editor.value["Source code"]) == ["1", "2"]
    assert set(editor.value["Destination option"]) == {NOT_MAPPED}  # nothing chosen yet: the admin decides
    codes = list(editor.value["Source code"])
    at.session_state[f"value_map_{MAP_ID}_status"] = {
        "edited_rows": {codes.index("1"): {"Destination option": "active"},
                        codes.index("2"): {"Destination option": "inactive"}},
        "added_rows": [{"Source code": "9", "Destination option": LEAVE_EMPTY}], "deleted_rows": []}
    at.run()
    at.selectbox(key=f"value_map_other_{MAP_ID}_status").set_value("archived").run()
    at.button(key="save_value_map").click().run()
    assert not at.exception, at.exception

    fm = MappingSpec.load(picklist_workspace.mapping_path).entities[0].fields[0]
    step = fm.transforms[0]
    assert step.args == {"map": {"1": "active", "2": "inactive", "9": None}, "default": "archived"}
    assert fm.status == "confirmed" and fm.decision.by
    chain = Chain(fm.transforms)
    assert [chain(code)[0] for code in ("1", " 2 ", "9", "7")] == ["active", "inactive", None, "archived"]

    again = open_review()  # the saved map shows when the page opens again
    shown = again.data_editor(key=f"value_map_{MAP_ID}_status").value
    assert dict(zip(shown["Source code"], shown["Destination option"])) == {"1": "active", "2": "inactive",
                                                                           "9": LEAVE_EMPTY}
    assert again.selectbox(key=f"value_map_other_{MAP_ID}_status").value == "archived"


def test_other_codes_can_still_be_refused() -> None:
    step = TransformStep(name="value_map", args={"map": {"1": "active"}, "default": "archived"})
    assert apply_choices(step, [("1", "active"), ("", "inactive"), ("2", float("nan")), ("3", None),
                                ("4", NOT_MAPPED)], REJECT) == 1
    assert step.args == {"map": {"1": "active"}}
    with pytest.raises(TransformError) as refused:
        Chain([step])("2")
    assert refused.value.code == "unknown_code"


def test_known_codes_keep_the_map_first_and_add_frequent_source_codes(tmp_path: Path) -> None:
    ws = picklist_workspace_at(tmp_path / "ws")
    source = Schema.load(ws.source_schema_path).entity("patient")
    fm = FieldMap(source="status", target="x_status")
    step = TransformStep(name="value_map", args={"map": {" 2": "inactive", "5": "archived"}})
    assert known_codes(fm, source, step) == [" 2", "5", "1"]
