"""The role policy is one table (sulh.accounts.policy): nothing else compares roles, every
page and endpoint asks it through a helper, and docs/permissions.md is its rendering."""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import cast

import pytest
from django.contrib.auth.models import AnonymousUser

from sulh.accounts.policy import POLICY, Action, allows, render_markdown, require
from sulh.cases.search import intake_precheck, person_search
from sulh.core.errors import PermissionDenied
from sulh.matching.record import PersonRecord
from tests.clients import api_client

ROOT = Path(__file__).resolve().parents[2]
SULH = ROOT / "sulh"
DOC = ROOT / "docs" / "permissions.md"
BEGIN, END = "<!-- policy:begin -->\n", "<!-- policy:end -->"

# The policy itself, and the code that *assigns* roles rather than checks them.
ROLE_MODULES = {"accounts/policy.py", "accounts/roles.py"}
ASSIGNS_ROLES = {
    "accounts/services.py": "user_create: a clerk needs a station, administrators are staff",
    "demo/services.py": "creates one demo account per role",
}


def _role_checks(source: str) -> Iterator[tuple[int, str]]:
    """Every place a piece of code decides by role on its own."""
    for node in ast.walk(ast.parse(source)):
        # Role.choices (the role field's) decides nothing; any other Role.X does
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "Role":
            yield from [(node.lineno, f"Role.{node.attr}")] if node.attr != "choices" else []
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "has_role":
            yield node.lineno, "has_role()"
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Attribute) and side.attr == "role" for side in sides):
                yield node.lineno, "a comparison of .role"
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.upper().endswith("ROLES"):
                    yield node.lineno, f"a role list {target.id}"


def _python_files() -> Iterator[tuple[str, Path]]:
    for path in sorted(SULH.rglob("*.py")):
        name = path.relative_to(SULH).as_posix()
        if "/migrations/" not in name:
            yield name, path


def test_it_finds_the_role_checks_it_is_meant_to_refuse():
    snippet = (
        "QUEUE_ROLES = (Role.VETTING_OFFICER,)\n"
        "if user.role == 'clerk' or user.has_role(*QUEUE_ROLES):\n    pass\n"
    )
    found = {what for _line, what in _role_checks(snippet)}
    assert found == {
        "a role list QUEUE_ROLES",
        "Role.VETTING_OFFICER",
        "a comparison of .role",
        "has_role()",
    }


def test_no_code_outside_the_policy_checks_a_role_by_itself():
    found = [
        f"sulh/{name}:{line}: {what}"
        for name, path in _python_files()
        if name not in ROLE_MODULES | set(ASSIGNS_ROLES)
        for line, what in _role_checks(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "ask sulh.accounts.policy (require, allows) instead"


def test_no_template_compares_roles():
    found = [
        str(path.relative_to(ROOT))
        for path in sorted(SULH.rglob("templates/**/*.html"))
        if ".role" in path.read_text(encoding="utf-8")
    ]
    assert found == [], "use {% if may.<action> %} (sulh.web.context.policy)"


# --- Every page and endpoint goes through a helper ------------------------------------------

HELPERS = {
    "require",
    "allows",
    "cases_visible_to",
    "case_get_for_user",
    "decision_get_for_user",
    "decisions_awaiting_second",
    "candidate_get_for_user",
    "candidates_get_for_user",
    "card_get_for_user",
    "export_get_for_user",
}
PAGES_WITHOUT_A_RESOURCE = {
    "LoginView": "sign-in, before any role",
    "login_code": "the second step of sign-in, before any role",
    "LogoutView": "sign-out",
    "verify_page": "public: checkpoints verify cards offline",
    "verify_service_worker": "public: the verifier's offline script",
    "door_service_worker": "the same offline script, served under /door/ for its scope",
    "case_lookup": "only redirects to the case page, which asks the helper",
}
ENDPOINTS_WITHOUT_A_RESOURCE = {
    "step_up": "a fresh second factor for the signed-in officer's own account",
    "programs_list": "program definitions are public to every signed-in role",
    "programs_detail": "program definitions are public to every signed-in role",
}
PUBLIC_ENDPOINTS = {
    "ledger_tree_head",
    "ledger_inclusion",
    "ledger_consistency",
    "cards_trust_list",
    "cards_status_list",
}


def _functions(module: ModuleType) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(inspect.getsource(module))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _names_reached(name: str, functions: dict[str, ast.FunctionDef]) -> set[str]:
    """The names a function uses, following the module's own helpers (``_case``, ``_card``)."""
    seen: set[str] = set()
    followed: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in followed or current not in functions:
            continue
        followed.add(current)
        for node in ast.walk(functions[current]):
            if isinstance(node, ast.Name):
                todo.append(node.id)
                seen.add(node.id)
            elif isinstance(node, ast.Attribute):
                seen.add(node.attr)
    return seen


def test_every_page_asks_the_policy_through_a_helper():
    from sulh.web import urls

    missing = []
    for pattern in urls.urlpatterns:
        callback = pattern.callback  # type: ignore[union-attr]
        name = getattr(callback, "view_class", callback).__name__
        if name in PAGES_WITHOUT_A_RESOURCE:
            continue
        view = inspect.unwrap(callback)
        module = sys.modules[view.__module__]
        if not _names_reached(name, _functions(module)) & HELPERS:
            missing.append(f"{view.__module__}.{name}")
    assert missing == [], "call require() or a *_get_for_user helper, or list the page"


def _endpoints() -> dict[str, bool]:
    """Every API endpoint function and whether it is public (``auth=None``)."""
    from sulh.api import api as module

    endpoints = {}
    for name, node in _functions(module).items():
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and isinstance(decorator.func.value, ast.Name)
                and decorator.func.value.id == "api"
                and decorator.func.attr in {"get", "post", "put", "patch", "delete"}
            ):
                endpoints[name] = any(
                    k.arg == "auth" and isinstance(k.value, ast.Constant) and k.value.value is None
                    for k in decorator.keywords
                )
    return endpoints


def test_every_endpoint_asks_the_policy_through_a_helper():
    from sulh.api import api as module

    endpoints = _endpoints()
    assert {name for name, public in endpoints.items() if public} == PUBLIC_ENDPOINTS
    functions = _functions(module)
    missing = [
        name
        for name, public in endpoints.items()
        if not public
        and name not in ENDPOINTS_WITHOUT_A_RESOURCE
        and not _names_reached(name, functions) & HELPERS
    ]
    assert len(endpoints) > 20 and missing == []


# --- The table and its doc ------------------------------------------------------------------


def test_every_action_is_in_the_table():
    assert set(POLICY) == set(Action)


def test_an_action_not_in_the_table_is_refused(personas):
    assert not allows(personas["admin"], cast(Action, "fly the helicopter"))
    with pytest.raises(PermissionDenied):
        require(personas["admin"], cast(Action, "fly the helicopter"))


def test_signed_out_and_deactivated_accounts_may_do_nothing(personas):
    clerk = personas["clerk"]
    clerk.is_active = False
    assert not any(allows(clerk, action) for action in Action)
    assert not any(allows(AnonymousUser(), action) for action in Action)


def test_the_checkpoint_officer_may_do_nothing_in_the_office(personas):
    assert [a for a in Action if allows(personas["checkpoint"], a)] == []


def test_docs_permissions_holds_exactly_the_rendering_of_the_policy():
    text = DOC.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    rendered = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert rendered == render_markdown(), (
        "run: python -m sulh.accounts.policy --markdown, and paste it between the markers"
    )


def test_the_table_renders_without_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "sulh.accounts.policy", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    assert done.stdout == render_markdown()


# --- Holes the policy closed ----------------------------------------------------------------


def test_it_does_not_say_to_a_role_without_exports_whether_an_export_exists(personas, programs):
    clerk = api_client(personas["clerk"])
    manager = api_client(personas["manager"])
    asked = manager.post(
        "/api/exports",
        data=json.dumps({"program": "aleppo-2016-amnesty", "purpose": "court order 17/2016"}),
        content_type="application/json",
    )
    number = asked.json()["id"]
    for export_id in (number, number + 1000):
        assert clerk.post(f"/api/exports/{export_id}/approve").status_code == 403
        assert clerk.get(f"/api/exports/{export_id}/people.csv").status_code == 403
    assert manager.post(f"/api/exports/{number + 1000}/approve").status_code == 404


def test_search_and_the_intake_precheck_refuse_roles_in_the_service_too(personas, programs):
    query = PersonRecord(record_id="q", given_name="Omar", family_name="al-Ali")
    for persona in ("checkpoint", "manager", "monitor"):
        with pytest.raises(PermissionDenied):
            person_search(user=personas[persona], query=query, purpose="checking a name")
    for persona in ("vetter", "manager", "checkpoint"):
        with pytest.raises(PermissionDenied):
            intake_precheck(user=personas[persona], query=query)
    assert person_search(user=personas["clerk"], query=query, purpose="checking a name") == []
