"""The bulletin's bar charts: a suppressed cell says "< N", never the English "hidden"; right
to left, labels stand on the right and every text says its own direction (issue 22, 14)."""

from __future__ import annotations

import re

from sulh.ledger.render import CHART_WIDTH, LABEL_WIDTH, bars


def test_it_says_a_suppressed_cell_as_the_bulletin_does():
    svg = bars([("قيد المعالجة", None), ("عفو", 12)], title="النتائج", rtl=True, hidden="< 5")
    assert "hidden" not in svg and "&lt; 5" in svg


def test_it_puts_labels_on_the_right_in_right_to_left():
    svg = bars([("عفو", 12)], title="النتائج", rtl=True)
    label_x = float(re.findall(r'<text x="([\d.]+)"', svg)[0])
    assert label_x > CHART_WIDTH - LABEL_WIDTH and 'direction="ltr"' in svg
    assert float(re.findall(r'<text x="([\d.]+)"', bars([("x", 1)], title="t"))[0]) < LABEL_WIDTH
