"""Batch dedup on Spark, for registries beyond one machine: the same model, distributed.

The steps are the embedded engine's, each on the cluster:

1. rows of the batch CSV schema are read and checked as ``sulh match dedup`` checks
   them (``parse_people``, partition by partition; a record id seen twice keeps its
   first row, in input order);
2. name statistics (``NameStats``) are counted over the whole input, partition by
   partition, merged, and broadcast, so that rare names weigh what they weigh on one
   machine;
3. every record's blocking keys (``blocking_keys``) are exploded and self-joined on the
   key; keys shared by more than ``MAX_BLOCK`` records are dropped, as on one machine;
   the distinct pairs are scored with ``compare_reaching`` in ``mapPartitions``;
4. the pairs at or above the threshold (links) are collected on the driver and joined
   into linked groups with union-find. They are few (about one per duplicate), so one
   pass on the driver beats iterating label propagation over the cluster; with the
   current model (average clustering, ``cluster.py``) the records of groups of three or
   more are collected and each group is split by average linkage on the driver, as on one
   machine; the cluster id is the record id of the cluster's first record in input
   order, as on one machine.

No Django here, and pyspark is imported only by this module.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sulh.matching.batch import (
    COLUMNS,
    DEDUP_THRESHOLD,
    SCREEN_THRESHOLD,
    RowRejection,
    parse_people,
)
from sulh.matching.cluster import coherent_clusters, link_threshold
from sulh.matching.cluster import roots as _components
from sulh.matching.index import MAX_BLOCK, blocking_keys, name_combinations, namesakes
from sulh.matching.record import PersonRecord
from sulh.matching.score import NameStats, compare_reaching, log_odds
from sulh.matching.versions import CURRENT

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class SparkDedup:
    clusters: DataFrame  # record_id, cluster_id: every accepted record, singletons too
    rejections: list[RowRejection]  # row numbers count the data rows from 2, as read


FIELDS = (*COLUMNS, "aliases")  # aliases: a list entry's other names, "|"-separated


@dataclass(frozen=True)
class SparkScreen:
    hits: DataFrame  # record_id, list_id, score, evidence: best first for each record
    rejections: list[RowRejection]  # the registrants' rows
    list_rejections: list[RowRejection]


def _check(
    rows: Iterable[tuple[dict[str, str | None], int]], *, one_part_ok: bool
) -> Iterator[tuple[Any, ...]]:
    """One partition's rows through the batch reader: accepted records or rejections."""
    rows = [(row, pos) for row, pos in rows if any((v or "").strip() for v in row.values())]
    header = [c for c in FIELDS if c in COLUMNS or any(row.get(c) for row, _ in rows)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([row.get(c) or "" for c in header] for row, _ in rows)
    records, rejections = parse_people(buffer.getvalue(), one_part_ok=one_part_ok)
    rejected = {r.row_number - 2 for r in rejections}
    for rejection in rejections:
        yield ("rejected", rows[rejection.row_number - 2][1], rejection.field, rejection.message)
    accepted = (pos for i, (_, pos) in enumerate(rows) if i not in rejected)
    for pos, record in zip(accepted, records, strict=True):
        values = [getattr(record, c) for c in COLUMNS]
        yield ("record", pos, *values, "|".join(record.aliases))


def _stats(partition: Iterable[Any]) -> Iterator[NameStats]:
    yield NameStats.from_records(_person(row) for row in partition)


def _merge(a: NameStats, b: NameStats) -> NameStats:
    return NameStats(counts=a.counts + b.counts, total=a.total + b.total)


def _person(row: Any, prefix: str = "") -> PersonRecord:
    aliases = tuple(a for a in (row[f"{prefix}aliases"] or "").split("|") if a)
    return PersonRecord(**{c: row[f"{prefix}{c}"] for c in COLUMNS}, aliases=aliases)


def _accepted(
    frame: DataFrame, *, one_part_ok: bool = False
) -> tuple[DataFrame, list[RowRejection]]:
    """(pos, the batch columns, aliases) for the rows the batch reader accepts; the rest.
    ``one_part_ok`` for a list, which names some people by one name alone."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    for column in FIELDS:
        if column not in frame.columns:
            frame = frame.withColumn(column, F.lit(None).cast("string"))
    frame = frame.select(*(F.col(c).cast("string") for c in FIELDS))
    checked = (
        frame.rdd.zipWithIndex()
        .map(lambda rp: (rp[0].asDict(), rp[1]))
        .mapPartitions(functools.partial(_check, one_part_ok=one_part_ok))
    ).cache()
    rejections = [
        RowRejection(pos + 2, field, message)
        for _, pos, field, message in checked.filter(lambda t: t[0] == "rejected").collect()
    ]
    schema = StructType(
        [StructField("pos", LongType())] + [StructField(c, StringType()) for c in FIELDS]
    )
    parsed = frame.sparkSession.createDataFrame(
        checked.filter(lambda t: t[0] == "record").map(lambda t: t[1:]), schema
    )
    first = Window.partitionBy("record_id").orderBy("pos")
    ranked = parsed.withColumn("_n", F.row_number().over(first))
    for pos, record_id in ranked.filter("_n > 1").select("pos", "record_id").collect():
        rejections.append(RowRejection(pos + 2, "record_id", f"{record_id!r} appears twice"))
    rejections.sort(key=lambda r: r.row_number)
    return ranked.filter("_n = 1").drop("_n").cache(), rejections


def _keys(records: DataFrame) -> DataFrame:
    """(key, pos) for every blocking key of every record, and the key's block size."""
    from pyspark.sql import functions as F

    keys = records.rdd.flatMap(
        lambda row: ((key, row["pos"]) for key in blocking_keys(_person(row)))
    ).toDF(["key", "pos"])
    return keys.join(keys.groupBy("key").count(), "key").filter(F.col("count") <= MAX_BLOCK)


def _sides(records: DataFrame, prefix: str) -> DataFrame:
    from pyspark.sql import functions as F

    return records.select(*(F.col(c).alias(f"{prefix}{c}") for c in ["pos", *FIELDS]))


def dedup_frame(frame: DataFrame, *, threshold: float | None = None) -> SparkDedup:
    """record_id → cluster_id over a DataFrame with (some of) the batch CSV's columns."""
    from pyspark.sql import functions as F

    threshold = DEDUP_THRESHOLD if threshold is None else threshold
    cut = 0.0
    if CURRENT.clustering == "average":
        threshold, cut = link_threshold(threshold, CURRENT.cluster_offset)
    spark = frame.sparkSession
    records, rejections = _accepted(frame)
    stats = spark.sparkContext.broadcast(records.rdd.mapPartitions(_stats).treeReduce(_merge))
    kept = _keys(records).filter(F.col("count") > 1).drop("count")
    pairs = (
        kept.alias("a")
        .join(
            kept.alias("b"), (F.col("a.key") == F.col("b.key")) & (F.col("a.pos") < F.col("b.pos"))
        )
        .select(F.col("a.pos").alias("i"), F.col("b.pos").alias("j"))
        .distinct()
    )
    left, right = _sides(records, "l_"), _sides(records, "r_")
    both = pairs.join(left, pairs.i == left.l_pos).join(right, pairs.j == right.r_pos)

    def score(partition: Iterable[Any]) -> Iterator[tuple[int, int]]:
        table = stats.value
        for row in partition:
            a, b = _person(row, "l_"), _person(row, "r_")
            if compare_reaching(a, b, threshold=threshold, stats=table) is not None:
                yield row["i"], row["j"]

    labels = _components(both.rdd.mapPartitions(score).collect())
    if CURRENT.clustering == "average":
        labels = _average_linkage(records, labels, stats.value, cut)
    names = records.select(F.col("pos").alias("root"), F.col("record_id").alias("cluster_id"))
    assigned = spark.createDataFrame(list(labels.items()), "pos long, root long").join(
        names, "root"
    )
    clusters = (
        records.join(assigned, "pos", "left")
        .select("pos", "record_id", F.coalesce("cluster_id", "record_id").alias("cluster_id"))
        .orderBy("pos")
        .drop("pos")
    )
    return SparkDedup(clusters=clusters, rejections=rejections)


def screen_frame(
    list_frame: DataFrame,
    frame: DataFrame,
    *,
    threshold: float | None = None,
    limit: int = 20,
) -> SparkScreen:
    """Every registrant against the list, as ``sulh match screen`` does on one machine.

    The list's statistics weigh the names; a registrant's candidates are the entries
    sharing one of its blocking keys, where the list holds at most ``MAX_BLOCK`` entries
    under that key; at most ``limit`` hits a registrant, best first.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    threshold = SCREEN_THRESHOLD if threshold is None else threshold
    spark = frame.sparkSession
    entries, list_rejections = _accepted(list_frame, one_part_ok=True)
    records, rejections = _accepted(frame)
    stats = spark.sparkContext.broadcast(entries.rdd.mapPartitions(_stats).treeReduce(_merge))
    counts = spark.sparkContext.broadcast(_namesake_counts(entries, records))
    listed = _keys(entries).select("key", F.col("pos").alias("e"))
    asked = records.rdd.flatMap(
        lambda row: ((key, row["pos"]) for key in blocking_keys(_person(row)))
    ).toDF(["key", "q"])
    pairs = asked.join(listed, "key").select("q", "e").distinct()
    left, right = _sides(records, "q_"), _sides(entries, "e_")
    both = pairs.join(left, pairs.q == left.q_pos).join(right, pairs.e == right.e_pos)

    def score(partition: Iterable[Any]) -> Iterator[tuple[int, str, str, float, str]]:
        table = stats.value
        held = counts.value  # None when the model does not weigh name combinations
        for row in partition:
            person, entry = _person(row, "q_"), _person(row, "e_")
            found = None
            if held is not None:
                theirs = name_combinations(entry)
                shared = [(k, r) for k, r in name_combinations(person).items() if k in theirs]
                found = namesakes(shared, held[0], held[1])
            result = compare_reaching(
                person, entry, threshold=threshold, stats=table, screening=True,
                namesakes=found,
            )  # fmt: skip
            if result is not None:
                yield (
                    row["q"],
                    row["q_record_id"],
                    row["e_record_id"],
                    result.score,
                    result.explain(),
                )

    found = both.rdd.mapPartitions(score).toDF(
        "pos long, record_id string, list_id string, score double, evidence string"
    )
    best = Window.partitionBy("pos").orderBy(F.col("score").desc(), F.col("list_id"))
    hits = (
        found.withColumn("rank", F.row_number().over(best))
        .filter(F.col("rank") <= limit)
        .orderBy("pos", "rank")
        .drop("pos", "rank")
    )
    return SparkScreen(hits=hits, rejections=rejections, list_rejections=list_rejections)


def _namesake_counts(
    entries: DataFrame, records: DataFrame
) -> tuple[dict[str, int], dict[str, int]] | None:
    """For the models that weigh name combinations (2026.12d on), how many registrants and
    how many list entries hold each combination some entry holds, as ``batch.screen``
    counts them (``combination_counts``; the list's index): a registrant and an entry can
    share only a combination the list holds, so only those are counted and broadcast."""
    if CURRENT.namesakes is None:
        return None

    def combinations(row: Any) -> Iterator[tuple[str, int]]:
        return ((key, 1) for key in name_combinations(_person(row)))

    listed = dict(entries.rdd.flatMap(combinations).reduceByKey(lambda a, b: a + b).collect())
    wanted = entries.sparkSession.sparkContext.broadcast(frozenset(listed))
    held = (
        records.rdd.flatMap(combinations)
        .filter(lambda pair: pair[0] in wanted.value)
        .reduceByKey(lambda a, b: a + b)
        .collect()
    )
    return dict(held), listed


def _average_linkage(
    records: DataFrame, labels: dict[int, int], table: NameStats, cut: float
) -> dict[int, int]:
    """The linked groups of three records or more split on the driver as on one machine
    (``cluster.coherent_clusters``): their records are collected (a small share of the
    registry: the records with duplicates) and every pair of a group is weighed."""
    from pyspark.sql import functions as F

    groups: dict[int, list[int]] = {}
    for pos, root in labels.items():
        groups.setdefault(root, []).append(pos)
    wanted = sorted(pos for members in groups.values() if len(members) > 2 for pos in members)
    if not wanted:
        return labels
    spark = records.sparkSession
    chosen = spark.createDataFrame([(pos,) for pos in wanted], "pos long")
    rows = records.join(F.broadcast(chosen), "pos").collect()
    people = {row["pos"]: _person(row) for row in rows}
    linked = sorted((sorted(m) for m in groups.values() if len(m) > 2), key=lambda m: m[0])

    def weigh(i: int, j: int) -> float:
        return log_odds(people[i], people[j], stats=table, model=CURRENT)

    out = dict(labels)
    for parts in coherent_clusters(linked, weigh, cut=cut, cannot_link=CURRENT.cannot_link):
        for part in parts:
            for pos in part:
                out[pos] = part[0]
    return out


def read_people(spark: SparkSession, path: str) -> DataFrame:
    """The batch CSV (UTF-8, header row) from any path Spark reads: local, hdfs://, s3a://."""
    return (
        spark.read.option("header", True)
        .option("encoding", "UTF-8")
        .option("multiLine", True)
        .option("mode", "PERMISSIVE")
        .option("inferSchema", False)
        .csv(path)
    )


def session(app: str = "sulh match") -> SparkSession:
    """The configured Spark session (spark-submit's), or a local one using every core."""
    import os
    import sys

    from pyspark.sql import SparkSession

    # A local run starts its Python workers with this interpreter, which has sulh.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.appName(app).getOrCreate()
    conf = spark.sparkContext.getConf()
    if conf.get("spark.master", "").startswith("local") and not conf.contains(
        "spark.sql.shuffle.partitions"
    ):
        # Spark's 200 shuffle partitions suit a cluster; on one machine each is a task
        # with its own Python round trip, so use a few per core unless told otherwise.
        cores = spark.sparkContext.defaultParallelism
        spark.conf.set("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
    return spark
