"""The monitor's recount of the weapons figures from the log's records alone (pure)."""

from __future__ import annotations

from sulh.ledger.weapons import entry_record, figures_record, weapons_check

P = "aleppo-2024-defectors"


def entry(kind: str, item: str, ref: str, store: str = "main", **extra) -> dict:
    return entry_record(
        entry=kind, program=P, store=store, item_kind="weapon", calibre_class="small_arms",
        item=item, ref=ref, **extra,
    )  # fmt: skip


def day(store: str, **figures: int) -> dict:
    return figures_record(key=(P, store, "weapon", "small_arms"), day="2024-12-02", figures=figures)


def honest() -> list[dict]:
    return [
        entry("received", "a", "1"),
        entry("received", "b", "2"),
        entry("received", "c", "3"),
        entry("dispatched", "b", "4"),
        entry("received_at", "b", "5", store="north"),
        entry("destroyed", "c", "6"),
        entry("transferred", "a", "7"),
        entry("reversal", "a", "8", reverses="7"),
        day("main", received=3, in_store=1, destroyed=1, moved_out=1),
        day("north", in_store=1, moved_in=1),
    ]


def test_it_agrees_with_honest_records():
    checked, problems = weapons_check(honest(), program=P)
    assert problems == [] and checked == 2


def test_it_fails_when_a_day_s_figures_are_not_what_the_entries_give():
    records = honest()
    records[-2] = day("main", received=3, in_store=2, moved_out=1)  # the destruction hidden
    _checked, problems = weapons_check(records, program=P)
    assert any("destroyed 0 (not 1)" in p for p in problems)
    assert any("in_store 2 (not 1)" in p for p in problems)


def test_it_fails_when_an_entry_is_missing_from_the_log():
    records = [r for r in honest() if r.get("ref") != "6"]  # the destroyed entry gone
    _checked, problems = weapons_check(records, program=P)
    assert any("destroyed 1 (not 0)" in p for p in problems)


def test_it_fails_when_figures_break_the_identity_or_a_store_is_left_out():
    records = honest()[:-1]  # north's figures left out: main's moved_out has no moved_in
    _checked, problems = weapons_check(records, program=P)
    assert any("no figures for" in p and "north" in p for p in problems)
    assert any("received + recovered = 3" in p for p in problems)  # the program's identity


def test_a_reversal_must_name_the_item_s_latest_entry():
    records = [*honest()[:8], entry("reversal", "b", "9", reverses="4")]
    _checked, problems = weapons_check(records, program=P)
    assert any("not the item's latest" in p for p in problems)


def test_other_programs_records_are_not_counted():
    records = [{**r, "program": "another"} for r in honest()]
    assert weapons_check(records, program=P) == (0, [])
