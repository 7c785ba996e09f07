"""Page-number pagination over Dentally's unstable list order, without duplicates or losses.

Dentally's bulk pages are not stably ordered: a row can repeat on two pages or be skipped
between them (~6 % seen on some resources). The paginator asks for `sort_by=id`, and:

1. drops every record whose id it already emitted (repeats);
2. notes each *boundary gap*: integer ids missing between the last id of one page and the
   first new id of the next (a skipped row lands there; a deleted record does too);
3. after each page compares what it emitted with what the server says precedes the page
   end (`min(page * per_page, total_count)`); while it is short, it fetches the ids of the
   oldest gaps one by one (`GET /v1/<resource>/<id>`, 404 = really absent), gaps of at most
   `MAX_PROBE` ids only (wider ones stay pending);
4. stops on a short or empty page (never on `meta`); if `total_count` is still not reached, it
   probes the pending gaps while that costs about as many requests as one more read (real
   ids are global, so a practice's ids can be far apart), then re-reads the listing in
   reverse order and with other page sizes (so page boundaries, and skips, move; at most
   three passes, each stopping as soon as the count is reached), emitting what was never
   emitted.

Records found by steps 3–4 come after records with higher ids: order is by id except for them.
The state (next page, last id, count emitted, pending gaps) is small and goes in the cursor.
After a resume, the ids emitted before the interruption are known only as "up to the last
id": if step 4 is needed then, it re-reads the whole listing once and emits every record this
run has not emitted, so records read before the interruption may come again (never one lost;
loads upsert by external id). With integer ids step 3 usually closes the gaps first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mapper.errors import SourceError

Raw = dict[str, Any]
FetchPage = Callable[[int, int, bool], tuple[list[Raw], int]]
FetchOne = Callable[[int], Raw | None]

MAX_PROBE = 25


@dataclass
class StreamState:
    """Where one listing stands: next page, greatest id emitted, records emitted, pending gaps."""

    page: int = 1
    last_key: Any = None
    emitted: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)
    resume_key: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready state (the resume key is the last key)."""
        return {"page": self.page, "last_key": self.last_key, "emitted": self.emitted, "gaps": [list(g) for g in self.gaps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamState:
        """A state rebuilt from `to_dict` (records up to its last key count as emitted)."""
        last = data.get("last_key")
        return cls(int(data.get("page", 1)), last, int(data.get("emitted", 0)),
                   [(int(lo), int(hi)) for lo, hi in data.get("gaps", [])], last)


class PagePaginator:
    """One listing read page by page, de-duplicated by id, with skipped records re-fetched."""

    def __init__(
        self,
        fetch_page: FetchPage,
        fetch_one: FetchOne | None,
        per_page: int,
        state: StreamState,
        seen: set[Any],
    ) -> None:
        self.fetch_page = fetch_page
        self.fetch_one = fetch_one
        self.per_page = per_page
        self.state = state
        self.seen = seen
        self.total = 0
        self.shortfall = 0

    def __iter__(self) -> Iterator[list[Raw]]:
        """Lists of new records, one per server page (plus a final list of repaired records)."""
        st = self.state
        while True:
            records, self.total = self.fetch_page(st.page, self.per_page, False)
            fresh = self._fresh(sorted(records, key=_sort_key))
            self._note_gap(fresh)
            st.page += 1
            short = len(records) < self.per_page
            expected = self.total if short else min((st.page - 1) * self.per_page, self.total)
            fresh += self._probe(expected - st.emitted, per_gap=MAX_PROBE, budget=MAX_PROBE)
            if fresh:
                yield fresh
            if short:
                break
            if (st.page - 2) * self.per_page > self.total:
                raise SourceError(
                    f"Dentally kept sending full pages past its own total_count ({self.total}) at page {st.page - 1}.",
                    hint="The API may have changed its paging; report it, then run again (it resumes).",
                )
        repaired = self._repair()
        if repaired:
            yield repaired
        self.shortfall = max(0, self.total - st.emitted)

    def _fresh(self, records: list[Raw]) -> list[Raw]:
        st = self.state
        out = []
        for record in records:
            key = record.get("id")
            if key in self.seen or (st.resume_key is not None and _le(key, st.resume_key)):
                continue
            self.seen.add(key)
            out.append(record)
        st.emitted += len(out)
        return out

    def _note_gap(self, fresh: list[Raw]) -> None:
        st = self.state
        keys = sorted((r["id"] for r in fresh if r.get("id") is not None), key=lambda k: _sort_key({"id": k}))
        if not keys:
            return
        first, last = keys[0], keys[-1]
        if isinstance(st.last_key, int) and isinstance(first, int) and first > st.last_key + 1:
            st.gaps.append((st.last_key, first))
        if st.last_key is None or _le(st.last_key, last):
            st.last_key = last

    def _probe(self, missing: int, *, per_gap: int, budget: int) -> list[Raw]:
        """Fetch the ids of pending gaps one by one, oldest first, while records are missing.

        Gaps wider than `per_gap` ids, or than what is left of `budget` requests, stay pending.
        """
        st = self.state
        found: list[Raw] = []
        kept: list[tuple[int, int]] = []
        while missing > len(found) and st.gaps and self.fetch_one is not None:
            lo, hi = st.gaps.pop(0)
            width = hi - lo - 1
            if width > per_gap or width > budget:
                kept.append((lo, hi))
                continue
            budget -= width
            for key in range(lo + 1, hi):
                if key in self.seen:
                    continue
                record = self.fetch_one(key)
                if record is not None:
                    self.seen.add(key)
                    found.append(record)
        st.gaps[:0] = kept
        st.emitted += len(found)
        return found

    def _repair(self) -> list[Raw]:
        """When total_count is still not reached: probe what is left, then re-read with other page bounds."""
        st = self.state
        # Probing is worth it while it costs about as much as one more read of the listing
        # (a re-read after a resume also repeats records, so small listings still probe).
        budget = max(4 * MAX_PROBE, -(-self.total // self.per_page))
        found = self._probe(self.total - st.emitted, per_gap=budget, budget=budget)
        resumed = st.resume_key is not None
        for descending, per_page in _repair_passes(self.per_page):
            if st.emitted >= self.total:
                break
            page = 1
            # After a resume, a missing record may be below the resume point, among records
            # emitted before the interruption: read the whole listing once and stop there.
            while resumed or st.emitted < self.total:
                records, _ = self.fetch_page(page, per_page, descending)
                for record in records:
                    key = record.get("id")
                    if key not in self.seen:
                        self.seen.add(key)
                        found.append(record)
                        st.emitted += 1
                if len(records) < per_page:
                    break
                page += 1
            if resumed:
                break
        return found


def _repair_passes(per_page: int) -> tuple[tuple[bool, int], ...]:
    """Repair passes: reversed order first (every boundary moves), then other page sizes."""
    return ((True, per_page), (False, max(2, per_page - 1)), (True, max(2, per_page // 2 + 1)))


def _sort_key(record: Raw) -> tuple[int, Any]:
    key = record.get("id")
    return (0, key) if isinstance(key, int) else (1, str(key))


def _le(a: Any, b: Any) -> bool:
    try:
        return bool(a <= b)
    except TypeError:
        return str(a) <= str(b)
