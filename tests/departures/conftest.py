"""Departure cases and convoys built through the real services, in the seed programs'
own windows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from sulh.cases import services as cases
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.core.errors import SulhError
from sulh.core.validation import parse
from sulh.departures import services
from sulh.departures.models import Convoy
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

SAFE_PASSAGE = "aleppo-2016-safe-passage"
WITHDRAWAL = "aleppo-2016-48h-withdrawal"
RESTRICTED = "jabhat-fateh-al-sham"
# inside each program's window
WHEN = {
    SAFE_PASSAGE: dt.datetime(2016, 12, 16, 8, 0, tzinfo=dt.UTC),
    WITHDRAWAL: dt.datetime(2016, 12, 16, 8, 0, tzinfo=dt.UTC),
}


NAMES = ("Salma al-Ahmad", "Yusuf al-Ahmad", "Huda al-Ahmad", "Rami al-Ahmad")


def family(*members: tuple[str, str, int]) -> list[dict[str, Any]]:
    """Family members as a desk records them: (relation, sex, birth year)."""
    return [
        {"relation": relation, "sex": sex, "birth_year": year, "name_lat": NAMES[i % len(NAMES)]}
        for i, (relation, sex, year) in enumerate(members)
    ]


A_FAMILY = (("spouse", "female", 1985), ("child", "male", 2008), ("child", "female", 2012))


@pytest.fixture
def departure_case(personas: dict[str, Any]) -> Callable[..., Case]:
    """A case decided ``departure`` (to ``destination``) in ``program``."""

    def make(
        program: str = SAFE_PASSAGE,
        *,
        affiliation: str | None = None,
        destination: str = "western-rural-aleppo",
        members: tuple[tuple[str, str, int], ...] = A_FAMILY,
        decided: bool = True,
    ) -> Case:
        when = WHEN[program]
        if affiliation is None:
            affiliation = "ahrar-al-sham" if program == SAFE_PASSAGE else ""
        payload = make_intake(
            program,
            submitted_at=when,
            affiliation=affiliation,
            family=family(*members),
            items=[],
        )
        case = intake_register(
            data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when
        ).case
        if not decided:
            return case
        cases.decision_record(
            case=case,
            user=personas["decider"],
            outcome="departure",
            reason="",
            destination=destination,
        )
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def convoy(personas: dict[str, Any]) -> Callable[..., Convoy]:
    def make(
        program: str = SAFE_PASSAGE,
        *,
        destination: str = "western-rural-aleppo",
        vehicles: tuple[int, ...] = (50,),
        hours: tuple[int, int] = (2, 6),
    ) -> Convoy:
        start = WHEN[program]
        made = services.convoy_create(
            user=personas["coordinator"],
            program=program,
            destination=destination,
            departs_from=start + dt.timedelta(hours=hours[0]),
            departs_until=start + dt.timedelta(hours=hours[1]),
            assembly_point="Ramouseh roundabout",
            crossing="Ramouseh road",
            escorts=["SARC"],
        )
        for seats in vehicles:
            services.vehicle_add(
                convoy=made,
                user=personas["coordinator"],
                kind="bus",
                plate=f"B-{seats}",
                seats=seats,
                driver="Driver Generated",
            )
        return made

    return make


def refused(field: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> SulhError:
    """Call and expect a refusal naming ``field``."""
    with pytest.raises(SulhError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value
    return caught.value


def family_ids(case: Case) -> list[int]:
    return list(case.intake.family.order_by("pk").values_list("pk", flat=True))
