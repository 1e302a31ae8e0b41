"""The batch interface: clusters and hits in the stable CSV formats, bad rows reported by number."""

from __future__ import annotations

import csv
from collections import defaultdict
from itertools import combinations, pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sulh.cli import main
from sulh.matching.batch import COLUMNS, InputError, dedup, parse_people, read_people_csv
from sulh.matching.record import PersonRecord
from sulh.matching.versions import VERSIONS
from sulh.synth import CSV_FIELDS, generate_registry

HEADER = ",".join(CSV_FIELDS) + "\n"

COMPONENTS = VERSIONS["sulh-fs-2026.12b"]  # the last version joining linked pairs


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}


def test_dedup_finds_generated_duplicates_across_scripts():
    rows, truth = generate_registry(1500, seed=11)
    clusters = dedup([PersonRecord(**row) for row in rows])
    predicted, actual = defaultdict(list), defaultdict(list)
    for record_id, cluster in clusters.items():
        predicted[cluster].append(record_id)
    for record_id, person in truth.items():
        actual[person].append(record_id)
    true_pairs, found = _pairs(actual), _pairs(predicted)
    precision = len(true_pairs & found) / len(found)
    recall = len(true_pairs & found) / len(true_pairs)
    assert precision >= 0.97 and recall >= 0.9, (precision, recall)


def test_dedup_writes_every_record_with_its_cluster(tmp_path):
    rows, _ = generate_registry(60, seed=5)
    out = tmp_path / "clusters.csv"
    assert (
        main(
            [
                "match",
                "dedup",
                "--input",
                str(_write(tmp_path / "people.csv", rows)),
                "--output",
                str(out),
            ]
        )
        == 0
    )
    written = _read(out)
    assert list(written[0]) == ["record_id", "cluster_id"]
    assert {r["record_id"] for r in written} == {r["record_id"] for r in rows}


def test_screen_writes_hits_best_first(tmp_path):
    listed = [
        {
            "record_id": "L1",
            "given_name": "خالد",
            "father_name": "محمود",
            "family_name": "الشامي",
            "birth_date": "1979",
        }
    ]
    people = [
        {
            "record_id": "P1",
            "given_name": "Khaled",
            "father_name": "Mahmoud",
            "family_name": "al-Shami",
            "birth_date": "1979-05-02",
        },
        {
            "record_id": "P2",
            "given_name": "Rami",
            "family_name": "Haddad",
            "birth_date": "1990-01-02",
        },
    ]
    out = tmp_path / "hits.csv"
    args = ["match", "screen", "--list", str(_write(tmp_path / "list.csv", listed)),
            "--input", str(_write(tmp_path / "people.csv", people)), "--output", str(out)]  # fmt: skip
    assert main(args) == 0
    hits = _read(out)
    assert [(h["record_id"], h["list_id"]) for h in hits] == [("P1", "L1")]
    assert "given_name" in hits[0]["evidence"]


def test_bad_rows_are_rejected_by_number_and_the_rest_runs(tmp_path, capsys):
    text = HEADER + "\n".join(
        [
            "R1,Omar,,Haddad,,,1980,,",
            "R2,too,few,columns",
            "R1,Omar,,Haddad,,,1980,,",
            "R3,Ahmad عمر,,Haddad,,,1980,,",
            "R4,Ali,,Hamadeh,,,1980-13-45,,",
            "R5," + "x" * 10_000 + ",,Haddad,,,1980,,",
            "R6,,,,,,1980,,",
            "R7,Omar\x07,,Hadad,,,1980,,",
            "R8,Omar,,,,,1980,,",
            "R9,,,,,Haddad,1980,,",
        ]
    )
    people = tmp_path / "people.csv"
    people.write_text(text, encoding="utf-8")
    out, rejected = tmp_path / "clusters.csv", tmp_path / "rejected.csv"
    assert (
        main(
            [
                "match",
                "dedup",
                "--input",
                str(people),
                "--output",
                str(out),
                "--rejections",
                str(rejected),
            ]
        )
        == 0
    )
    report = {(r["row"], r["field"]) for r in _read(rejected)}
    assert report == {
        ("3", "(row)"),
        ("4", "record_id"),
        ("5", "given_name"),
        ("6", "birth_date"),
        ("7", "given_name"),
        ("8", "given_name"),
        ("10", "family_name"),
        ("11", "full_name"),
    }
    clusters = {r["record_id"]: r["cluster_id"] for r in _read(out)}
    assert set(clusters) == {"R1", "R7"}  # the control character is cleaned away, the row kept
    assert "row 3" in capsys.readouterr().err


def test_a_file_that_is_not_utf8_or_has_no_header_is_refused(tmp_path, capsys):
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(HEADER.encode() + "R1,Jos\xe9,,Haddad,,,,,\n".encode("latin-1"))
    assert (
        main(["match", "dedup", "--input", str(latin1), "--output", str(tmp_path / "o.csv")]) == 2
    )
    assert "UTF-8" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["match", "dedup", "--input", str(empty), "--output", str(tmp_path / "o.csv")]) == 2
    assert (
        main(
            [
                "match",
                "dedup",
                "--input",
                str(tmp_path / "missing.csv"),
                "--output",
                str(tmp_path / "o.csv"),
            ]
        )
        == 2
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.text(max_size=30), min_size=0, max_size=12), min_size=0, max_size=8),
    st.binary(max_size=64),
)
def test_the_csv_reader_never_fails_on_any_input(tmp_path_factory, rows, junk):
    """Any file gets records, per-row rejections or one clear InputError: nothing else."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", *COLUMNS[1:]])
        for row in rows:
            writer.writerow(row)
    with path.open("ab") as handle:
        handle.write(junk)
    try:
        records, rejections = read_people_csv(path)
    except InputError as exc:
        message = str(exc)
        records, rejections = [], []
        assert message
    else:
        assert all(r.row_number >= 2 and r.field and r.message for r in rejections)
        assert len({r.record_id for r in records}) == len(records)


def _reference_dedup(records: list[PersonRecord], threshold: float) -> dict[str, str]:
    """Every candidate pair compared, no pre-filter, no pool: what dedup must equal (with
    a model clustering by connected components; tests/matching/test_clusters.py checks
    the average-linkage clusters the same way)."""
    from sulh.matching.batch import _candidate_pairs
    from sulh.matching.score import NameStats, compare

    stats = NameStats.from_records(records)
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in _candidate_pairs(records):
        if compare(records[i], records[j], stats=stats, model=COMPONENTS).score >= threshold:
            parent[find(i)] = find(j)
    first: dict[int, str] = {}
    return {r.record_id: first.setdefault(find(i), r.record_id) for i, r in enumerate(records)}


def test_dedup_gives_the_same_clusters_with_one_or_two_workers_as_comparing_every_pair():
    rows, _ = generate_registry(2500, seed=23)
    records = [PersonRecord(**row) for row in rows]
    for threshold in (0.5, 0.9):
        expected = _reference_dedup(records, threshold)
        assert len(set(expected.values())) < len(records)  # some duplicates found
        one = dedup(records, threshold=threshold, workers=1, model=COMPONENTS)
        two = dedup(records, threshold=threshold, workers=2, model=COMPONENTS)
        assert one == two == expected


def test_dedup_progress_reaches_the_end_with_a_pool():
    rows, _ = generate_registry(800, seed=3)
    seen: list[tuple[int, int]] = []
    dedup(
        [PersonRecord(**row) for row in rows], workers=2, progress=lambda d, t: seen.append((d, t))
    )
    assert seen and seen[-1][0] == seen[-1][1]
    assert all(d <= t for d, t in seen)


def test_pre_filter_never_underrates_birth_date_or_national_number():
    import numpy as np

    from sulh.matching.batch import _birth_parts, _birth_weight, _nid_parts, _nid_weight_bound
    from sulh.matching.score import birth_feature, national_id_feature

    births = [
        "",
        "1980",
        "1980-01-01",
        "1981",
        "1982-03-04",
        "1980-03-04",
        "1980-04-03",
        "1981-03-04",
        "1980-03-05",
        "1980-05-04",
        "1980-07-09",
        "1979-03-04",
        "garbage",
    ]
    nids = [
        "",
        "12345678901",
        "12345678902",
        "12345678910",
        "21345678901",
        "12345",
        "012345",
        "92345678909",
        "12-345-678-901",
        "1234567890123456789012",
        "١٢٣٤٥٦٧٨٩٠١",
    ]
    records = [
        PersonRecord(str(k), given_name="x", birth_date=b, national_id=nid)
        for k, (b, nid) in enumerate((b, n) for b in births for n in nids)
    ]
    i, j = (np.array(v) for v in zip(*combinations(range(len(records)), 2), strict=True))
    year, month, day = _birth_parts(records)
    value, length = _nid_parts(records)
    birth = _birth_weight(year[i], month[i], day[i], year[j], month[j], day[j])
    nid = _nid_weight_bound(value[i], length[i], value[j], length[j])
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
        ra, rb = records[a], records[b]
        assert birth[k] == birth_feature(ra.birth_date, rb.birth_date).weight, (ra, rb)
        assert nid[k] >= national_id_feature(ra.national_id, rb.national_id).weight, (ra, rb)


def test_no_candidate_pair_scores_above_the_names_bound():
    from sulh.matching.batch import _MAX_NAMES_MOTHER_PLACE
    from sulh.matching.score import NameStats, compare

    rows, _ = generate_registry(1500, seed=2)
    records = [PersonRecord(**row) for row in rows]
    rare = PersonRecord(
        "r",
        given_name="Zebulon",
        father_name="Quirinus",
        family_name="Xanthopoulos",
        mother_name="Ysolde Vantongeren",
        birth_place="Ushuaia",
    )
    records.append(rare)
    stats = NameStats.from_records(records)
    pairs = [(r, r) for r in records] + list(pairwise(records))
    for a, b in pairs:
        evidence = compare(a, b, stats=stats).evidence
        gain = sum(e.weight for e in evidence if e.field not in {"birth_date", "national_id"})
        assert gain <= _MAX_NAMES_MOTHER_PLACE + 1e-9


def test_dedup_command_writes_the_same_clusters_with_two_workers(tmp_path):
    source = _write(tmp_path / "people.csv", generate_registry(400, seed=9)[0])
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"clusters{workers}.csv"
        args = ["match", "dedup", "--input", str(source), "--output", str(out)]
        assert main([*args, "--workers", workers]) == 0
        outputs.append(_read(out))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 400


def test_a_lone_carriage_return_ends_a_row_and_an_unreadable_row_is_reported():
    text = (
        HEADER
        + "R1,Omar,,Haddad,,,1980,,\rR2,Ali,,Nasser,,,1981,,\n"
        + 'R3,"'
        + "x" * 200_000
        + '",,,,,,,\nR4,Huda,,Saleh,,,1990,,\n'
    )
    records, rejections = parse_people(text)
    assert [r.record_id for r in records] == ["R1", "R2", "R4"]
    assert [(r.row_number, r.field) for r in rejections] == [(4, "(row)")]
    assert "cannot be read as CSV" in rejections[0].message


def test_a_pair_ruled_out_before_comparing_never_reaches_the_threshold():
    """Batch and the online check skip a pair whose names, birth date and national number
    cannot reach the threshold even with the best mother's name and place: such a pair
    would never have scored over it, in dedup or against a list."""
    from sulh.matching.score import NameStats, compare, compare_reaching, could_reach

    one = PersonRecord(
        "a", given_name="Omar", father_name="Khaled", family_name="Haddad",
        birth_date="1980-05-02", national_id="01020304050",
    )  # fmt: skip
    namesake = PersonRecord(
        "b", given_name="Omar", father_name="Khaled", family_name="Haddad",
        birth_date="1994-11-23", national_id="09080706050",
    )  # fmt: skip
    again = PersonRecord(
        "c", given_name="عمر", father_name="خالد", family_name="حداد",
        birth_date="1980-02-05", national_id="01020304060",
    )  # fmt: skip
    other = PersonRecord(
        "d", given_name="Yusuf", father_name="Nabil", family_name="Haddad",
        birth_date="1980-05-02",
    )  # fmt: skip
    assert [could_reach(one, x, threshold=0.5) for x in (namesake, again, other)] == [
        False,
        True,
        False,
    ]
    assert compare(one, again).score >= 0.5

    rows, _ = generate_registry(1200, seed=4)
    records = [PersonRecord(**row) for row in rows]
    stats = NameStats.from_records(records)
    listed = [
        PersonRecord(r.record_id, full_name=r.full_name or f"{r.given_name} {r.family_name}",
                     birth_date=r.birth_date[:4], aliases=(r.mother_name,) if r.mother_name else ())
        for r in records[::7]
    ]  # fmt: skip
    pairs = list(pairwise(records)) + [(records[k], records[-k - 1]) for k in range(600)]
    by_block: dict[str, list[PersonRecord]] = defaultdict(list)
    for record in records:
        by_block[record.family_name[:3]].append(record)
    pairs += [p for block in by_block.values() for p in combinations(block[:30], 2)]
    for threshold in (0.3, 0.5, 0.9):
        ruled_out = given_up = 0
        for a, b in pairs:
            full = compare(a, b, stats=stats)
            if not could_reach(a, b, threshold=threshold, stats=stats):
                ruled_out += 1
                assert full.score < threshold, (a, b)
            # compare_reaching gives up on the way, but never on a pair over the threshold
            reached = compare_reaching(a, b, threshold=threshold, stats=stats)
            assert reached == (full if full.score >= threshold else None), (a, b)
            given_up += reached is None
        assert ruled_out > len(pairs) // 2  # the bound does rule pairs out
        assert given_up > ruled_out  # and weighing the names first gives up on more
        for a, b in zip(records[::7], listed, strict=True):
            full = compare(a, b, screening=True)
            if not could_reach(a, b, threshold=threshold, screening=True):
                assert full.score < threshold, (a, b)
            reached = compare_reaching(a, b, threshold=threshold, screening=True)
            assert reached == (full if full.score >= threshold else None), (a, b)


def test_a_list_may_name_someone_by_one_name_but_a_registrant_needs_two(tmp_path, capsys):
    listed = [{"record_id": "L1", "full_name": "Zarqawan", "birth_date": "1975"}]
    people = [
        {
            "record_id": "P1",
            "given_name": "Zarqawan",
            "family_name": "Haddad",
            "birth_date": "1975",
        },
        {"record_id": "P2", "given_name": "Zarqawan", "birth_date": "1975"},
    ]
    out = tmp_path / "hits.csv"
    args = ["match", "screen", "--list", str(_write(tmp_path / "list.csv", listed)),
            "--input", str(_write(tmp_path / "people.csv", people)), "--output", str(out)]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "list.csv" not in err  # the one-name entry was read
    assert "people.csv: row 3: family_name: only one name part" in err
    assert {h["record_id"] for h in _read(out)} <= {"P1"}
