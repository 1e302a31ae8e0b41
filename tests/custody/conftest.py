"""Stores, weapons officers and intakes for custody, through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from sulh.accounts.models import Station, User
from sulh.accounts.roles import Role
from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.custody import services
from sulh.custody.models import Item, Store
from sulh.ledger.services import tree_head_sign
from sulh.programs.models import Program
from sulh.registry.models import Intake
from sulh.registry.schemas import IntakeIn
from tests.conftest import _persona, make_intake, serve_everything

DEFECTORS = "aleppo-2024-defectors"
WHEN = dt.datetime(2024, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def officers(personas: dict[str, User], stations: dict[str, Station]) -> dict[str, User]:
    """Weapons officers: the custodians of the two stores, and two who count and carry."""
    staff = {
        "custodian": _persona("arms-omar", Role.WEAPONS_OFFICER),
        "custodian2": _persona("arms-rana", Role.WEAPONS_OFFICER),
        "officer": _persona("arms-samir", Role.WEAPONS_OFFICER),
        "officer2": _persona("arms-tala", Role.WEAPONS_OFFICER),
    }
    serve_everything()
    return staff


@pytest.fixture
def stores(officers: dict[str, User], stations: dict[str, Station]) -> dict[str, Store]:
    program = Program.objects.get(code=DEFECTORS)
    return {
        "main": services.store_create(
            program=program,
            station=stations["alp1"],
            code="alp-main",
            name="Main armoury",
            custodian=officers["custodian"],
            user=officers["officer"],
        ),
        "north": services.store_create(
            program=program,
            station=stations["alp2"],
            code="alp-north",
            name="North depot",
            custodian=officers["custodian2"],
            user=officers["officer"],
        ),
    }


@pytest.fixture
def intake(personas: dict[str, User]) -> Callable[[], Intake]:
    def make() -> Intake:
        payload = make_intake(DEFECTORS, submitted_at=WHEN.isoformat())
        registered = intake_register(
            data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN
        )
        return registered.case.intake

    return make


@pytest.fixture
def rifle(officers: dict[str, User], stores: dict[str, Store]) -> Callable[..., Item]:
    """A tagged rifle received into a store (``main`` unless told)."""

    def make(store: str = "main", *, serial: str = "", tagged: bool = True, **fields: Any) -> Item:
        make.n += 1  # type: ignore[attr-defined]
        values: dict[str, Any] = {
            "kind": "weapon",
            "make": "Kalashnikov",
            "model": "AKM",
            "calibre": "7.62x39mm",
            "serial": serial or f"KA{make.n:05d}",
            "serial_status": "present",  # type: ignore[attr-defined]
            "condition": "serviceable",
            "location": "rack-1",
        }
        values.update(fields)
        item = services.item_record(store=stores[store], user=officers["officer"], **values).item
        if tagged:
            services.tag_issue(item=item, user=officers["officer"])
        item.refresh_from_db()
        return item

    make.n = 0  # type: ignore[attr-defined]
    return make


@pytest.fixture
def head(db: None) -> Callable[[], Any]:
    """Sign a tree head now (the seed of the next count)."""
    return tree_head_sign
