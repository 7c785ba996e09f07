"""Eval pieces: case loading (empty descriptions and samples), metrics, variants keep gold aligned."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from evals.metrics import rank_of, reliability, score
from evals.runner import Case, GoldRow, Query, find_cases, load_case, normalise_type, warm_templates
from evals.variants import VARIANTS, make_variant
from mapper.errors import BridgeworkError
from mapper.propose import Candidate
from mapper.schema import Entity, Field, Schema


def _case() -> Case:
    src = Schema("dentrix", (Entity("patient", (Field("pager", description="Pager"), Field("first_name"), Field("ssn"))),))
    dst = Schema("salesforce", (Entity("Contact", (Field("MobilePhone", "phone"), Field("FirstName"))),))
    gold = (GoldRow("patient", "pager", "Contact", "MobilePhone", "direct"),
            GoldRow("patient", "first_name", "Contact", "FirstName", "direct"),
            GoldRow("patient", "ssn", "", "", "skip"))
    return Case("dentrix_salesforce", src, dst, gold, "salesforce")


def _q(att: str, decision: str, *targets: tuple[str, float]) -> Query:
    return Query("patient", att, decision, tuple(Candidate("Contact", t, s) for t, s in targets))


def test_metrics_hit_mrr_auto_accept_and_no_match() -> None:
    case = _case()
    queries = [_q("pager", "match", ("MobilePhone", 0.95), ("FirstName", 0.1)),
               _q("first_name", "match", ("MobilePhone", 0.5), ("FirstName", 0.4)),
               _q("ssn", "skip", ("FirstName", 0.01))]
    m = score([(case, queries)], auto_accept=0.9)
    assert (m.hit1, m.hit3, m.mrr) == (0.5, 1.0, 0.75)
    assert (m.auto_precision, m.auto_coverage, m.auto_precision_match_rows) == (1.0, 0.5, 1.0)
    assert (m.n_nomatch, m.nomatch_correct) == (1, 1.0)
    assert rank_of(case, queries[1]) == 2


def test_reliability_bins() -> None:
    import numpy as np

    bins = reliability(np.array([0.05, 0.95, 0.92]), np.array([0.0, 1.0, 0.0]))
    assert bins == [(0.0, 0.1, 0.0, 1), (0.9, 1.0, 0.5, 2)]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_keep_gold_pointing_at_real_fields(variant: str) -> None:
    case = make_variant(_case(), variant)
    names = {(e.name, f.name) for e in case.source.entities for f in e.fields}
    assert all((g.src_ent, g.src_att) in names for g in case.gold)
    assert case.variant == variant


def test_variants_change_what_they_say() -> None:
    assert make_variant(_case(), "nodesc").source.entities[0].fields[0].description == ""
    assert make_variant(_case(), "abbreviated").source.entities[0].fields[1].name != "first_name"


def test_load_case_with_empty_descriptions_and_samples(tmp_path: Path) -> None:
    folder = tmp_path / "x_odoo"
    folder.mkdir()
    with (folder / "source.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["TableName", "TableDesc", "ColumnName", "ColumnDesc", "ColumnType", "SampleValues"])
        w.writerow(["patient", "", "pager", "", "", ""])
        w.writerow(["patient", "", "email", "", "varchar(60)", "a@b.co | x@y.org"])
    with (folder / "target.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ObjectName", "ObjectDesc", "FieldName", "FieldLabel", "FieldType", "Required", "FieldDesc"])
        w.writerow(["res.partner", "", "mobile", "", "char", "", ""])
    (folder / "gold.csv").write_text("SRC_ENT,SRC_ATT,TGT_ENT,TGT_ATT,KIND\n")
    case = load_case(folder)
    assert case.destination_kind == "odoo"
    email = case.source.entities[0].fields[1]
    assert email.profile is not None and email.profile.share("email") == 1.0
    assert "a@b.co" not in email.profile.examples
    assert find_cases([tmp_path]) == [folder.resolve()]


def test_missing_case_files_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "source.csv").write_text("TableName,ColumnName\n")
    with pytest.raises(BridgeworkError, match="target.csv"):
        load_case(tmp_path / "c")


def test_native_types_normalise() -> None:
    assert [normalise_type(t) for t in ("char(22)", "DATE_TIME", "many2one", "money", "EMAILS", "smallint", "bit")] == [
        "string", "datetime", "reference", "money", "email", "int", "bool"]


def test_warm_templates_leave_the_case_itself_out() -> None:
    case = _case()
    other = Case("dentally_salesforce", case.source, case.destination, case.gold, "salesforce")
    assert warm_templates(case, [case]).counts == {}
    assert warm_templates(case, [case, other]).counts["salesforce"]


def test_booster_export_predicts_what_sklearn_predicts(tmp_path: Path) -> None:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from evals.calibrate import booster_from_sklearn
    from mapper.propose.calibration import Calibration, load_calibration

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0.3).astype(float)
    model = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, early_stopping=False, random_state=0).fit(x, y)
    booster = booster_from_sklearn(model, ("a", "b", "c", "d"), depth=3)
    assert np.allclose(booster.predict(x), model.decision_function(x))
    # Stored and loaded again, it predicts exactly the same.
    path = tmp_path / "calibration.json"
    Calibration(booster=booster, booster_knots_x=(0.0, 1.0), booster_knots_y=(0.1, 0.9)).save(path)
    again = load_calibration(path).booster
    assert again is not None and again.depth == 3
    assert np.array_equal(again.predict(x), booster.predict(x))
