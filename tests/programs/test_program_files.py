"""Program files: the seeds validate; a broken file gets file, line and field; rules are data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sulh.cli import main
from sulh.programs.loader import ProgramFileError, load_program, load_program_dir

SEEDS = Path(__file__).resolve().parents[2] / "programs"
AMNESTY = SEEDS / "aleppo-2016-amnesty.yaml"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = AMNESTY.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_five_seed_programs_validate():
    programs = load_program_dir(SEEDS)
    assert set(programs) == {
        "aleppo-2016-amnesty",
        "aleppo-2016-evacuation",
        "aleppo-2016-safe-passage",
        "aleppo-2016-48h-withdrawal",
        "aleppo-2024-defectors",
    }
    for definition in programs.values():
        assert definition.pledge.text.ar and definition.pledge.text.en
        assert definition.rules[-1].when == {}
        assert definition.card.validity_days > 0


@pytest.mark.parametrize(
    ("old", "new", "field", "needle", "words"),
    [
        (
            "    when: {origin: local}",
            "    when: {origin: nearby}",
            "rules[4].when.origin",
            "origin: nearby",
            "not a known origin",
        ),
        (
            "    outcome: amnesty\n    reason:\n      ar: من سكان",
            "    outcome: pardon\n    reason:\n      ar: من سكان",
            "rules[4].outcome",
            "outcome: pardon",
            "amnesty",
        ),
        ("timezone: Asia/Damascus", "timezone: Mars/Olympus", "timezone", "timezone:", "IANA"),
        (
            "deadline: 2016-10-28T23:59:59+02:00",
            "deadline: 2016-07-01T00:00:00+03:00",
            "deadline",
            "deadline:",
            "after opens_at",
        ),
        (
            "eligible_categories: [combatant,",
            "eligible_categories: [warlord,",
            "eligible_categories",
            "eligible_categories",
            "unknown category",
        ),
        (
            "retention_days: 1825",
            "retention_days: 1825\nsurprise: 1",
            "surprise",
            "surprise",
            "not a known field",
        ),
        (
            "    when: {screening: confirmed_match}",
            "    when: {height: 180}",
            "rules[1].when",
            "height",
            "unknown fact",
        ),
        (
            "  - id: non-local-departure\n    outcome",
            "  - id: non-local-departure\n    when: {origin: non_local}\n    outcome",
            "rules[5].when",
            "origin: non_local",
            "catch-all",
        ),
        (
            "  - id: western-rural-aleppo\n",
            "  - id: Western Rural\n",
            "destinations[1].id",
            "Western Rural",
            "pattern",
        ),
    ],
)
def test_a_broken_file_names_file_line_and_field(tmp_path, old, new, field, needle, words):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ProgramFileError) as caught:
        load_program(path)
    error = caught.value
    assert error.file == str(path)
    assert error.field == field
    assert error.line == _line_of(path, needle)
    assert words in error.message
    assert str(error).startswith(f"{path}:{error.line}: {field}: ")


def test_a_missing_field_is_named(tmp_path):
    path = _broken(tmp_path, "retention_days: 1825\n", "")
    with pytest.raises(ProgramFileError) as caught:
        load_program(path)
    assert (caught.value.field, caught.value.message) == ("retention_days", "is required")


def test_yaml_tags_are_refused_not_executed(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("id: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(ProgramFileError) as caught:
        load_program(path)
    assert caught.value.field == "(syntax)"


def test_a_syntax_error_names_its_line(tmp_path):
    path = _broken(tmp_path, "kind: amnesty", "kind: [amnesty")
    with pytest.raises(ProgramFileError) as caught:
        load_program(path)
    assert caught.value.line is not None and caught.value.line >= _line_of(path, "kind: [amnesty")


def test_validate_exits_0_for_good_files_and_2_for_a_broken_one(tmp_path, capsys):
    assert main(["programs", "validate", *map(str, sorted(SEEDS.glob("*.yaml")))]) == 0
    assert capsys.readouterr().out.count("OK ") == 5
    broken = _broken(tmp_path, "timezone: Asia/Damascus", "timezone: Nowhere")
    assert main(["programs", "validate", str(AMNESTY), str(broken)]) == 2
    captured = capsys.readouterr()
    assert "OK aleppo-2016-amnesty" in captured.out
    assert f"{broken}:" in captured.err and "timezone" in captured.err


def test_list_shows_each_program_with_its_deadline(capsys):
    assert main(["programs", "list", "--dir", str(SEEDS)]) == 0
    out = capsys.readouterr().out
    assert "aleppo-2024-defectors" in out and "2024-12-06 23:59" in out


_yamlish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=_yamlish)
def test_any_document_either_loads_or_gets_a_program_file_error(tmp_path, document):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        load_program(path)
    except ProgramFileError as error:
        assert error.field  # noqa: PT017 - either outcome is fine; an error must name a field


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
def test_any_text_either_loads_or_gets_a_program_file_error(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_program(path)
    except ProgramFileError as error:
        assert error.field  # noqa: PT017 - either outcome is fine; an error must name a field


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutating_a_seed_field_never_crashes_the_loader(tmp_path, data):
    document = yaml.safe_load(AMNESTY.read_text(encoding="utf-8"))
    key = data.draw(st.sampled_from(sorted(document)))
    document[key] = data.draw(_yamlish)
    path = tmp_path / "mutant.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        load_program(path)
    except ProgramFileError as error:
        assert error.field  # noqa: PT017 - either outcome is fine; an error must name a field
