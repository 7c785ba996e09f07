"""Family-aware dedupe, measured against the demo generator's ground truth (_bw_truth)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from connectors.sources.demo import generate_practice
from connectors.sources.dentrix import from_settings
from executor.dedupe import IdentityFields, canonical_first, decide, find_groups, fold, groups, store_groups
from executor.ledger import open_ledger
from mapper.errors import BridgeworkError
from executor.staging import read_all


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dedupe") / "practice.db"
    generate_practice(path, patients=600, sites=3, seed=11)
    return path


def _truth(path: Path) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    db = sqlite3.connect(path)
    try:
        dup: dict[int, set[str]] = {}
        for grp, rid in db.execute("SELECT grp, record_id FROM _bw_truth WHERE kind = 'duplicate'"):
            dup.setdefault(grp, set()).add(str(rid))
        fam: dict[int, set[str]] = {}
        for grp, rid in db.execute("SELECT grp, record_id FROM _bw_truth WHERE kind = 'family_shared_contact'"):
            fam.setdefault(grp, set()).add(str(rid))
    finally:
        db.close()
    pairs = {frozenset((a, b)) for g in dup.values() for a in g for b in g if a < b}
    family_pairs = {frozenset((a, b)) for g in fam.values() for a in g for b in g if a < b}
    return pairs, family_pairs


def test_names_fold_accents_and_nicknames() -> None:
    assert fold(" José-María ") == "josemaria"
    assert canonical_first("Bill") == canonical_first("william") == "william"


def test_duplicates_found_and_family_members_never_merged(practice: Path, tmp_path: Path) -> None:
    source = from_settings({"kind": "dentrix", "path": str(practice)}, practice.parent)
    try:
        fields = IdentityFields.detect(source.introspect(profile=False).entity("patient"))
        assert fields is not None
        found = find_groups(((str(r["patid"]), r) for r in read_all(source, "patient")), fields)
    finally:
        source.close()
    truth, family = _truth(practice)
    proposed = {frozenset((a, b)) for g in found for a in g.members for b in g.members if a < b}
    assert truth, "the practice has duplicates to find"
    recall = len(proposed & truth) / len(truth)
    precision = len(proposed & truth) / len(proposed)
    assert recall >= 0.9 and precision >= 0.9, (recall, precision)
    assert not proposed & family  # a mother and her children share contacts, never an identity
    assert all(g.evidence for g in found)
    ledger = open_ledger(tmp_path / "ledger.db")
    assert store_groups(ledger, "patient", found) == len(found)
    assert store_groups(ledger, "patient", found) == 0  # decisions are kept on a re-run
    first = found[0].group_id
    assert decide(ledger, first, "confirmed") == 1
    assert decide(ledger, first, "split") == 1  # reversible until the load
    assert len(groups(ledger, "proposed")) == len(found) - 1
    ledger.db.execute("INSERT INTO records (map_id, source_entity, source_id, dest_object, external_id, state, updated_at) "
                      "VALUES ('patients', 'patient', ?, 'person', 'x', 'loaded', 'now')", (found[0].members[0],))
    ledger.db.conn.commit()
    with pytest.raises(BridgeworkError, match="already loaded"):
        decide(ledger, first, "confirmed")  # final once loaded: a rollback reopens it
