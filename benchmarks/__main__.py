"""Run the benchmarks: `python -m benchmarks [name ...]` (default: all)."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run each bench_*.py module's main() in turn and report failures."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    failed = 0
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        try:
            module.main()
        except Exception as error:
            print(f"FAILED: {error!r}")
            failed += 1
        print(f"({name} took {time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
