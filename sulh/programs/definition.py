"""Program definitions: the schema, the rule language and proposals. No Django here.

A program file is declarative YAML (see docs/program-format.md). Rules are data,
never code: a rule is a set of conditions over the case facts, an outcome, and a
reason in Arabic and English. The first rule whose conditions all hold fires,
and every proposal names it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sulh.core.errors import IntakeWindowClosed

# Participant categories, a controlled vocabulary (REQUIREMENTS 2, IDDRS 4.20 §6.1).
CATEGORIES: tuple[str, ...] = (
    "combatant",
    "associated_person",
    "dependant",
    "child",
    "youth",
    "child_mobilized_adult_demobilized",
    "foreign_combatant",
)
OUTCOMES = ("amnesty", "departure", "referral", "denial")
FACTS = (
    "category",
    "affiliation",
    "origin",
    "screening",
    "age",
    "family_size",
    "weapons_surrendered",
    "heavy_weapons_surrendered",
    "has_id_document",
    "pledge_signed",
    "requested_destination",
)
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,59}$")]
Scalar = str | int | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Strict):
    ar: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class Affiliation(_Strict):
    id: Ident
    name: LocalizedText
    kind: Literal[
        "armed_group", "army", "security", "police", "auxiliary", "popular_committee", "other"
    ]
    # When set, members of this group may go to these destinations only.
    destinations_only: tuple[Ident, ...] | None = None


class Labels(_Strict):
    """How the program names its categories and outcomes, in Arabic and English; a code
    without a label here is named by the site's own catalogue (sulh.web.templatetags)."""

    categories: dict[str, LocalizedText] = Field(default_factory=dict)
    outcomes: dict[str, LocalizedText] = Field(default_factory=dict)

    @field_validator("categories", "outcomes")
    @classmethod
    def _known_codes(
        cls, value: dict[str, LocalizedText], info: ValidationInfo
    ) -> dict[str, LocalizedText]:
        known, name = (
            (CATEGORIES, "category") if info.field_name == "categories" else (OUTCOMES, "outcome")
        )
        for code in value:
            if code not in known:
                raise ValueError(f"unknown {name} {code!r}; known: {', '.join(known)}")
        return value


class Destination(_Strict):
    id: Ident
    name: LocalizedText


class ItemsPolicy(_Strict):
    weapons: Literal["all", "heavy_only", "none"]
    id_document: bool
    pledge: bool
    notes: LocalizedText | None = None


class Pledge(_Strict):
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    text: LocalizedText


class CarryAllowance(_Strict):
    weapons: Literal["none", "light_only", "personal_rifle"]
    description: LocalizedText


class CardPolicy(_Strict):
    validity_days: int = Field(ge=1, le=3650)
    scope: Literal["city", "governorate", "nationwide"]
    # The holder's photo, taken at intake: not taken ("none", the default), or taken when
    # the person agrees ("optional"), or a condition of registering ("required"). Sealed at
    # rest, printed on the card, and a small face thumbnail is signed into its QR code.
    photo: Literal["none", "optional", "required"] = "none"
    # What the card grants its holder, printed on it and shown at checkpoints.
    grants: LocalizedText | None = None
    # Freshness rule for checkpoints: a status list older than this makes a valid card
    # show in amber (the list's own expiry, STATUS_LIST_HOURS, makes it STATUS STALE).
    status_max_age_hours: int = Field(default=24, ge=1, le=24 * 90)


class BulletinPolicy(_Strict):
    figures: tuple[
        Literal["registered", "amnesty_granted", "departure", "referred", "denied", "pending"], ...
    ]
    min_cell: int = Field(default=5, ge=1, le=100)
    # Figures published exactly (adults' program totals), held until they move by at least
    # min_cell (sulh.ledger.disclosure); every other number is perturbed.
    exact: tuple[
        Literal["registered", "amnesty_granted", "departure", "referred", "denied", "pending"], ...
    ] = ("registered",)
    # The perturbation's parameter (two-sided geometric noise, alpha = exp(-epsilon)); None:
    # the method's default.
    epsilon: float | None = Field(default=None, gt=0, le=5)
    every_hours: int = Field(default=24, ge=1, le=24 * 31)  # how often bulletins publish


class Test(_Strict):
    """One comparison; exactly one of its operators is set."""

    equals: Scalar = None
    in_: tuple[Scalar, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    gte: int | None = None
    lte: int | None = None
    lt: int | None = None
    gt: int | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def holds(self, value: Any) -> bool:
        if self.in_ is not None:
            return value in self.in_
        if self.not_in is not None:
            return value not in self.not_in
        if any(bound is not None for bound in (self.gte, self.lte, self.lt, self.gt)):
            return value is not None and _bounds_hold(self, int(value))
        return bool(value == self.equals)


def _bounds_hold(test: Test, value: int) -> bool:
    return (
        (test.gte is None or value >= test.gte)
        and (test.lte is None or value <= test.lte)
        and (test.lt is None or value < test.lt)
        and (test.gt is None or value > test.gt)
    )


class Rule(_Strict):
    id: Ident
    when: dict[str, Test] = Field(default_factory=dict)
    outcome: Literal["amnesty", "departure", "referral", "denial"]
    destinations: tuple[Ident, ...] | None = None  # departure: limit to these (default: permitted)
    reason: LocalizedText

    @field_validator("when", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``origin: local`` is shorthand for ``origin: {equals: local}``."""
        if not isinstance(value, dict):
            return value
        return {k: v if isinstance(v, dict) else {"equals": v} for k, v in value.items()}

    @field_validator("when")
    @classmethod
    def _known_facts(cls, value: dict[str, Test]) -> dict[str, Test]:
        for fact in value:
            if fact not in FACTS:
                raise ValueError(f"unknown fact {fact!r}; facts are: {', '.join(FACTS)}")
        return value

    def matches(self, facts: CaseFacts) -> bool:
        return all(test.holds(getattr(facts, fact)) for fact, test in self.when.items())


class CaseFacts(BaseModel):
    """What the rules may look at; nothing else about a person reaches them."""

    model_config = ConfigDict(frozen=True)

    category: str
    affiliation: str | None
    origin: Literal["local", "non_local"]
    screening: Literal["clear", "confirmed_match", "pending"]
    age: int | None
    family_size: int
    weapons_surrendered: int
    heavy_weapons_surrendered: int
    has_id_document: bool
    pledge_signed: bool
    requested_destination: str | None


class Proposal(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Literal["amnesty", "departure", "referral", "denial"]
    rule_id: str
    explanation: LocalizedText
    destinations: tuple[str, ...] = ()


class ProgramDefinition(_Strict):
    id: Ident
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    kind: Literal["amnesty", "evacuation", "safe_passage", "withdrawal", "defectors", "ddr"]
    title: LocalizedText
    authority: LocalizedText
    legal_basis: LocalizedText
    area: LocalizedText
    source: str = ""  # where the program's terms come from
    timezone: str
    opens_at: dt.datetime
    deadline: dt.datetime
    window_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    eligible_categories: tuple[str, ...] = Field(min_length=1)
    labels: Labels = Field(default_factory=Labels)
    affiliations: tuple[Affiliation, ...] = ()
    items_to_surrender: ItemsPolicy
    pledge: Pledge
    rules: tuple[Rule, ...] = Field(min_length=1)
    destinations: tuple[Destination, ...] = ()
    carry_allowance: CarryAllowance
    card: CardPolicy
    bulletin: BulletinPolicy
    retention_days: int = Field(ge=30, le=36500)
    outreach: LocalizedText | None = None
    # Which of the officers serving the program see a case: all of them, or only those
    # serving it at the case's station (sulh.accounts.policy, PROGRAM_BOUND).
    officer_scope: Literal["program", "station"] = "program"
    # A convoy stranded in transit longer than this raises an alert (Rashidin, April 2017:
    # about 30 hours stranded before the bombing).
    stranded_alert_hours: int = Field(default=12, ge=1, le=24 * 30)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @field_validator("opens_at", "deadline")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("must include a UTC offset, e.g. 2016-08-01T00:00:00+03:00")
        return value

    @field_validator("eligible_categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for category in value:
            if category not in CATEGORIES:
                raise ValueError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")
        return value

    # --- Behaviour ------------------------------------------------------------

    def known_categories(self) -> tuple[str, ...]:
        return CATEGORIES

    def local_time(self, at: dt.datetime) -> str:
        return at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M %Z")

    def check_open(self, at: dt.datetime) -> None:
        """Refuse an intake before the opening or after the deadline, saying which."""
        if at < self.opens_at:
            raise IntakeWindowClosed(
                f"program {self.id} opens on {self.local_time(self.opens_at)}; "
                "intakes before then are refused",
                field="submitted_at",
            )
        if at > self.deadline:
            raise IntakeWindowClosed(
                f"the deadline of program {self.id} passed on {self.local_time(self.deadline)}; "
                "intakes after it are refused",
                field="submitted_at",
            )

    def destinations_for(self, affiliation: str | None) -> tuple[str, ...]:
        """Where a member of ``affiliation`` may go (all destinations unless restricted)."""
        for group in self.affiliations:
            if group.id == affiliation and group.destinations_only is not None:
                return group.destinations_only
        return tuple(destination.id for destination in self.destinations)

    def propose(self, facts: CaseFacts) -> Proposal:
        for rule in self.rules:
            if rule.matches(facts):
                return Proposal(
                    outcome=rule.outcome,
                    rule_id=rule.id,
                    explanation=rule.reason,
                    destinations=self._departure_destinations(rule, facts),
                )
        raise AssertionError("validated programs end with a catch-all rule")

    def _departure_destinations(self, rule: Rule, facts: CaseFacts) -> tuple[str, ...]:
        if rule.outcome != "departure":
            return ()
        permitted = self.destinations_for(facts.affiliation)
        if rule.destinations is not None:
            permitted = tuple(d for d in permitted if d in rule.destinations)
        wanted = facts.requested_destination
        if wanted in permitted:
            return (wanted, *(d for d in permitted if d != wanted))
        return permitted
