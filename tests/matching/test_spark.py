"""The Spark engine on a local session: the same clusters and rejections as the embedded one."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

from sulh.cli import main
from sulh.synth import CSV_FIELDS, generate_registry

if importlib.util.find_spec("pyspark") is None:
    pytest.skip(
        "pyspark is not installed: the Spark engine is optional (pip install pyspark)",
        allow_module_level=True,
    )
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java (java on PATH or JAVA_HOME): Spark needs a JVM", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_spark():
    from pyspark.sql import SparkSession

    root = str(Path(__file__).resolve().parents[2])  # the workers import sulh from here
    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYTHONPATH")}
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, saved["PYTHONPATH"]) if p)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("sulh tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_spark_engine_gives_the_embedded_clusters_and_rejections(tmp_path, local_spark):
    rows, _ = generate_registry(300, seed=23)
    bad = [
        {**rows[0]},  # the same record id again: rejected, the first row kept
        {"record_id": "X1", "given_name": "Ahmad محمد", "family_name": "Saleh"},
        {"record_id": "X2", "birth_date": "1980"},  # no name at all
        {"record_id": "X3", "given_name": "Saleh", "birth_date": "1980"},  # one name part
    ]
    people = tmp_path / "people.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows[:150] + bad + rows[150:])
    outputs = {}
    for engine in ("embedded", "spark"):
        out, rejected = tmp_path / f"{engine}.csv", tmp_path / f"{engine}-rejected.csv"
        argv = ["match", "dedup", "--input", str(people), "--output", str(out)]
        assert main([*argv, "--rejections", str(rejected), "--engine", engine]) == 0
        outputs[engine] = (_read(out), _read(rejected))
    (embedded, embedded_rejected), (spark, spark_rejected) = outputs["embedded"], outputs["spark"]
    assert spark == embedded  # every record, the same cluster ids, in input order
    assert len(spark) == 301
    assert len({cluster for _, cluster in spark[1:]}) < 290  # duplicates were found
    assert spark_rejected == embedded_rejected
    assert [row[1:3] for row in spark_rejected[1:]] == [
        ["152", "record_id"],
        ["153", "given_name"],
        ["154", "given_name"],
        ["155", "family_name"],
    ]


def test_spark_engine_gives_the_embedded_screening_hits(tmp_path, local_spark, capsys):
    rows, _ = generate_registry(200, seed=29)
    listed = [{**row, "record_id": f"L{i}", "national_id": ""} for i, row in enumerate(rows[:30])]
    listed[0]["aliases"] = "Abu Khalil|أبو خليل"
    # a list may name someone by one name alone (a registrant needs two name parts)
    listed.append({"record_id": "L-one", "full_name": rows[0]["given_name"] or "Zarqawan"})
    list_file = tmp_path / "list.csv"
    with list_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*CSV_FIELDS, "aliases"], restval="")
        writer.writeheader()
        writer.writerows(listed)
    people = tmp_path / "people.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    outputs = {}
    for engine in ("embedded", "spark"):
        out = tmp_path / f"{engine}-hits.csv"
        argv = ["match", "screen", "--list", str(list_file), "--input", str(people)]
        assert main([*argv, "--output", str(out), "--engine", engine]) == 0
        outputs[engine] = _read(out)
    assert outputs["spark"] == outputs["embedded"]  # the same hits, scores and evidence, in order
    assert len(outputs["spark"]) > 30  # every listed person is found in the registry
    assert "list.csv" not in capsys.readouterr().err  # no list row rejected, by either engine
