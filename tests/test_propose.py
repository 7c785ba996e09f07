"""The proposer: each signal alone, entity placement, the spec it writes, determinism, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mapper.errors import BridgeworkError
from mapper.propose import ProposerSettings, TemplateStore, propose, rank
from mapper.propose._text import key, words
from mapper.propose.calibration import fit_isotonic
from mapper.propose.dental import knowledge_matrix, source_concepts
from mapper.propose.names import name_matrix
from mapper.propose.types import type_matrix
from mapper.schema import Entity, Field, Schema, ValueProfile
from mapper.spec import check_spec

DESTINATIONS = Path(__file__).resolve().parents[1] / "mapper" / "knowledge" / "destinations"
FAST = ProposerSettings(disabled=frozenset({"embedding"}), templates=TemplateStore(path=Path("/nonexistent")))


def _profile(pattern: str) -> ValueProfile:
    return ValueProfile(count=20, patterns={pattern: 1.0})


SOURCE = Schema("dentrix", (
    Entity("patient", (
        Field("patid", "int", is_key=True), Field("lastname"), Field("firstname"), Field("birthdate", "date"),
        Field("emailaddr", profile=_profile("email")), Field("pager", profile=_profile("phone")),
        Field("guarid", "int"), Field("chartnum"), Field("ssn"), Field("automodifiedtimestamp", "datetime"),
        Field("favourite_colour"),
    )),
    Entity("inscarrier", (Field("insid", "int", is_key=True), Field("insconame"), Field("phone", profile=_profile("phone")))),
    Entity("appt", (Field("apptid", "int"), Field("patid", "int"), Field("apptdate", "date"), Field("apptreason"))),
))


def _dest(kind: str) -> Schema:
    return Schema.load(DESTINATIONS / f"{kind}.json")


def test_knowledge_reads_short_descriptions_and_near_names() -> None:
    assert "postal_code" in source_concepts("patient", "col_7", "Zip code")
    assert "birth_date" in source_concepts("patient", "birthdat")


def test_names_split_and_expand_abbreviations() -> None:
    assert key("emailaddr") == "email_address"
    assert key("MailingPostalCode") == "mailing_postal_code"
    assert key("pat_dob") == "patient_birth_date"
    assert key("guarid") == "guarantor_id"
    assert words("Treatment_Plan__c") == "treatment plan"


def test_name_signal_prefers_the_same_meaning() -> None:
    m = name_matrix([Field("zipcode")], [Field("MailingPostalCode"), Field("MailingCity")])
    assert m[0, 0] > m[0, 1]


def test_type_signal_keeps_email_away_from_phone() -> None:
    email = Field("contact", profile=_profile("email"))
    m = type_matrix([email], [Field("Phone", "phone"), Field("Email", "email")])
    assert m[0, 0] < 0.25 < m[0, 1]


def test_knowledge_knows_dentrix_pager_is_a_mobile() -> None:
    assert "mobile_phone" in source_concepts("patient", "pager")
    m = knowledge_matrix([("patient", "pager", "")], [("Contact", "MobilePhone"), ("Contact", "Fax")])
    assert m.tolist() == [[1.0, 0.0]]


def test_templates_remember_confirmed_maps(tmp_path: Path) -> None:
    store = TemplateStore(path=tmp_path / "templates.json")
    store.add("odoo", "patient", "pager", "res.partner", "mobile")
    store.save()
    again = TemplateStore.load(tmp_path / "templates.json")
    m = again.matrix("odoo", [("patient", "pager")], [("res.partner", "mobile"), ("res.partner", "phone")])
    assert m.tolist() == [[1.0, 0.0]]


def test_isotonic_curve_is_monotonic() -> None:
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    y = np.array([0, 0, 1, 0, 1, 1, 0, 1], dtype=float)
    _, ky = fit_isotonic(x, y)
    assert ky == sorted(ky) and 0 < ky[0] and ky[-1] < 1


@pytest.mark.parametrize(("kind", "patient", "carrier", "appt"), [
    ("odoo", "res.partner", "res.partner", "calendar.event"),
    ("twenty", "person", "company", "task"),
    ("salesforce", "Contact", "Account", "Event"),
    ("dynamics", "contact", "account", "appointment"),
])
def test_entities_land_where_a_consultant_puts_them(kind: str, patient: str, carrier: str, appt: str) -> None:
    spec = propose(SOURCE, _dest(kind), destination_kind=kind, settings=FAST)
    targets = {em.source: em.target for em in spec.entities if em.kind != "junction"}
    assert (targets["patient"], targets["inscarrier"], targets["appt"]) == (patient, carrier, appt)
    assert not check_spec(spec)


def test_spec_fields_relations_skips_and_custom_fields() -> None:
    spec = propose(SOURCE, _dest("odoo"), destination_kind="odoo", settings=FAST)
    patient = spec.entity_map("patient->res.partner")
    assert patient.constants == {"company_type": "person"}
    by_source = {fm.key: fm for fm in patient.fields}
    assert by_source["firstname+lastname"].target == "name"
    assert by_source["firstname+lastname"].transforms[0].name == "join"
    assert by_source["pager"].target == "mobile"
    assert [t.name for t in by_source["pager"].transforms][-1] == "phone_e164"
    assert "pager" in by_source["pager"].why
    assert by_source["guarid"].kind == "relation" and by_source["guarid"].lookup == "patient->res.partner"
    assert by_source["ssn"].kind == "skip" and "privacy" in by_source["ssn"].why
    assert by_source["automodifiedtimestamp"].kind == "skip"
    colour = by_source["favourite_colour"]
    assert colour.kind == "custom" and colour.target == "custom:x_favourite_colour"
    assert all(fm.status == "proposed" and 0 <= fm.score <= 1 for fm in patient.fields)
    carrier = spec.entity_map("inscarrier->res.partner")
    assert carrier.kind == "merge" and carrier.constants == {"is_company": True}


def test_same_inputs_give_the_same_yaml() -> None:
    first = propose(SOURCE, _dest("twenty"), destination_kind="twenty", settings=FAST).to_yaml()
    second = propose(SOURCE, _dest("twenty"), destination_kind="twenty", settings=FAST).to_yaml()
    assert first == second


def test_rank_returns_scored_explained_candidates() -> None:
    cands = rank("patient", "emailaddr", SOURCE, _dest("salesforce"), destination_kind="salesforce", settings=FAST)
    assert (cands[0].tgt_ent, cands[0].tgt_att) == ("Contact", "Email")
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    assert cands[0].why


def test_empty_schemas_give_clear_messages() -> None:
    with pytest.raises(BridgeworkError, match="introspect"):
        propose(Schema("dentrix"), _dest("odoo"), settings=FAST)
    with pytest.raises(BridgeworkError, match="describe"):
        propose(SOURCE, Schema("odoo"), settings=FAST)


def test_odd_input_is_handled() -> None:
    odd = Schema("csv", (
        Entity("empty"),
        Entity("Patienten", (Field("Straße"), Field("Straße"), Field("Geburtsdatum", "date"), Field("Téléphone"))),
        Entity("Patienten", (Field("x"),)),
    ))
    spec = propose(odd, _dest("odoo"), settings=FAST)
    assert not check_spec(spec)
    sources = [fm.key for em in spec.entities if em.source == "Patienten" for fm in em.fields]
    assert sources == ["Straße", "Geburtsdatum", "Téléphone"]


@pytest.mark.slow
def test_real_embedding_model_helps_without_knowledge(embedding_settings: ProposerSettings) -> None:
    src = Schema("x", (Entity("patient", (Field("cell_number_for_texts", description="mobile phone for SMS"),)),))
    cands = rank("patient", "cell_number_for_texts", src, _dest("salesforce"), destination_kind="salesforce",
                 settings=embedding_settings)
    assert "MobilePhone" in [c.tgt_att for c in cands[:3]]


@pytest.fixture(scope="session")
def embedding_settings(tmp_path_factory: pytest.TempPathFactory) -> ProposerSettings:
    """The real model, loaded once per session, with its own cache folder."""
    from mapper.propose import embeddings

    embeddings.load_model()
    return ProposerSettings(cache_dir=tmp_path_factory.mktemp("emb"), disabled=frozenset({"knowledge", "template"}))


def test_public_surface() -> None:
    import mapper.propose

    assert mapper.propose.__all__ == [
        "SIGNALS", "Calibration", "Candidate", "ProposerSettings", "ScoreTable", "TemplateStore",
        "guess_destination_kind", "learn", "load_calibration", "propose", "rank", "ranked",
    ]


def test_second_stage_rescores_top_candidates_and_keeps_doubtful_ones_in_first_stage_order() -> None:
    from mapper.propose.confidence import FEATURES, Booster, refine

    # One stump on the name feature: a candidate whose name matches is re-scored high, any other low.
    col = FEATURES.index("name")
    one = np.array([[col, 0, 0]], dtype=np.int64)
    booster = Booster(features=FEATURES, baseline=0.0, feature=one, threshold=np.array([[0.5, 0.0, 0.0]]),
                      left=np.array([[1, 0, 0]]), right=np.array([[2, 0, 0]]), leaf=np.array([[False, True, True]]),
                      value=np.array([[0.0, -3.0, 3.0]]), missing_left=np.ones((1, 3), dtype=bool), n_nodes=(3,), depth=3)
    raw = np.array([[0.9, 0.8, 0.7, 0.6, 0.1]])
    name = np.array([[0.0, 0.0, 1.0, 0.0, 1.0]])
    feats = {"name": name}
    curve = ((-3.0, 3.0), (0.05, 0.95))
    out = refine(raw, raw.copy(), feats, np.zeros(1, dtype=np.int64), booster, curve)
    order = np.lexsort((-raw[0], -np.round(out[0], 9)))
    # The name match among the top 3 is promoted; the two doubtful ones keep their order; column 4 (outside the
    # top 3, however good its name) stays below every re-scored candidate.
    assert order.tolist()[:3] == [2, 0, 1]
    assert out[0, 2] == pytest.approx(0.95) and out[0, 4] <= out[0, :3].min()
