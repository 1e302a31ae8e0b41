"""The locks: the runtime one carries no development tool, and all four agree on versions."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)

# Tools for tests, lint, types and locking, and the qr extra: none belongs on a site.
NOT_AT_RUNTIME = {
    "pytest",
    "playwright",
    "mypy",
    "ruff",
    "schemathesis",
    "hypothesis",
    "pycose",
    "cwt",
    "import-linter",
    "django-stubs",
    "uv",
    "zxing-cpp",
}


def pins(text: str) -> dict[str, str]:
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in PIN.findall(text)}


def read_pins(name: str) -> dict[str, str]:
    return pins((ROOT / name).read_text(encoding="utf-8"))


def development_tools(pinned: dict[str, str]) -> set[str]:
    return {
        name for name in pinned if name in NOT_AT_RUNTIME or name.startswith(("pytest-", "types-"))
    }


def test_it_finds_a_test_tool_added_to_a_lock():
    text = "django==5.2.19 \\\n    --hash=sha256:00\nplaywright==1.65.2 \\\n    --hash=sha256:01\n"
    assert development_tools(pins(text)) == {"playwright"}


def test_the_runtime_lock_holds_no_development_tool():
    runtime = read_pins("requirements.lock")
    assert "django" in runtime and "weasyprint" in runtime
    assert development_tools(runtime) == set()


def test_the_dev_lock_holds_every_runtime_pin_at_the_same_version():
    runtime, dev = read_pins("requirements.lock"), read_pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
    assert {"pytest", "pytest-randomly", "import-linter", "cwt", "zxing-cpp", "uv"} <= set(dev)


def test_the_bench_and_spark_locks_agree_with_the_dev_lock():
    dev = read_pins("requirements-dev.lock")
    for lock, peer in (
        ("requirements-bench.lock", "splink"),
        ("requirements-spark.lock", "pyspark"),
    ):
        pinned = read_pins(lock)
        assert peer in pinned
        shared = set(pinned) & set(dev)
        assert {name: pinned[name] for name in shared} == {name: dev[name] for name in shared}


def test_every_pin_of_every_lock_carries_a_hash():
    for lock in ROOT.glob("requirements*.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text(encoding="utf-8"))
        unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash" not in b]
        assert unhashed == [], lock.name
