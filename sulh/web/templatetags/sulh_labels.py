"""Codes shown to people by their names, in the page's language: one place for the site's
vocabulary (categories, outcomes, states, case events, item kinds, relations, ID documents,
figures), so that no page prints ``associated_person`` or ``card_issued``.

In templates (``{% load sulh_labels %}``)::

    {{ item.kind|label:"item_kind" }}
    {{ case.program.code|label:"program" }}   {# the program's title #}
    {% label "category" intake.category program=definition %}   {# the program's own words #}
    {% label "outcome" case.outcome program=case.program.code as shown %}

In Python: ``code_label("event", event.event)``. Categories and outcomes are named
first by the program file's ``labels``, destinations and affiliations by the program's
names for them (``program`` is a ProgramDefinition or a program code), the rest by the
catalogue below; an unknown code is shown as it is (never an empty cell).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sulh.core.errors import SulhError
from sulh.programs.definition import ProgramDefinition
from sulh.programs.services import program_get_definition

register = template.Library()

CATALOGUE: dict[str, dict[str, Promise]] = {
    "category": {
        "combatant": _("Combatant"),
        "associated_person": _("Person associated with an armed group"),
        "dependant": _("Dependant"),
        "child": _("Child"),
        "youth": _("Youth"),
        "child_mobilized_adult_demobilized": _("Recruited as a child, demobilised as an adult"),
        "foreign_combatant": _("Foreign combatant"),
    },
    "outcome": {
        "amnesty": _("Amnesty"),
        "departure": _("Departure"),
        "referral": _("Referral for investigation"),
        "denial": _("Denial"),
    },
    "state": {
        "registered": _("Registered"),
        "screened": _("Screened"),
        "in_review": _("In review"),
        "decision_pending": _("Decision awaiting a second officer"),
        "decided": _("Decided"),
        "card_issued": _("Card issued"),
        "appealed": _("Appealed"),
        "eligibility_revoked": _("Eligibility revoked"),
        "duplicate": _("Closed: a duplicate registration"),
        "with_child_protection": _("With child protection"),
    },
    "event": {
        "registered": _("Registered"),
        "screened": _("Screened"),
        "review_opened": _("Review opened"),
        "review_closed": _("Review closed"),
        "decision_proposed": _("Decision proposed to a second officer"),
        "decision_taken": _("Decision taken"),
        "decision_rejected": _("Decision rejected by the second officer"),
        "appealed": _("Appealed"),
        "card_issued": _("Card issued"),
        "card_renewed": _("Card renewed"),
        "card_revoked": _("Card revoked"),
        "card_suspended": _("Card suspended"),
        "card_reinstatement_asked": _("Card reinstatement asked"),
        "card_reinstated": _("Card reinstated"),
        "card_reinstatement_refused": _("Card reinstatement refused"),
        "child_handed_over": _("Handed over to child protection"),
        "revocation_proposed": _("Revocation of eligibility proposed"),
        "revocation_rejected": _("Revocation of eligibility rejected"),
        "eligibility_revoked": _("Eligibility revoked"),
        "closed_as_duplicate": _("Closed as a duplicate registration"),
        "duplicate_linked": _("A duplicate registration linked to this case"),
    },
    "item_kind": {
        "weapon": _("weapon"),
        "ammunition": _("ammunition"),
        "id_document": _("identity document"),
        "other": _("other"),
    },
    "relation": {
        "spouse": _("spouse"),
        "child": _("child"),
        "parent": _("parent"),
        "sibling": _("sibling"),
        "other": _("other"),
    },
    "document_type": {
        "national_id_card": _("national identity card"),
        "military_id": _("military identity card"),
        "passport": _("passport"),
        "family_booklet": _("family booklet"),
    },
    "sex": {"male": _("male"), "female": _("female")},
    "origin": {"local": _("local"), "non_local": _("not local")},
    "card_state": {"valid": _("Valid"), "revoked": _("Revoked"), "suspended": _("Suspended")},
    "field": {
        "given_name": _("Given name"),
        "father_name": _("Father's name"),
        "grandfather_name": _("Grandfather's name"),
        "family_name": _("Family name"),
        "mother_name": _("Mother's name"),
        "full_name": _("Full name"),
        "name": _("Name"),
        "birth_date": _("Birth date"),
        "birth_year": _("Birth year"),
        "birth_place": _("Birth place"),
        "national_id": _("National number"),
        "sex": _("Sex"),
        "alias": _("Alias"),
        "aliases": _("Aliases"),
    },
    "match": {"duplicate": _("registered before"), "list": _("on a list")},
    "figure": {
        "registered": _("Registered"),
        "amnesty_granted": _("Amnesty granted"),
        "departure": _("Departure"),
        "referred": _("Referred"),
        "denied": _("Denied"),
        "pending": _("Pending"),
        "decided": _("Decided"),
    },
    # departures (issue 19)
    "carried": {
        "weapon": _("weapon"),
        "ammunition": _("ammunition"),
        "belongings": _("belongings"),
    },
    "vehicle": {"bus": _("Bus"), "ambulance": _("Ambulance"), "car": _("Car"), "truck": _("Truck")},
    "incident": {
        "stopped": _("Stopped"),
        "removed": _("Persons removed"),
        "returned": _("Returned"),
        "stranded": _("Stranded"),
        "vehicle_lost": _("Vehicle lost"),
    },
    "traveller": {
        "manifested": _("waiting"),
        "withdrawn": _("taken off the order"),
        "boarded": _("boarded"),
        "no_show": _("did not come"),
        "arrived": _("arrived"),
        "removed": _("removed"),
        "returned": _("returned"),
    },
    "convoy_state": {"planned": _("Boarding"), "departed": _("Departed"), "arrived": _("Arrived")},
    "convoy_event": {
        "created": _("Convoy made"),
        "vehicle_added": _("Vehicle added"),
        "escort_added": _("Escort added"),
        "departed": _("Departed"),
        "arrived": _("Arrived"),
        "stopped": _("Stopped"),
        "removed": _("Persons removed"),
        "returned": _("Returned"),
        "stranded": _("Stranded"),
        "vehicle_lost": _("Vehicle lost"),
    },
    "alert": {
        "departure_family_split": _("A family travels on two vehicles"),
        "unaccompanied_child_to_child_protection": _(
            "A child travels with no adult of the order: child protection is told"
        ),
        "convoy_stopped": _("The convoy was stopped"),
        "convoy_removed": _("Persons were removed"),
        "convoy_returned": _("Persons were returned"),
        "convoy_stranded": _("The convoy is stranded"),
        "convoy_vehicle_lost": _("A vehicle was lost"),
    },
}


def program_definition(program: ProgramDefinition | str | None) -> ProgramDefinition | None:
    """A definition given as itself or by its code; None when there is no such program."""
    if program is None or isinstance(program, ProgramDefinition):
        return program
    try:
        return program_get_definition(code=str(program))
    except SulhError:
        return None


def _program_label(vocabulary: str, code: str, definition: ProgramDefinition) -> str | None:
    own = {
        "category": definition.labels.categories,
        "outcome": definition.labels.outcomes,
        "destination": {d.id: d.name for d in definition.destinations},
        "affiliation": {a.id: a.name for a in definition.affiliations},
        "program": {definition.id: definition.title},
    }
    text = own.get(vocabulary, {}).get(code)
    if text is None:
        return None
    return text.ar if (get_language() or "ar").startswith("ar") else text.en


def code_label(
    vocabulary: str, code: object, *, program: ProgramDefinition | str | None = None
) -> str:
    """``code``'s name in the active language; the code itself when nothing names it."""
    shown = "" if code is None else str(code)
    definition = program_definition(
        shown if vocabulary == "program" and program is None else program
    )
    if definition is not None:
        named = _program_label(vocabulary, shown, definition)
        if named is not None:
            return named
    known = CATALOGUE.get(vocabulary, {}).get(shown)
    return shown if known is None else str(known)


@register.filter(name="label")
def label_filter(code: object, vocabulary: str) -> str:
    return code_label(vocabulary, code)


@register.simple_tag(name="label")
def label_tag(vocabulary: str, code: object, program: ProgramDefinition | str | None = None) -> str:
    return code_label(vocabulary, code, program=program)


def _arabic() -> bool:
    return (get_language() or "ar").startswith("ar")


def comma() -> str:
    """The comma of the page's language: "،" inside Arabic sentences, "," in English."""
    return "،" if _arabic() else ","


def joined(parts: Iterable[object], *, strong: bool = False) -> str:
    """``parts`` as one list in the page's language: joined by its comma, or by its
    semicolon ("؛" in Arabic) when ``strong`` (parts that are sentences themselves)."""
    separator = ("؛" if _arabic() else ";") if strong else comma()
    return f"{separator} ".join(str(part) for part in parts)


@register.simple_tag(name="comma")
def comma_tag() -> str:
    return comma()


def event_automatic(event: Any) -> bool:
    """The screening at registration (against earlier registrations and the lists) is the
    site's own step, whoever registered; so is a step no person took."""
    first_review = event.event == "review_opened" and event.from_state in {"", "registered"}
    return event.actor_id is None or event.event == "screened" or first_review


@register.filter(name="event_said")
def event_said(event: Any) -> str:
    """A line of the case's history: the event's name, and the state it led to when that
    says more (never "Registered → Registered"), the arrow pointing the way the page reads."""
    said = code_label("event", event.event)
    state = code_label("state", event.to_state)
    if event.from_state == event.to_state or event.event == event.to_state or state == said:
        return said
    return f"{said} {'←' if _arabic() else '→'} {state}"


@register.filter(name="event_by")
def event_by(event: Any) -> str:
    """Who took the step: the officer's user name, or the system for its own steps."""
    return str(_("the system")) if event_automatic(event) else event.actor.username


# Why a card officer gives a new card in place of one in force (the old one is revoked).
REPLACE_REASONS: dict[str, Promise] = {
    "damaged": _("The card is damaged or torn, or cannot be read"),
    "lost": _("The card was lost or stolen"),
    "expiring": _("The card's validity is running out"),
    "other": _("Another reason: write it below"),
}


def replace_reason(choice: str, typed: str) -> str:
    """The reason recorded for a new card: the chosen reason's words, then what was typed
    (required for another reason: an empty reason is refused by the service)."""
    typed = " ".join((typed or "").split())
    words = "" if choice == "other" else str(REPLACE_REASONS.get(choice, ""))
    return f"{words}: {typed}" if words and typed else words or typed
