"""The bulletin as people read it (sulh/ledger/render.py): what the numbers mean, the exact
totals, the rows before the opening and after the deadline, and corridor cells."""

from __future__ import annotations

from sulh.ledger.disclosure import EARLIER, LATER, Method
from sulh.ledger.render import bulletin_html

ROW = {"registered": 12, "amnesty_granted": None, "departure": 6, "referred": None}


def _bulletin(exact):
    return {
        "day": "2016-11-02",
        "tree_head": {"size": 64, "root_hash": "ab" * 32},
        "method": Method(min_cell=7).as_dict(),
        "exact": exact,
        "figures": ROW,
        "children": {"registered": None},
        "by_station": {"alp1": ROW, "alp2": {"registered": None}},
        "by_sex": {},
        "by_age_band": {},
        "by_day": {EARLIER: {"registered": None}, "2016-08-10": ROW, LATER: {"registered": 9}},
        "corridor": {"2016-08-10": {"north": None}, "2016-08-11": {"south": 40}},
    }


def test_it_says_the_numbers_are_perturbed_and_shows_the_exact_totals():
    html = bulletin_html(
        _bulletin({"as_of_size": 60, "figures": {"registered": 131}}), title_en="T", title_ar="ت"
    )
    assert "true value plus a small random amount" in html
    assert "sulh-cellkey/4" in html
    assert "changes only once at least 7 people" in html
    assert "possibly\nnone" in html or "possibly none" in html
    assert "<td>131</td>" in html and "first 60 entries" in html
    assert "&lt; 7" in html and "&lt; 5" not in html  # the method's own minimum
    assert "None" not in html


def test_it_names_the_rows_outside_the_window_and_tells_no_tally_from_a_small_count():
    html = bulletin_html(_bulletin(None), title_en="T", title_ar="ت")
    assert "Before the opening" in html and "After the deadline" in html
    assert ">earlier<" not in html and ">later<" not in html
    # north's count is below the minimum; no tally was entered for south on the 10th
    assert "<tr><td>2016-08-10</td><td>&lt; 7</td><td>–</td></tr>" in html
    assert "Exact totals" in html and "None yet" in html
