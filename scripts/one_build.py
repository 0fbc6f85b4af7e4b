#!/usr/bin/env python3
"""Check that the Python wheel (python/, built by maturin) and `cargo test` build every crate
they share with the same features, so that the wheel reuses the test build's DataFusion in the
shared target/ instead of compiling it a second time. Prints each crate whose features differ
and exits 1 if any does. Needs only `cargo tree` (no build).

    python3 scripts/one_build.py
"""
import subprocess
import sys


def features(*selection: str) -> dict[str, set[str]]:
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--prefix", "none", "-f", "{p}|{f}", *selection],
        check=True, capture_output=True, text=True,
    ).stdout
    found: dict[str, set[str]] = {}
    for line in out.splitlines():
        if "|" not in line:
            continue
        package, enabled = line.removesuffix(" (*)").split("|", 1)
        package = package.split(" (")[0].strip()
        found.setdefault(package, set()).update(f for f in enabled.split(",") if f)
    return found


def main() -> int:
    tests = features("-p", "segql", "--features", "ballista", "-e", "normal,build,dev")
    wheel = features("-p", "segql-python", "-e", "normal,build")
    differ = [
        (name, sorted(tests[name] - wheel[name]), sorted(wheel[name] - tests[name]))
        for name in sorted(tests.keys() & wheel.keys())
        if tests[name] != wheel[name] and not name.startswith("segql ")
    ]
    for name, only_tests, only_wheel in differ:
        print(f"{name}: only in the test build {only_tests}, only in the wheel {only_wheel}")
    if differ:
        print(f"{len(differ)} crates would be built twice; align python/Cargo.toml", file=sys.stderr)
        return 1
    print(f"one build: the wheel's {len(wheel)} crates share the test build's features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
