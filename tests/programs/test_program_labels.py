"""Program files name their categories and outcomes in Arabic and English (issue 22, 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sulh.programs.definition import OUTCOMES
from sulh.programs.loader import ProgramFileError, load_program

SEEDS = Path(__file__).resolve().parents[2] / "programs"


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.yaml")), ids=lambda p: p.stem)
def test_it_labels_every_eligible_category_and_every_outcome(path):
    definition = load_program(path)
    assert set(definition.eligible_categories) <= set(definition.labels.categories)
    assert set(OUTCOMES) == set(definition.labels.outcomes)
    for text in [*definition.labels.categories.values(), *definition.labels.outcomes.values()]:
        assert text.ar and text.en


def test_it_refuses_a_label_for_an_unknown_outcome(tmp_path):
    text = (SEEDS / "aleppo-2016-amnesty.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace("    denial: {ar: رفض, en: Denial}", "    pardon: {ar: عفو, en: Pardon}"),
        encoding="utf-8",
    )
    with pytest.raises(ProgramFileError, match="unknown outcome 'pardon'"):
        load_program(broken)
