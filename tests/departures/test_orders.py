"""A departure order from a departure decision: who travels, where to, what they carry;
changed or cancelled until boarding, every change with who, when and why."""

from __future__ import annotations

import pytest

from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.departures import services
from sulh.departures.models import (
    CarriedItem,
    DepartureOrder,
    OrderEvent,
    OrderState,
    Traveller,
    TravellerStatus,
)
from tests.departures.conftest import RESTRICTED, SAFE_PASSAGE, family_ids, refused

pytestmark = pytest.mark.django_db


def test_it_makes_an_order_for_the_person_and_the_family_chosen(personas, departure_case):
    case = departure_case()
    members = family_ids(case)
    order = services.order_create(
        case=case,
        user=personas["coordinator"],
        family_member_ids=members[:2],
        items={"person": [{"kind": "weapon", "tag": "AK-TAG-0001"}]},
    )
    assert order.state == OrderState.OPEN
    assert order.destination == "western-rural-aleppo"
    assert set(order.allowed_destinations) == {
        "idlib",
        "western-rural-aleppo",
        "northern-rural-aleppo",
    }
    travellers = list(order.travellers.order_by("pk"))
    assert [t.family_member_id for t in travellers] == [None, *members[:2]]
    assert [t.is_child for t in travellers] == [False, False, True]
    assert CarriedItem.objects.get(traveller=travellers[0]).tag == "AK-TAG-0001"
    event = OrderEvent.objects.get(order=order)
    assert (event.event, event.actor) == ("created", personas["coordinator"])


def test_it_refuses_a_case_without_a_departure_decision(personas, departure_case):
    undecided = departure_case(decided=False)
    refused("case", services.order_create, case=undecided, user=personas["coordinator"])
    assert not DepartureOrder.objects.exists()


def test_the_restricted_group_may_go_to_idlib_only(personas, departure_case):
    case = departure_case(affiliation=RESTRICTED, destination="idlib")
    error = refused(
        "destination",
        services.order_create,
        case=case,
        user=personas["coordinator"],
        destination="western-rural-aleppo",
    )
    assert "idlib" in error.message
    order = services.order_create(case=case, user=personas["coordinator"])
    assert order.allowed_destinations == ["idlib"] and order.destination == "idlib"


def test_it_refuses_a_heavy_weapon_and_a_second_weapon_naming_the_item(personas, departure_case):
    case = departure_case()
    coordinator = personas["coordinator"]
    refused(
        "items[person][0].heavy",
        services.order_create,
        case=case,
        user=coordinator,
        items={"person": [{"kind": "weapon", "heavy": True, "tag": "DSHK-1"}]},
    )
    refused(
        "items[person][1]",
        services.order_create,
        case=case,
        user=coordinator,
        items={"person": [{"kind": "weapon", "tag": "A"}, {"kind": "weapon", "tag": "B"}]},
    )
    refused(
        "items[person][0].tag",
        services.order_create,
        case=case,
        user=coordinator,
        items={"person": [{"kind": "weapon"}]},
    )
    child = family_ids(case)[1]
    refused(
        f"items[{child}][0].kind",
        services.order_create,
        case=case,
        user=coordinator,
        family_member_ids=[child],
        items={child: [{"kind": "weapon", "tag": "X"}]},
    )
    assert not DepartureOrder.objects.exists() and not Traveller.objects.exists()


def test_a_program_that_allows_no_weapon_refuses_one(personas, departure_case):
    from sulh.programs.services import program_get_definition

    assert program_get_definition(code=SAFE_PASSAGE).carry_allowance.weapons == "light_only"
    # the amnesty program's departures carry nothing (carry_allowance: none)
    from sulh.departures.rules import items_check

    amnesty = program_get_definition(code="aleppo-2016-amnesty")
    with pytest.raises(ValidationFailed) as caught:
        items_check(
            [{"kind": "weapon", "tag": "T"}], definition=amnesty, is_child=False, field="items"
        )
    assert caught.value.field == "items[0].kind"


def test_it_refuses_a_family_member_of_another_intake(personas, departure_case):
    mine, other = departure_case(), departure_case()
    refused(
        "family_members[1]",
        services.order_create,
        case=mine,
        user=personas["coordinator"],
        family_member_ids=[family_ids(mine)[0], family_ids(other)[0]],
    )


def test_one_order_in_effect_per_case(personas, departure_case):
    case = departure_case()
    services.order_create(case=case, user=personas["coordinator"])
    refused("case", services.order_create, case=case, user=personas["coordinator"])


def test_only_an_evacuation_coordinator_makes_orders(personas, departure_case):
    case = departure_case()
    with pytest.raises(PermissionDenied):
        services.order_create(case=case, user=personas["checkpoint"])
    with pytest.raises(PermissionDenied):
        services.order_create(case=case, user=personas["clerk"])


def test_a_coordinator_not_serving_the_program_does_not_see_the_case(personas, departure_case):
    from sulh.accounts.models import Service

    case = departure_case()
    Service.objects.filter(user=personas["coordinator"]).delete()
    with pytest.raises(NotFound):
        services.order_create(case=case, user=personas["coordinator"])


def test_a_change_records_who_when_and_why(personas, departure_case):
    case = departure_case()
    members = family_ids(case)
    order = services.order_create(
        case=case, user=personas["coordinator"], family_member_ids=members
    )
    refused(
        "reason",
        services.order_change,
        order=order,
        user=personas["coordinator"],
        reason="",
        family_member_ids=members[:1],
    )
    services.order_change(
        order=order,
        user=personas["coordinator"],
        reason="the spouse stays with her parents",
        family_member_ids=[members[1], members[2]],
        destination="idlib",
    )
    order.refresh_from_db()
    assert order.destination == "idlib"
    statuses = dict(order.travellers.values_list("family_member_id", "status"))
    assert statuses[members[0]] == TravellerStatus.WITHDRAWN
    assert statuses[members[1]] == statuses[None] == TravellerStatus.MANIFESTED
    change = OrderEvent.objects.get(order=order, event="changed")
    assert change.reason == "the spouse stays with her parents"
    assert change.details == {"destination": True, "withdrawn": 1, "added": 0}
    # a member changes their mind again: back on the order
    services.order_change(
        order=order,
        user=personas["coordinator"],
        reason="she comes after all",
        family_member_ids=members,
    )
    assert order.travellers.filter(status=TravellerStatus.MANIFESTED).count() == 4


def test_the_reason_is_sealed_at_rest(personas, departure_case):
    from django.db import connection

    case = departure_case()
    order = services.order_create(case=case, user=personas["coordinator"])
    services.order_cancel(order=order, user=personas["coordinator"], reason="took amnesty instead")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM departures_orderevent WHERE event = 'cancelled'")
        (stored,) = cursor.fetchone()
        cursor.execute("SELECT destination, allowed_destinations FROM departures_departureorder")
        sealed = cursor.fetchone()
    assert stored.startswith("v2:") and "amnesty" not in stored
    assert all(value.startswith("v2:") and "aleppo" not in value for value in sealed)


def test_a_cancelled_order_changes_no_more_and_a_new_one_may_follow(personas, departure_case):
    case = departure_case()
    order = services.order_create(case=case, user=personas["coordinator"])
    services.order_cancel(order=order, user=personas["coordinator"], reason="changed his mind")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert set(order.travellers.values_list("status", flat=True)) == {TravellerStatus.WITHDRAWN}
    with pytest.raises(Conflict) as caught:
        services.order_cancel(order=order, user=personas["coordinator"], reason="again")
    assert caught.value.field == "order"
    assert services.order_create(case=case, user=personas["coordinator"]).pk != order.pk


def test_retention_blanks_what_staff_wrote_and_keeps_the_counts(personas, departure_case):
    from django.utils import timezone

    from sulh.site.retention import case_erase

    case = departure_case()
    order = services.order_create(
        case=case,
        user=personas["coordinator"],
        items={"person": [{"kind": "weapon", "tag": "AK-TAG-0001"}]},
    )
    services.order_cancel(order=order, user=personas["coordinator"], reason="took amnesty")
    case_erase(case=case, now=timezone.now())
    assert set(OrderEvent.objects.filter(order=order).values_list("reason", flat=True)) == {""}
    assert CarriedItem.objects.get(traveller__order=order).tag == ""
    assert order.travellers.count() == 1
