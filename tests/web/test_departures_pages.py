"""The departures staff pages with Django's test client, in English and Arabic: orders to
place, the convoy builder, the boarding screen, the status board and the arrival screen.
A role without the page's action gets 403 (a page, not a crash); a refusal names the field
beside its box, answers 4xx and changes nothing; a retried boarding counts once; no page
lists a traveller's name."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from sulh.departures import movement, services
from sulh.departures.models import (
    Convoy,
    ConvoyEvent,
    DepartureOrder,
    OrderEvent,
    Traveller,
    TravellerEvent,
    Vehicle,
)
from sulh.web import departure_views
from tests.conftest import PASSWORD
from tests.departures.conftest import (
    NAMES,
    RESTRICTED,
    SAFE_PASSAGE,
    WHEN,
    WITHDRAWAL,
    departure_case,
    family_ids,
)

__all__ = ["departure_case"]
pytestmark = pytest.mark.django_db
START = WHEN[SAFE_PASSAGE]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The pages' clock, set inside the seed programs' historical windows."""
    now = {"at": START + dt.timedelta(hours=3)}
    monkeypatch.setattr(departure_views, "_now", lambda: now["at"])
    return now


def _client(user: Any, lang: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = lang
    return client


def _recorded() -> list[Any]:
    """Everything a refused request must leave as it was."""
    return [
        list(Traveller.objects.order_by("pk").values_list("pk", "status", "vehicle_id")),
        list(DepartureOrder.objects.order_by("pk").values_list("pk", "state", "convoy_id")),
        list(Convoy.objects.order_by("pk").values_list("pk", "state")),
        list(Vehicle.objects.order_by("pk").values_list("pk", "seats")),
        TravellerEvent.objects.count(),
        ConvoyEvent.objects.count(),
        OrderEvent.objects.count(),
    ]


def _field_error(response: Any, field: str) -> str:
    """The refusal shown for ``field`` (beside its box or on top, naming it)."""
    html = response.content.decode()
    found = re.search(r'data-field="([^"]*)"', html)
    assert found, html[:3000]
    assert found.group(1) == field, found.group(1)
    return html


def _no_names(response: Any) -> None:
    html = response.content.decode()
    for name in NAMES:
        assert name not in html


def _order(case: Any, user: Any) -> DepartureOrder:
    return services.order_create(case=case, user=user, family_member_ids=family_ids(case))


def _convoy(user: Any, program: str = SAFE_PASSAGE, seats: tuple[int, ...] = (50,)) -> Convoy:
    start = WHEN[program]
    convoy = services.convoy_create(
        user=user,
        program=program,
        destination="western-rural-aleppo",
        departs_from=start + dt.timedelta(hours=2),
        departs_until=start + dt.timedelta(hours=6),
        assembly_point="Ramouseh roundabout",
        crossing="Ramouseh road",
    )
    for number, count in enumerate(seats, start=1):
        services.vehicle_add(convoy=convoy, user=user, kind="bus", plate=f"B-{number}", seats=count)
    return convoy


CONVOY_FORM = {
    "program": SAFE_PASSAGE,
    "destination": "western-rural-aleppo",
    "departs_from": "2016-12-16T12:00",
    "departs_until": "2016-12-16T16:00",
    "assembly_point": "Ramouseh roundabout",
    "crossing": "Ramouseh road",
}
PAGES = (
    ("/departures/", "coordinator"),
    ("/convoys/new/", "coordinator"),
    ("/convoys/{c}/", "coordinator"),
    ("/convoys/{c}/board/", "monitor"),
    ("/boarding/", "coordinator"),
    ("/convoys/{c}/boarding/", "coordinator"),
    ("/convoys/{c}/arrivals/", "coordinator"),
    ("/cases/{s}/departure-order/", "coordinator"),
)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_each_page_opens_for_its_role_and_is_403_for_others(personas, departure_case, lang):
    case = departure_case()
    convoy = _convoy(personas["coordinator"])
    for path, role in PAGES:
        url = path.format(c=convoy.pk, s=case.intake.serial)
        shown = _client(personas[role], lang).get(url)
        assert shown.status_code == 200, (url, shown.status_code)
        html = shown.content.decode()
        assert f'lang="{lang}"' in html
        heading = re.search(r"<h1>(.*?)</h1>", html, re.S)
        assert heading and bool(re.search("[\u0600-\u06ff]", heading.group(1))) == (lang == "ar"), (
            url,
            heading,
        )
        _no_names(shown)
        refused = _client(personas["clerk"], lang).get(url)
        assert refused.status_code == 403, (url, refused.status_code)
        assert 'id="error-page"' in refused.content.decode()
    # the monitor sees the counts, not the builder or the door
    monitor = _client(personas["monitor"], lang)
    for path in ("/convoys/{c}/", "/convoys/{c}/boarding/", "/departures/"):
        assert monitor.get(path.format(c=convoy.pk)).status_code == 403
    assert monitor.get("/convoys/").status_code == 200


def test_posts_are_refused_for_a_role_without_the_action(personas, departure_case, clock):
    case = departure_case()
    convoy = _convoy(personas["coordinator"])
    order = _order(case, personas["coordinator"])
    before = _recorded()
    for role in ("monitor", "manager", "checkpoint"):
        client = _client(personas[role])
        for path, body in (
            (f"/cases/{case.intake.serial}/departure-order/", {"destination": "idlib"}),
            ("/convoys/new/", {"program": SAFE_PASSAGE}),
            (f"/convoys/{convoy.pk}/vehicles/", {"kind": "bus", "plate": "X", "seats": "4"}),
            (f"/convoys/{convoy.pk}/escorts/", {"organisation": "ICRC"}),
            (f"/convoys/{convoy.pk}/placements/", {"order": order.pk, "vehicle": "1"}),
            (f"/convoys/{convoy.pk}/departure/", {}),
            (f"/convoys/{convoy.pk}/incidents/", {"kind": "stopped"}),
            (f"/convoys/{convoy.pk}/arrival/", {}),
            (f"/convoys/{convoy.pk}/boarding/", {"code": "1", "step": "record"}),
            (f"/convoys/{convoy.pk}/no-shows/", {"code": "1"}),
            (f"/convoys/{convoy.pk}/arrivals/", {"code": "1", "step": "record"}),
        ):
            assert client.post(path, body).status_code in (403, 404), (role, path)
    assert _recorded() == before


def test_an_order_is_made_from_a_departure_decision(personas, departure_case):
    case = departure_case()
    client = _client(personas["coordinator"])
    listed = client.get("/departures/")
    assert f"/cases/{case.intake.serial}/departure-order/" in listed.content.decode()
    members = family_ids(case)
    made = client.post(
        f"/cases/{case.intake.serial}/departure-order/",
        {
            "destination": "western-rural-aleppo",
            "family_members": [str(m) for m in members[:2]],
            "items-person-kind": "belongings",
        },
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    order = DepartureOrder.objects.get(case=case)
    assert order.travellers.count() == 3
    page = client.get("/departures/")
    assert f'id="order-{order.pk}"' in page.content.decode()
    _no_names(page)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"destination": "nowhere"}, "destination"),
        (
            {"destination": "western-rural-aleppo", "family_members": ["999999"]},
            "family_members[0]",
        ),
        (
            {
                "destination": "western-rural-aleppo",
                "items-person-kind": "weapon",
                "items-person-heavy": "1",
            },
            "items[person][0].heavy",
        ),
    ],
)
def test_a_bad_order_names_the_field_and_makes_nothing(personas, departure_case, body, field):
    case = departure_case()
    before = _recorded()
    refused = _client(personas["coordinator"]).post(
        f"/cases/{case.intake.serial}/departure-order/", body
    )
    assert 400 <= refused.status_code < 500
    _field_error(refused, field)
    assert _recorded() == before


def test_the_restricted_group_is_offered_idlib_only(personas, departure_case):
    case = departure_case(affiliation=RESTRICTED, destination="idlib")
    page = _client(personas["coordinator"]).get(f"/cases/{case.intake.serial}/departure-order/")
    html = page.content.decode()
    assert 'value="idlib"' in html and 'value="western-rural-aleppo"' not in html


def test_a_convoy_is_built_and_an_order_placed(personas, departure_case):
    case = departure_case()
    order = _order(case, personas["coordinator"])
    client = _client(personas["coordinator"])
    made = client.post("/convoys/new/", CONVOY_FORM | {"escort": "SARC"})
    assert made.status_code == 302, made.content.decode()[:3000]
    convoy = Convoy.objects.get()
    assert list(convoy.escorts.values_list("organisation", flat=True)) == ["SARC"]
    for plate in ("B-1", "B-2"):
        added = client.post(
            f"/convoys/{convoy.pk}/vehicles/",
            {"kind": "bus", "plate": plate, "seats": "3", "driver": "Driver Generated"},
        )
        assert added.status_code == 302
    assert (
        client.post(f"/convoys/{convoy.pk}/escorts/", {"organisation": "ICRC"}).status_code == 302
    )
    builder = client.get(f"/convoys/{convoy.pk}/")
    html = builder.content.decode()
    assert f'id="place-{order.pk}"' in html and "Driver Generated" not in html
    # four travellers on a three-seat vehicle: refused, naming the vehicle
    before = _recorded()
    full = client.post(f"/convoys/{convoy.pk}/placements/", {"order": order.pk, "vehicle": "1"})
    assert full.status_code == 422
    _field_error(full, "vehicle")
    # split without a reason: refused, naming split_reason
    travellers = list(order.travellers.order_by("pk"))
    split = {f"split-{travellers[-1].pk}": "2"}
    unreasoned = client.post(
        f"/convoys/{convoy.pk}/placements/", {"order": order.pk, "vehicle": "1", **split}
    )
    assert unreasoned.status_code == 422
    _field_error(unreasoned, "split_reason")
    assert _recorded() == before
    placed = client.post(
        f"/convoys/{convoy.pk}/placements/",
        {"order": order.pk, "vehicle": "1", **split, "split_reason": "only three seats left"},
    )
    assert placed.status_code == 302
    assert sorted(order.travellers.values_list("vehicle__number", flat=True)) == [1, 1, 1, 2]
    board = _client(personas["monitor"]).get(f"/convoys/{convoy.pk}/board/")
    assert 'data-kind="departure_family_split"' in board.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"destination": "nowhere"}, "destination"),
        ({"departs_from": "not a date"}, "departs_from"),
        ({"assembly_point": ""}, "assembly_point"),
    ],
)
def test_a_bad_convoy_names_the_field(personas, overrides, field):
    body = CONVOY_FORM | overrides
    refused = _client(personas["coordinator"]).post("/convoys/new/", body)
    assert 400 <= refused.status_code < 500
    _field_error(refused, field)
    assert not Convoy.objects.exists()


def test_a_convoy_after_the_48_hour_window_is_refused(personas):
    late = {"departs_from": "2016-12-25T12:00", "departs_until": "2016-12-25T16:00"}
    refused = _client(personas["coordinator"]).post(
        "/convoys/new/", CONVOY_FORM | late | {"program": WITHDRAWAL}
    )
    assert refused.status_code == 422
    _field_error(refused, "departs_until")
    assert not Convoy.objects.exists()


def test_a_bad_vehicle_names_the_field(personas):
    convoy = _convoy(personas["coordinator"])
    before = _recorded()
    client = _client(personas["coordinator"], "ar")
    refused = client.post(
        f"/convoys/{convoy.pk}/vehicles/", {"kind": "bus", "plate": "X", "seats": "0"}
    )
    assert refused.status_code == 422
    _field_error(refused, "seats")
    refused = client.post(
        f"/convoys/{convoy.pk}/vehicles/", {"kind": "tank", "plate": "X", "seats": "4"}
    )
    _field_error(refused, "kind")
    assert _recorded() == before


def _placed(personas: Any, departure_case: Any) -> tuple[Convoy, DepartureOrder, list[Traveller]]:
    case = departure_case()
    order = _order(case, personas["coordinator"])
    convoy = _convoy(personas["coordinator"])
    services.order_place(order=order, vehicle=convoy.vehicles.get(), user=personas["coordinator"])
    return convoy, order, list(order.travellers.order_by("pk"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_boarding_at_the_door_counts_a_retry_once(personas, departure_case, clock, lang):
    convoy, _order_made, travellers = _placed(personas, departure_case)
    client = _client(personas["coordinator"], lang)
    url = f"/convoys/{convoy.pk}/boarding/"
    door = client.get(f"{url}?vehicle=1")
    assert door.status_code == 200 and 'id="scan-form"' in door.content.decode()
    # Arabic-Indic digits are read as the key
    key = str(travellers[0].pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    found = client.post(url, {"code": key, "vehicle": "1", "step": "find"})
    html = found.content.decode()
    assert found.status_code == 200 and f'data-traveller="{travellers[0].pk}"' in html
    _no_names(found)
    event_id = re.search(r'name="device_event_id" value="([^"]+)" id="device_event_id"', html)
    assert event_id
    body = {
        "code": str(travellers[0].pk),
        "vehicle": "1",
        "device_event_id": event_id.group(1),
        "items_as_declared": "yes",
        "step": "record",
    }
    first = client.post(url, body)
    assert first.status_code == 302
    again = client.post(url, body)  # the same submit, retried
    assert again.status_code == 302
    assert TravellerEvent.objects.filter(event="boarded").count() == 1
    assert Traveller.objects.get(pk=travellers[0].pk).status == "boarded"
    shown = client.get(again["Location"])
    assert "counted once" in shown.content.decode() or lang == "ar"
    # scanned again under a new id: refused, naming the traveller, nothing changed
    before = _recorded()
    twice = client.post(url, body | {"device_event_id": "another-scan"})
    assert twice.status_code == 409
    said = _field_error(twice, "traveller")
    assert ("صعد هذا المسافر من قبل" if lang == "ar" else "already boarded") in said
    assert _recorded() == before


def test_boarding_refusals_name_the_field(personas, departure_case, clock):
    convoy, _order_made, travellers = _placed(personas, departure_case)
    other = _convoy(personas["coordinator"])
    client = _client(personas["coordinator"])
    before = _recorded()
    url = f"/convoys/{convoy.pk}/boarding/"
    base = {"vehicle": "1", "device_event_id": "d-1", "step": "record"}
    unknown = client.post(url, base | {"code": "999999"})
    assert unknown.status_code == 404
    _field_error(unknown, "code")
    empty = client.post(url, base | {"code": ""})
    _field_error(empty, "code")
    heavy = client.post(
        url,
        base
        | {
            "code": str(travellers[0].pk),
            "items_as_declared": "no",
            "door-kind": "weapon",
            "door-tag": "T-1",
            "door-heavy": "1",
        },
    )
    assert heavy.status_code == 422
    assert 'id="items-error"' in _field_error(heavy, "items[0].heavy")
    wrong = client.post(f"/convoys/{other.pk}/boarding/", base | {"code": str(travellers[0].pk)})
    assert 400 <= wrong.status_code < 500
    assert _recorded() == before


def test_the_board_departs_records_incidents_and_shows_the_gap(personas, departure_case, clock):
    convoy, _order_made, travellers = _placed(personas, departure_case)
    coordinator = personas["coordinator"]
    for index, traveller in enumerate(travellers[:3]):
        movement.boarding_record(
            traveller=traveller,
            vehicle=convoy.vehicles.get(),
            user=coordinator,
            at=clock["at"],
            device_event_id=f"b-{index}",
        )
    client = _client(coordinator)
    board = f"/convoys/{convoy.pk}/board/"
    assert 'id="gap"' not in client.get(board).content.decode()  # not left: no gap yet
    # an incident before departure: refused, naming the convoy
    before = _recorded()
    early = client.post(f"/convoys/{convoy.pk}/incidents/", {"kind": "stopped"})
    assert early.status_code == 409
    _field_error(early, "convoy")
    assert _recorded() == before
    assert client.post(f"/convoys/{convoy.pk}/departure/", {}).status_code == 302
    convoy.refresh_from_db()
    assert convoy.state == "departed"
    # too many removed: refused, naming the count
    before = _recorded()
    many = client.post(
        f"/convoys/{convoy.pk}/incidents/", {"kind": "removed", "vehicle": "1", "count": "9"}
    )
    assert many.status_code == 422
    _field_error(many, "count")
    assert _recorded() == before
    removed = client.post(
        f"/convoys/{convoy.pk}/incidents/",
        {"kind": "removed", "vehicle": "1", "count": "1", "note": "checkpoint at km 12"},
    )
    assert removed.status_code == 302
    page = _client(personas["monitor"], "ar").get(board)
    html = page.content.decode()
    assert 'data-kind="convoy_removed"' in html
    assert 'id="counts-1" data-boarded="3" data-unaccounted="2" class="gap"' in html
    assert 'id="gap"' in html
    assert "checkpoint at km 12" not in html
    _no_names(page)
    # arrival screen: one arrives; someone who never boarded is refused
    arrivals = f"/convoys/{convoy.pk}/arrivals/"
    arrived = client.post(
        arrivals, {"code": str(travellers[0].pk), "device_event_id": "a-1", "step": "record"}
    )
    assert arrived.status_code == 302
    before = _recorded()
    never = client.post(
        arrivals, {"code": str(travellers[3].pk), "device_event_id": "a-2", "step": "record"}
    )
    assert never.status_code == 409
    _field_error(never, "traveller")
    assert _recorded() == before
    html = _client(personas["monitor"]).get(board).content.decode()
    assert 'id="counts-1" data-boarded="3" data-unaccounted="1" class="gap"' in html
    assert client.post(f"/convoys/{convoy.pk}/arrival/", {}).status_code == 302
    late = client.post(f"/convoys/{convoy.pk}/incidents/", {"kind": "stranded"})
    assert late.status_code == 409
    _field_error(late, "convoy")


def test_a_no_show_is_recorded_once(personas, departure_case, clock):
    convoy, _order_made, travellers = _placed(personas, departure_case)
    client = _client(personas["coordinator"])
    body = {"code": str(travellers[1].pk), "vehicle": "1", "device_event_id": "ns-1"}
    assert client.post(f"/convoys/{convoy.pk}/no-shows/", body).status_code == 302
    assert client.post(f"/convoys/{convoy.pk}/no-shows/", body).status_code == 302
    assert TravellerEvent.objects.filter(event="no_show").count() == 1


def test_the_door_finds_the_holder_by_the_verified_card(personas, departure_case, clock):
    from sulh.cards.services import card_issue, status_list_forget
    from sulh.keys.services import root_online_create

    root_online_create()
    status_list_forget()
    convoy, _order_made, travellers = _placed(personas, departure_case)
    case = _order_made.case
    card = card_issue(case=case, user=personas["card_officer"])
    client = _client(personas["coordinator"], "ar")
    url = f"/convoys/{convoy.pk}/boarding/"
    found = client.post(url, {"code": card.text, "vehicle": "1", "step": "find"})
    assert found.status_code == 200, found.content.decode()[:2000]
    assert f'data-traveller="{travellers[0].pk}"' in found.content.decode()
    _no_names(found)
    # the whole card text is sent back as the traveller's key, never the card itself
    assert card.text not in found.content.decode()
    other = _convoy(personas["coordinator"])
    before = _recorded()
    altered = card.text[:-6] + ("AAAAAA" if not card.text.endswith("AAAAAA") else "BBBBBB")
    forged = client.post(url, {"code": altered, "vehicle": "1", "step": "find"})
    assert forged.status_code == 422
    _field_error(forged, "code")
    assert card.text[:40] not in forged.content.decode()  # a card's code is not echoed
    # the same holder's card at another convoy's door: refused, naming the convoy
    elsewhere = client.post(
        f"/convoys/{other.pk}/boarding/", {"code": card.text, "vehicle": "1", "step": "find"}
    )
    assert elsewhere.status_code == 422
    _field_error(elsewhere, "convoy")
    assert _recorded() == before


def test_the_card_boards_and_arrives_its_holder(personas, departure_case, clock):
    from sulh.cards.services import card_issue, status_list_forget
    from sulh.keys.services import root_online_create

    root_online_create()
    status_list_forget()
    convoy, order, travellers = _placed(personas, departure_case)
    card = card_issue(case=order.case, user=personas["card_officer"])
    client = _client(personas["coordinator"])
    boarded = client.post(
        f"/convoys/{convoy.pk}/boarding/",
        {"code": card.text, "vehicle": "1", "device_event_id": "door-1", "step": "record"},
    )
    assert boarded.status_code == 302
    assert client.post(f"/convoys/{convoy.pk}/departure/", {}).status_code == 302
    arrived = client.post(
        f"/convoys/{convoy.pk}/arrivals/",
        {"code": card.text, "device_event_id": "gate-1", "step": "record"},
    )
    assert arrived.status_code == 302
    assert Traveller.objects.get(pk=travellers[0].pk).status == "arrived"
    page = client.get(arrived["Location"]).content.decode()
    assert 'data-arrived="1" data-boarded="1"' in page
