"""Staging's per-record step compiled for one entity map: each field map becomes straight-line code.

`Stager._one` walks the compiled plan field by field and asks, for every record, whether each
field has a chain, a relation, a constant under the same name. Those answers are fixed per
entity map, so `compile_record` writes them into one Python function per map (as `dataclasses`
and `collections.namedtuple` do): plain columns land in one dict display, a memoised chain's
hit is one dict look-up, nothing is asked twice. `Stager._one` stays the reference:
tests/test_staging_compiled.py stages the demo practice's whole map both ways and compares.

Only names made here and `repr()` literals of strings reach the generated source; every object
(chains, lookups, constants) is passed in the namespace, never as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from executor.constraints import Found
from mapper.transforms import Chain, TransformError

RecordFn = Callable[[Mapping[str, Any], str, str], Any]
"""(source record, source id, external id) -> Staged."""

_HINT_UNASSIGNED = "Invite the provider as a user, then run delta."
_HINT_UNRESOLVED = "Load or fix that record first (see its own rejection)."


def compile_record(em_id: str, consts: Mapping[str, Any], fields: Sequence[tuple[str, Any, Chain | None, str | None]],
                   lookups: Mapping[str, Mapping[str, str]], stamps: Sequence[tuple[str, str, Chain]],
                   check: Callable[[Mapping[str, Any]], list[Found]], waits: Callable[[str], bool],
                   names: Mapping[str, Any], *, hashes: bool = True) -> RecordFn:
    """One entity map's `Stager._one` as a function of (record, source id, external id).

    `waits(lookup)`: whether a reference this map cannot resolve yet is left for the second pass
    (same map, first pass, no orphan list). `names`: Staged, Problem, PENDING, PARTIAL, content_hash.
    `hashes`: False leaves the content hash out (validation needs none), and with it every line that feeds it.
    """
    ns: dict[str, Any] = {**names, "CONSTS": dict(consts), "TransformError": TransformError, "KEY": Chain.key,
                          "check": check, "EM": em_id}
    stamp_names = {name for name, _, _ in stamps}
    counts: dict[str, int] = {}
    for name, *_ in fields:
        counts[name] = counts.get(name, 0) + 1
    plain = [(name, src) for name, src, chain, lookup in fields
             if chain is None and lookup is None and type(src) is str
             and counts[name] == 1 and name not in consts and name not in stamp_names]
    shown = {name for name, _ in plain}
    lines = ["def one(record, sid, ext):", "    get = record.get"]
    display = ", ".join(f"{name!r}: get({src!r})" for name, src in plain)
    lines.append(f"    values = {{**CONSTS, {display}}}" if consts else f"    values = {{{display}}}")
    if hashes:
        lines.append("    hashed = values.copy()")
    for i, (name, column, stamp) in enumerate(stamps):
        ns[f"T{i}"] = stamp
        lines += ["    try:", f"        values[{name!r}] = T{i}(get({column!r}), record)[0]",
                  "    except TransformError:", f"        values[{name!r}] = None"]
    lines += ["    problems = []", "    warnings = []", "    refs = []", "    partial = False", "    pending = set()"]
    for i, (name, src, chain, lookup) in enumerate(fields):
        if name in shown:
            continue
        body = [f"v = get({src!r})" if type(src) is str else f"v = [{', '.join(f'get({s!r})' for s in src)}]"]
        tail = _tail(i, name, lookup, lookups, ns, waits, simple=counts[name] == 1 and name not in consts
                     and name not in stamp_names, hashes=hashes)
        body += _chain(i, name, src, chain, tail, ns) if chain is not None else tail
        lines += ["    " + line for line in body]
    lines += ["    found = check(values)", "    if found:",
              "        for name, code, message, fix, severity in found:",
              "            if name not in pending:",
              "                (problems if severity == 'error' else warnings).append(Problem(name, code, message, fix))",
              "    if problems:",
              "        return Staged(EM, sid, ext, 'rejected', {}, '', tuple(problems), tuple(warnings), tuple(refs), record)",
              "    digest = content_hash(hashed)" if hashes else "    digest = ''",
              "    return Staged(EM, sid, ext, 'ready', values, (PARTIAL + digest) if partial else digest, (),"
              " tuple(warnings), tuple(refs), record)"]
    exec(compile("\n".join(lines), f"<staging {em_id}>", "exec"), ns)  # noqa: S102 - source built above from reprs
    fn: RecordFn = ns["one"]
    return fn


def _chain(i: int, name: str, src: Any, chain: Chain, tail: list[str], ns: dict[str, Any]) -> list[str]:
    """The lines running a field's chain on `v` (a remembered result is one look-up), then `tail` on its result."""
    ns[f"C{i}"] = chain
    memo = chain.memo
    if type(src) is str and memo is not None:
        ns[f"M{i}"] = memo
        key = "v if type(v) is str else (int, v) if type(v) is int else KEY(v)" if _INT_KEY else "KEY(v)"
        run = [f"o = M{i}.get({key})", "if o is None:", "    try:", f"        o = C{i}(v, record)",
               "    except TransformError as exc:", "        o = exc", "else:", f"    C{i}.hits += 1"]
    else:
        run = ["try:", f"    o = C{i}(v, record)", "except TransformError as exc:", "    o = exc"]
    # a remembered rejection and a TransformError both carry code, message and hint
    run += ["if type(o) is not tuple:", f"    problems.append(Problem({name!r}, o.code, o.message, o.hint))",
            "else:", "    v, raised = o", "    if raised:",
            f"        warnings.extend([Problem({name!r}, w.code, w.message) for w in raised])",
            *("    " + line for line in tail)]
    if type(src) is str and _keeps_none(chain):  # an empty column skips the chain
        return ["if v is not None:", *("    " + line for line in run), "else:", *("    " + line for line in tail)]
    return run


_INT_KEY = Chain.key(7) == (int, 7) and Chain.key("7") == "7"
"""Whether the memo's key of a text is the text and of an int (int, value): then the code builds them inline."""


def _keeps_none(chain: Chain) -> bool:
    """Whether the chain turns an empty value (None) into None, quietly (so it need not run on one)."""
    try:
        return chain(None) == (None, ())
    except TransformError:
        return False


def _tail(i: int, name: str, lookup: str | None, lookups: Mapping[str, Mapping[str, str]], ns: dict[str, Any],
          waits: Callable[[str], bool], *, simple: bool, hashes: bool) -> list[str]:
    """The lines after a field's value `v` is known: a relation resolved through its lookup, or the value kept."""
    def hashed(text: str) -> list[str]:
        return [f"hashed[{name!r}] = {text}"] if hashes else []

    keep = [f"values[{name!r}] = v", *hashed("v")]
    if not simple:
        keep = [f"if v is not None or {name!r} not in values:", *("    " + line for line in keep)]
    if lookup is None:
        return keep
    ns[f"L{i}"], ns[f"K{i}"] = lookups[lookup], lookup
    later = "d == PENDING or d is None" if waits(lookup) else "d == PENDING"
    return [
        "if v is None or v == '' or v == 0:",
        f"    if {name!r} not in values:",
        f"        values[{name!r}] = None",
        *("        " + line for line in hashed("None")),
        "else:",
        "    ref = str(v)",
        f"    refs.append((K{i}, ref))",
        *("    " + line for line in hashed("'ref:' + ref")),
        f"    d = L{i}.get(ref)",
        f"    if {later}:",
        *(["        if ref == sid:", *("            " + line for line in hashed("'ref:self'"))] if hashes else []),
        "        partial = True",
        f"        pending.add({name!r})",
        "    elif d == '':",
        f"        warnings.append(Problem({name!r}, 'unassigned_owner', K{i} + ' ' + ref + ' has no destination user',"
        f" {_HINT_UNASSIGNED!r}))",
        "    elif d is None:",
        "        if ref != sid:",
        f"            problems.append(Problem({name!r}, 'unresolved_reference', 'points at ' + K{i} + ' ' + ref"
        f" + ', which is not loaded', {_HINT_UNRESOLVED!r}))",
        "    else:",
        f"        values[{name!r}] = d",
    ]
