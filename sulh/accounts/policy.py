"""The role policy, in one place and as data: which role may take which action, and the
rules beyond roles (stations, children, four eyes). Default deny: an action that is not
in ``POLICY``, or a role that is not listed for it, is refused.

Every caller asks here: views, API endpoints and services alike, through ``require`` or
the resource helpers built on it (``sulh.cases.selectors``, ``sulh.cards.selectors``).
docs/permissions.md holds the rendering of this table (``python -m sulh.accounts.policy
--markdown``); a test fails when they differ.

This module imports no Django model: it is read and rendered without a database.
"""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Iterable, Sequence
from typing import Protocol

from sulh.accounts.roles import Role
from sulh.core.errors import PermissionDenied, ValidationFailed


class Actor(Protocol):
    """A signed-in staff account or Django's anonymous user (who has no role)."""

    is_active: bool

    @property
    def is_authenticated(self) -> bool: ...


class Action(enum.StrEnum):
    """What a staff member does, in the program's own words."""

    REGISTER = "register a person"
    VIEW_CASE = "open an adult's case"
    VIEW_CHILDS_CASE = "open a child's case"
    SEARCH = "search for people"
    READ_REASONS = "read the reasons officers recorded on a case"
    SEE_CANDIDATES = "see match candidates"
    RESOLVE_CANDIDATE = "resolve a match candidate"
    SEE_REVIEW_QUEUE = "work the review queue"
    DECIDE = "decide a case"
    CONFIRM_ADVERSE_DECISION = "confirm or send back an adverse decision"
    REVOKE_ELIGIBILITY = "propose to revoke eligibility"
    CONFIRM_REVOCATION = "confirm or send back a revocation of eligibility"
    RECORD_APPEAL = "record an appeal"
    RECORD_CHILD_HANDOVER = "record a child's hand-over"
    ISSUE_CARD = "issue a card"
    RENEW_CARD = "renew a card"
    CHANGE_CARD_STATE = "revoke or suspend a card, or ask to reinstate it"
    APPROVE_REINSTATEMENT = "approve or refuse the reinstatement of a card"
    PRINT_CARD = "print a card"
    EXTEND_CARDS = "extend a program's cards"
    RECORD_CORRIDOR_TALLY = "record a corridor tally"
    PLAN_DEPARTURES = "make departure orders and build convoys"
    RECORD_BOARDING = "record boarding, no-shows and arrivals at a vehicle"
    RECORD_CONVOY_MOVEMENT = "record a convoy's departure, incidents and arrival"
    SEE_CONVOY_COUNTS = "see a convoy's reconciled counts"
    RECORD_CUSTODY = "record items handed in, and their custody"
    ISSUE_TAG = "issue an item's tag"
    ISSUE_ITEM_RECEIPT = "issue a receipt for items handed in"
    DISPATCH_ITEMS = "dispatch items to another store, or receive them"
    COUNT_STORE = "open and record a count of a store"
    SEE_CUSTODY = "see a store's items and custody ledger"
    SEE_FIGURES = "see figures"
    SEE_EXACT_FIGURES = "see the exact figures, before disclosure control"
    RECORD_ATTESTATION = "record a monitor's attestation"
    REQUEST_EXPORT = "request an export"
    APPROVE_EXPORT = "approve an export"
    WRITE_EXPORT = "write an export"
    ADMINISTER = "administer accounts"


CASE_OFFICERS = frozenset(
    {Role.VETTING_OFFICER, Role.DECIDING_OFFICER, Role.CARD_OFFICER, Role.EVACUATION_COORDINATOR}
)
EXPORT_OFFICERS = frozenset({Role.PROGRAM_MANAGER, Role.ADMINISTRATOR})
FIGURE_READERS = frozenset({Role.PROGRAM_MANAGER, Role.MONITOR, Role.ADMINISTRATOR})

POLICY: dict[Action, frozenset[Role]] = {
    Action.REGISTER: frozenset({Role.CLERK}),
    Action.VIEW_CASE: frozenset({Role.CLERK, *CASE_OFFICERS}),
    Action.VIEW_CHILDS_CASE: frozenset({Role.CHILD_PROTECTION}),
    Action.SEARCH: frozenset({Role.CLERK, Role.CHILD_PROTECTION, *CASE_OFFICERS}),
    # A decision's or referral's reasons may name an informant: the officers who work the
    # case read them, not the desk that registered it (nor a station device).
    Action.READ_REASONS: frozenset({Role.CHILD_PROTECTION, *CASE_OFFICERS}),
    Action.SEE_CANDIDATES: frozenset(
        {Role.VETTING_OFFICER, Role.DECIDING_OFFICER, Role.CHILD_PROTECTION}
    ),
    # Child protection resolves the candidates of the children's cases it alone may open
    # (vetting officers may not): without it a child's review could never close.
    Action.RESOLVE_CANDIDATE: frozenset({Role.VETTING_OFFICER, Role.CHILD_PROTECTION}),
    Action.SEE_REVIEW_QUEUE: frozenset(
        {Role.VETTING_OFFICER, Role.DECIDING_OFFICER, Role.CHILD_PROTECTION}
    ),
    Action.DECIDE: frozenset({Role.DECIDING_OFFICER}),
    Action.CONFIRM_ADVERSE_DECISION: frozenset({Role.DECIDING_OFFICER}),
    Action.REVOKE_ELIGIBILITY: frozenset({Role.DECIDING_OFFICER}),
    Action.CONFIRM_REVOCATION: frozenset({Role.DECIDING_OFFICER}),
    Action.RECORD_APPEAL: frozenset({Role.CLERK, Role.VETTING_OFFICER, Role.DECIDING_OFFICER}),
    Action.RECORD_CHILD_HANDOVER: frozenset({Role.CHILD_PROTECTION}),
    Action.ISSUE_CARD: frozenset({Role.CARD_OFFICER}),
    Action.RENEW_CARD: frozenset({Role.CARD_OFFICER}),
    Action.CHANGE_CARD_STATE: frozenset({Role.CARD_OFFICER}),
    Action.APPROVE_REINSTATEMENT: frozenset({Role.CARD_OFFICER}),
    Action.PRINT_CARD: frozenset({Role.CARD_OFFICER}),
    Action.EXTEND_CARDS: frozenset({Role.PROGRAM_MANAGER}),
    Action.RECORD_CORRIDOR_TALLY: frozenset({Role.EVACUATION_COORDINATOR, Role.PROGRAM_MANAGER}),
    Action.PLAN_DEPARTURES: frozenset({Role.EVACUATION_COORDINATOR}),
    # The boarding officer's phone at the vehicle door (a device scope) comes with boarding
    # by card; checkpoint officers still take no action in the office.
    Action.RECORD_BOARDING: frozenset({Role.EVACUATION_COORDINATOR}),
    Action.RECORD_CONVOY_MOVEMENT: frozenset({Role.EVACUATION_COORDINATOR}),
    # counts and traveller keys, never a name: the monitor checks them against arrivals
    Action.SEE_CONVOY_COUNTS: frozenset(
        {Role.EVACUATION_COORDINATOR, Role.PROGRAM_MANAGER, Role.MONITOR}
    ),
    # IDDRS 4.10 §5.7: non-specialists "shall not handle weapons or ammunition at any stage"
    Action.RECORD_CUSTODY: frozenset({Role.WEAPONS_OFFICER}),
    Action.ISSUE_TAG: frozenset({Role.WEAPONS_OFFICER}),
    Action.ISSUE_ITEM_RECEIPT: frozenset({Role.WEAPONS_OFFICER}),
    Action.DISPATCH_ITEMS: frozenset({Role.WEAPONS_OFFICER}),
    # the counter is never the store's custodian (a rule beyond roles, below)
    Action.COUNT_STORE: frozenset({Role.WEAPONS_OFFICER}),
    Action.SEE_CUSTODY: frozenset({Role.WEAPONS_OFFICER, Role.PROGRAM_MANAGER}),
    Action.SEE_FIGURES: FIGURE_READERS,
    # Monitors see what is published (and check it with their openings); the managers who
    # run the program see the exact figures.
    Action.SEE_EXACT_FIGURES: frozenset({Role.PROGRAM_MANAGER, Role.ADMINISTRATOR}),
    Action.RECORD_ATTESTATION: frozenset({Role.MONITOR}),
    Action.REQUEST_EXPORT: EXPORT_OFFICERS,
    Action.APPROVE_EXPORT: EXPORT_OFFICERS,
    Action.WRITE_EXPORT: EXPORT_OFFICERS,
    Action.ADMINISTER: frozenset({Role.ADMINISTRATOR}),
}

# --- Rules beyond roles -------------------------------------------------------------------

# Roles bound to a station see only the cases registered there (and none without one).
STATION_BOUND = frozenset({Role.CLERK})
# Roles bound to the programs they serve (``accounts.Service``) see only those programs'
# cases, and none before they serve one; in a program whose definition says
# ``officer_scope: station``, only the cases of the stations they serve it at. Program
# managers' exports are bound the same way. Child protection is not bound: a child's
# hand-over deadline must never wait for someone to be assigned to a program.
PROGRAM_BOUND = frozenset({*CASE_OFFICERS, Role.PROGRAM_MANAGER, Role.WEAPONS_OFFICER})
# Children's cases are opened with VIEW_CHILDS_CASE only: VIEW_CASE covers adults' cases.
# The officer who registered a case never takes these actions on it.
NOT_ON_OWN_REGISTRATION = (
    Action.DECIDE,
    Action.CONFIRM_ADVERSE_DECISION,
    Action.CONFIRM_REVOCATION,
)
# Four eyes: the action needs a second officer, different from the one who did the first.
FOUR_EYES: dict[Action, str] = {
    Action.CONFIRM_ADVERSE_DECISION: "proposed it (a referral or a denial)",
    Action.CONFIRM_REVOCATION: "proposed the revocation",
    Action.APPROVE_REINSTATEMENT: "asked for the reinstatement",
    Action.APPROVE_EXPORT: "requested the export",
}
# Separation of duties in custody: what the first officer did, the second may not do.
NOT_BY_CUSTODIAN: dict[Action, str] = {Action.COUNT_STORE: "are the store's custodian"}
NOT_BY_DISPATCHER: dict[Action, str] = {Action.DISPATCH_ITEMS: "dispatched it"}
# ...and this one is for the same officer who did the first, no one else.
SAME_OFFICER: dict[Action, str] = {Action.WRITE_EXPORT: "requested the export"}
# Officers who may take these actions sign in with a password and a TOTP code, and take
# them over the API only with a step-up token minted after a fresh TOTP code.
SECOND_FACTOR_ACTIONS = (
    Action.DECIDE,
    Action.CONFIRM_ADVERSE_DECISION,
    Action.REVOKE_ELIGIBILITY,
    Action.CONFIRM_REVOCATION,
    Action.ISSUE_CARD,
    Action.RENEW_CARD,
    Action.CHANGE_CARD_STATE,
    Action.APPROVE_REINSTATEMENT,
    Action.PRINT_CARD,
    Action.EXTEND_CARDS,
    Action.REQUEST_EXPORT,
    Action.APPROVE_EXPORT,
    Action.WRITE_EXPORT,
)
# A station device holds a device token (``sulh tokens create``) whose scopes each let it
# take one action; only accounts that need no second factor may hold one.
DEVICE_SCOPES: dict[str, Action] = {
    "intake": Action.REGISTER,
    "tallies": Action.RECORD_CORRIDOR_TALLY,
    # the boarding device at the vehicle door and on arrival, for its account's programs
    "boarding": Action.RECORD_BOARDING,
}


def _role(user: Actor) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    role = getattr(user, "role", None)
    return role if isinstance(role, str) else None


def allows(user: Actor, action: Action) -> bool:
    """Whether ``user``'s role may take ``action``; False for anything not in the table."""
    role = _role(user)
    return role is not None and role in POLICY.get(action, frozenset())


def require(user: Actor, action: Action) -> None:
    """Refuse (403) unless ``user``'s role may take ``action``."""
    if not allows(user, action):
        raise PermissionDenied(f"your role may not {action}", field="user")


def station_bound(user: Actor) -> bool:
    return _role(user) in STATION_BOUND


def program_bound(user: Actor) -> bool:
    return _role(user) in PROGRAM_BOUND


def program_scope_stations(officer_scope: str) -> bool:
    """Whether, in a program with this ``officer_scope``, a program-bound officer sees only
    the cases of the stations they serve it at (else every station's)."""
    return officer_scope == "station"


def require_not_registrar(user: Actor, action: Action, *, registered_by: int | None) -> None:
    """The officer who registered a case never decides it, nor confirms its decision."""
    if action in NOT_ON_OWN_REGISTRATION and registered_by == getattr(user, "pk", None):
        raise PermissionDenied(
            "you registered this case; another officer must do this", field="user"
        )


def require_second_officer(user: Actor, action: Action, *, first: int | None) -> None:
    """Four eyes: the officer who did the first step does not do the second."""
    if action in FOUR_EYES and first == getattr(user, "pk", None):
        raise PermissionDenied(
            f"a second, different officer must {action}: you {FOUR_EYES[action]}", field="user"
        )


def require_not_custodian(user: Actor, action: Action, *, custodian: int | None) -> None:
    """A store is counted by an officer who is not its custodian (USMC: "disinterested")."""
    if action in NOT_BY_CUSTODIAN and custodian == getattr(user, "pk", None):
        raise PermissionDenied(
            f"you {NOT_BY_CUSTODIAN[action]}: another officer must {action}", field="user"
        )


def require_not_dispatcher(user: Actor, action: Action, *, dispatcher: int | None) -> None:
    """A shipment is received by an officer other than the one who dispatched it."""
    if action in NOT_BY_DISPATCHER and dispatcher == getattr(user, "pk", None):
        raise PermissionDenied(
            f"you {NOT_BY_DISPATCHER[action]}: a second, different officer receives a shipment",
            field="user",
        )


def require_same_officer(user: Actor, action: Action, *, first: int | None) -> None:
    if action in SAME_OFFICER and first != getattr(user, "pk", None):
        raise PermissionDenied(
            f"only the officer who {SAME_OFFICER[action]} may {action}", field="user"
        )


def needs_second_factor(user: Actor) -> bool:
    return any(allows(user, action) for action in SECOND_FACTOR_ACTIONS)


def needs_step_up(user: Actor, action: Action) -> bool:
    """Whether ``user`` may take ``action`` only with a fresh second factor (over the API)."""
    return action in SECOND_FACTOR_ACTIONS and allows(user, action)


def may_hold_device_token(user: Actor) -> bool:
    """Device tokens are for station devices: never for an officer who needs a second factor."""
    return _role(user) is not None and not needs_second_factor(user)


def require_device_scope(user: Actor, scope: str) -> None:
    """Refuse a scope that is unknown, or whose action ``user``'s role may not take."""
    if scope not in DEVICE_SCOPES:
        known = ", ".join(sorted(DEVICE_SCOPES))
        raise ValidationFailed(f"unknown scope {scope!r}; the scopes are {known}", field="scope")
    if not allows(user, DEVICE_SCOPES[scope]):
        raise PermissionDenied(
            f"scope {scope!r} lets a device {DEVICE_SCOPES[scope]}, which this account's role "
            "may not do",
            field="scope",
        )


def roles_for(action: Action) -> frozenset[Role]:
    return POLICY.get(action, frozenset())


# --- The rendering in docs/permissions.md ----------------------------------------------------


def _heading(role: Role) -> str:
    return role.value.replace("_", " ")


def _names(roles: Iterable[Role]) -> str:
    return ", ".join(_heading(role) for role in Role if role in set(roles))


def render_markdown() -> str:
    """The table of actions by role, then the rules beyond roles, as docs/permissions.md
    shows them between its policy markers."""
    roles = list(Role)
    lines = [
        "| action | | " + " | ".join(_heading(role) for role in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for action in Action:
        cells = ["✓" if role in roles_for(action) else "" for role in roles]
        lines.append(f"| `{action.name}` | {action} | " + " | ".join(cells) + " |")
    lines += ["", "Rules beyond roles:", ""]
    lines.append(
        f"- Station-bound roles ({_names(STATION_BOUND)}) see only the cases of their own "
        "station, and none without a station."
    )
    lines.append(
        f"- Program-bound roles ({_names(PROGRAM_BOUND)}) see only the cases of the programs "
        "they serve, and none before they serve one; in a program whose definition says "
        "`officer_scope: station`, only at the stations they serve it at. A program manager "
        "requests, approves and writes exports only of programs they serve. Any other case "
        "answers 404, as an unknown one, and is never counted or listed."
    )
    lines.append(
        "- Case reads are limited per account (`SULH_CASE_READS` in "
        "`SULH_CASE_READS_SECONDS`); beyond the limit they answer 429 and raise an alert."
    )
    lines.append(
        f"- A match candidate that is a case the user may not see (a child's, for roles that "
        f"may not {Action.VIEW_CHILDS_CASE}, or one outside their programs or stations) shows "
        "only that a restricted record exists: no name, birth date, serial or evidence."
    )
    lines.append(
        f"- Children's cases (under 18, or a disputed age) are opened only by the roles that "
        f"may {Action.VIEW_CHILDS_CASE} ({_names(roles_for(Action.VIEW_CHILDS_CASE))}): "
        "not even by the clerk who registered them."
    )
    lines.append(
        "- The officer who registered a case may not "
        + ", nor ".join(str(action) for action in NOT_ON_OWN_REGISTRATION)
        + " for that case."
    )
    for action, first in FOUR_EYES.items():
        lines.append(f"- Four eyes: to {action} takes an officer other than the one who {first}.")
    for action, first in SAME_OFFICER.items():
        lines.append(f"- Only the officer who {first} may {action}.")
    for action, who in NOT_BY_CUSTODIAN.items():
        lines.append(f"- An officer who {who.replace('are', 'is')} may not {action}.")
    lines.append(
        "- A shipment between stores is received by an officer other than the one who "
        "dispatched it."
    )
    factor = sorted({role for a in SECOND_FACTOR_ACTIONS for role in roles_for(a)}, key=roles.index)
    lines.append(
        f"- Officers who may {', '.join(str(a) for a in SECOND_FACTOR_ACTIONS)} "
        f"({_names(factor)}) sign in to the web with a password and a TOTP code; over the "
        "API these actions also need a step-up token, minted for five minutes after a fresh "
        "TOTP code (`POST /api/step-up`)."
    )
    scopes = "; ".join(f"`{scope}`: {action}" for scope, action in DEVICE_SCOPES.items())
    lines.append(
        f"- Device tokens are for station devices, bound to a station and a device, expiring "
        f"and scoped ({scopes}); no officer who needs a second factor (above) may hold one."
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sulh.accounts.policy")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.print_help()
        return 2
    sys.stdout.write(render_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
