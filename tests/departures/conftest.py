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
from sulh.departures import movement, services
from sulh.departures.models import Convoy
from sulh.keys.monitors import MonitorKeys
from sulh.keys.services import monitor_enrol
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


AT = WHEN[SAFE_PASSAGE] + dt.timedelta(hours=3)
# generated names that describe nobody, looked for byte by byte afterwards
PERSON_AR, PERSON_LAT = "زرقونيل", "Zarqunel"
MEMBER_LAT = "Velonirqa Ghassuqar"


@pytest.fixture
def monitor_keys(db):
    keys = MonitorKeys.generate()
    monitor_enrol(public=keys.public("Test monitor"))
    return keys


@pytest.fixture
def departed(personas, departure_case, convoy, monitor_keys):
    """A convoy of two buses: an order of four on bus 1 (the person, a spouse named
    MEMBER_LAT, two children) of whom the spouse does not show and a child is wounded, and
    an order of one on bus 2; departed."""
    coordinator = personas["coordinator"]
    first = departure_case(SAFE_PASSAGE)
    first.intake.person.given_name_ar = PERSON_AR
    first.intake.person.given_name_lat = PERSON_LAT
    first.intake.person.save()
    spouse = first.intake.family.order_by("pk").first()
    spouse.name_lat = MEMBER_LAT
    spouse.save()
    second = departure_case(SAFE_PASSAGE, members=())
    made = convoy(vehicles=(50, 10))
    orders = []
    for case, number in ((first, 1), (second, 2)):
        order = services.order_create(
            case=case,
            user=coordinator,
            family_member_ids=[m.pk for m in case.intake.family.all()],
        )
        services.order_place(
            order=order, vehicle=made.vehicles.get(number=number), user=coordinator
        )
        orders.append(order)
    travellers = list(orders[0].travellers.order_by("pk")) + list(orders[1].travellers.all())
    for index, traveller in enumerate(travellers):
        if traveller.family_member_id == spouse.pk:
            continue  # does not show
        movement.boarding_record(
            traveller=traveller,
            vehicle=traveller.vehicle,
            user=coordinator,
            at=AT,
            device_event_id=f"door:{index}",
            wounded=index == 2,
        )
    movement.convoy_depart(convoy=made, user=coordinator, at=AT + dt.timedelta(minutes=30))
    return made, orders
