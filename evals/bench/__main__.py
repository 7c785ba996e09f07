"""`make bench`: every benchmark area in turn. `python -m evals.bench AREA...` runs only those."""

from __future__ import annotations

import importlib
import sys

# Each module exposes main() -> None and prints its own table.
AREAS: dict[str, str] = {
    "twenty": "evals.bench.twenty",
    "dentally": "evals.bench.dentally",
    "salesforce": "evals.bench.salesforce",
    "odoo": "evals.bench.odoo",
    "dynamics": "evals.bench.dynamics",
    "sources": "evals.bench.sources",
    "executor": "evals.bench.executor",
    "proposer": "evals.bench.proposer",
    "soak": "evals.bench.soak",
    "ratelimit": "evals.bench.ratelimit",
}


def main(argv: list[str]) -> int:
    """Run the named areas (default: all)."""
    names = argv or list(AREAS)
    unknown = [n for n in names if n not in AREAS]
    if unknown:
        print(f"unknown benchmark area(s): {', '.join(unknown)}; known: {', '.join(AREAS)}")
        return 2
    for name in names:
        importlib.import_module(AREAS[name]).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
