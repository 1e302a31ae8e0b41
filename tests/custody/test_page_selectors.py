"""The reads the custody pages and endpoints will use: a store list bound to the programs
an officer serves, an item found by its typed or scanned tag, a shipment and a count for
the user who may act on them."""

from __future__ import annotations

import pytest

from sulh.accounts.policy import Action
from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed
from sulh.custody import counts, selectors, services

pytestmark = pytest.mark.django_db


def test_an_item_is_found_by_its_number_or_its_signed_code(rifle):
    item = rifle()
    tag = item.tag
    assert selectors.item_by_tag(scanned=tag.number).pk == item.pk
    assert selectors.item_by_tag(scanned=tag.text).pk == item.pk
    with pytest.raises(NotFound) as unknown:
        selectors.item_by_tag(scanned="9-2099-000001", field="tags[0]")
    assert unknown.value.field == "tags[0]"
    with pytest.raises(ValidationFailed) as empty:
        selectors.item_by_tag(scanned="  ")
    assert empty.value.field == "tag"


def test_stores_shipments_and_counts_are_shown_only_to_who_may_act(
    officers, stores, personas, rifle, head
):
    listed = selectors.stores_for_user(user=officers["officer"], action=Action.SEE_CUSTODY)
    assert [s.code for s in listed] == ["alp-main", "alp-north"]
    with pytest.raises(PermissionDenied):
        selectors.stores_for_user(user=personas["clerk"], action=Action.SEE_CUSTODY)
    item = rifle()
    dispatch = services.dispatch_create(
        from_store=stores["main"],
        to_store_id=stores["north"].pk,
        items=[item],
        seals=["S-1"],
        user=officers["officer"],
    )
    assert selectors.dispatches_to(store=stores["north"]) == [dispatch]
    found = selectors.dispatch_get_for_user(
        user=officers["officer2"], dispatch_id=dispatch.pk, action=Action.DISPATCH_ITEMS
    )
    assert found.pk == dispatch.pk
    with pytest.raises(NotFound):
        selectors.dispatch_get_for_user(
            user=officers["officer2"], dispatch_id=dispatch.pk + 99, action=Action.DISPATCH_ITEMS
        )
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer2"], kind="full")
    assert selectors.count_get_for_user(user=officers["officer2"], count_id=count.pk) == count
    with pytest.raises(NotFound):
        selectors.count_get_for_user(user=officers["officer"], count_id=count.pk)
