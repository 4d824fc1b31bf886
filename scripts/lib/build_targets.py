#!/usr/bin/env python3
"""build_targets.py BUILD GUEST(0|1) [TEST...]: the ninja targets (output paths relative to
BUILD, one line, space-separated) that a run needs from the plain build, read from meson's
introspection of BUILD (so BUILD must be configured).

GUEST=1: every program and library outside the tests and benchmarks, i.e. the emulator,
aie4ctl and the guest programs, what ./aie4 boot and the guest tests use. Each TEST adds its
executable: a unit test `unit-X` brings every target of its meson.build (a helper such as
vfio-user-smoke-server lives beside its test), a fuzz driver comes alone. CI runs the unit tests
in the sanitizer build, so its plain build skips their 47 compilations, about 40% of the build.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_FOR_GUESTS = ("tests/unit", "tests/fuzz", "bench")


def build_targets(build: Path, guest: bool, tests: list[str]) -> list[str]:
    build = build.resolve()
    targets = json.loads((build / "meson-info/intro-targets.json").read_text())
    skip = [ROOT / d for d in NOT_FOR_GUESTS]
    by_name = {t["name"]: t for t in targets}
    keep = [t for t in targets if guest and not any(Path(t["defined_in"]).is_relative_to(d) for d in skip)]
    for name in tests:
        if name not in by_name:
            raise ValueError(f"{name} is not a target of {build}")
        if name.startswith("unit-"):
            keep += [t for t in targets if t["defined_in"] == by_name[name]["defined_in"]]
        else:
            keep.append(by_name[name])
    out = {str(Path(f).relative_to(build))
           for t in keep if t.get("build_by_default", True)
           for f in t["filename"] if Path(f).is_relative_to(build)}
    return sorted(out)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("0", "1"):
        print("usage: build_targets.py BUILD 0|1 [TEST...]", file=sys.stderr)
        return 2
    try:
        print(" ".join(build_targets(Path(argv[0]), argv[1] == "1", argv[2:])))
    except (OSError, ValueError) as e:
        print(f"aie4: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
