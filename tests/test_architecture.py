"""The layers hold in ways import-linter cannot see: no package imports another inside a
function (to dodge a cycle), nothing imports by name outside the CLI's dispatcher, and the
hooks lower layers fire have their receivers registered at start-up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sulh.cards.services import on_closed_as_duplicate, on_eligibility_revoked
from sulh.cases import hooks as case_hooks
from sulh.core.hooks import Hook, HookNotRegistered
from sulh.ledger.hooks import on_case_transition

SULH = Path(__file__).resolve().parent.parent / "sulh"


def _package(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else path.stem


def _function_level_imports(path: Path, root: Path = SULH) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _package(path, root)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "sulh" and len(parts) > 1 and parts[1] != own:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {module}")
    return found


def _sources() -> list[Path]:
    return [p for p in SULH.rglob("*.py") if "migrations" not in p.parts]


def test_it_finds_no_import_of_another_package_inside_a_function():
    found = [hit for path in _sources() for hit in _function_level_imports(path)]
    assert found == []


def test_it_would_see_a_function_level_import(tmp_path):
    sample = tmp_path / "cases" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "from sulh.cards.models import Card\n\n\n"
        "def f():\n    from sulh.cases import hooks\n    from sulh.cards.services import card_issue\n"
    )
    assert _function_level_imports(sample, tmp_path) == ["cases/sample.py:6 sulh.cards.services"]


def test_it_imports_by_name_only_in_the_command_dispatcher():
    by_name = [
        str(path.relative_to(SULH))
        for path in _sources()
        if "import_module(" in path.read_text(encoding="utf-8")
        or "__import__(" in path.read_text(encoding="utf-8")
    ]
    assert by_name == ["cli.py"]


def test_it_registers_the_log_and_the_cards_on_the_case_hooks_at_start_up():
    assert on_case_transition in case_hooks.case_transitioned.receivers
    assert on_eligibility_revoked in case_hooks.eligibility_revoked.receivers
    assert on_closed_as_duplicate in case_hooks.closed_as_duplicate.receivers


def test_it_refuses_to_fire_a_required_hook_that_nothing_receives():
    hook: Hook[int] = Hook("sample", required=True)
    with pytest.raises(HookNotRegistered, match="sample"):
        hook.fire(1)
    received: list[int] = []
    hook.register(received.append)
    hook.register(received.append)  # once only
    hook.fire(2)
    assert received == [2]
