"""Who reads custody: the access helpers deny by default."""

from __future__ import annotations

import pytest

from sulh.accounts.models import Service
from sulh.accounts.policy import Action
from sulh.core.errors import NotFound, PermissionDenied
from sulh.custody import counts
from sulh.custody.selectors import count_for_counter, item_get_for_user, store_get_for_user


def test_a_role_without_custody_is_refused(stores, personas):
    for persona in ("clerk", "decider", "checkpoint", "monitor"):
        with pytest.raises(PermissionDenied):
            store_get_for_user(user=personas[persona], store_id=stores["main"].pk,
                               action=Action.SEE_CUSTODY)  # fmt: skip


def test_a_store_of_a_program_not_served_is_not_found(stores, officers, personas):
    assert store_get_for_user(user=personas["manager"], store_id=stores["main"].pk,
                              action=Action.SEE_CUSTODY) == stores["main"]  # fmt: skip
    Service.objects.filter(user=officers["officer2"]).delete()
    with pytest.raises(NotFound):
        store_get_for_user(user=officers["officer2"], store_id=stores["main"].pk,
                           action=Action.SEE_CUSTODY)  # fmt: skip
    with pytest.raises(NotFound):
        store_get_for_user(user=officers["officer"], store_id=99999, action=Action.SEE_CUSTODY)


def test_an_item_for_a_user(rifle, officers, personas):
    item = rifle()
    assert item_get_for_user(user=officers["officer"], item_id=item.pk,
                             action=Action.SEE_CUSTODY) == item  # fmt: skip
    with pytest.raises(PermissionDenied):
        item_get_for_user(user=personas["clerk"], item_id=item.pk, action=Action.SEE_CUSTODY)


def test_a_count_is_seen_only_by_its_counter(rifle, officers, stores, head):
    rifle()
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="full")
    with pytest.raises(NotFound):
        count_for_counter(user=officers["officer2"], count_id=count.pk)
