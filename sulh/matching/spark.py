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
   the distinct pairs are scored with ``compare`` in ``mapPartitions``;
4. the pairs at or above the threshold are collected on the driver and joined into
   clusters with union-find. They are few (about one per duplicate), so one pass on the
   driver beats iterating label propagation over the cluster; the cluster id is the
   record id of the cluster's first record in input order, as on one machine.

No Django here, and pyspark is imported only by this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sulh.matching.batch import COLUMNS, DEDUP_THRESHOLD, RowRejection, parse_people
from sulh.matching.index import MAX_BLOCK, blocking_keys
from sulh.matching.record import PersonRecord
from sulh.matching.score import NameStats, compare

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class SparkDedup:
    clusters: DataFrame  # record_id, cluster_id: every accepted record, singletons too
    rejections: list[RowRejection]  # row numbers count the data rows from 2, as read


def _check(rows: Iterable[tuple[dict[str, str | None], int]]) -> Iterator[tuple[Any, ...]]:
    """One partition's rows through the batch reader: accepted records or rejections."""
    rows = [(row, pos) for row, pos in rows if any((v or "").strip() for v in row.values())]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([row.get(c) or "" for c in COLUMNS] for row, _ in rows)
    records, rejections = parse_people(buffer.getvalue())
    rejected = {r.row_number - 2 for r in rejections}
    for rejection in rejections:
        yield ("rejected", rows[rejection.row_number - 2][1], rejection.field, rejection.message)
    accepted = (pos for i, (_, pos) in enumerate(rows) if i not in rejected)
    for pos, record in zip(accepted, records, strict=True):
        yield ("record", pos, *(getattr(record, c) for c in COLUMNS))


def _stats(partition: Iterable[Any]) -> Iterator[NameStats]:
    yield NameStats.from_records(_person(row) for row in partition)


def _merge(a: NameStats, b: NameStats) -> NameStats:
    return NameStats(counts=a.counts + b.counts, total=a.total + b.total)


def _person(row: Any) -> PersonRecord:
    return PersonRecord(**{c: row[c] for c in COLUMNS})


def dedup_frame(frame: DataFrame, *, threshold: float | None = None) -> SparkDedup:
    """record_id → cluster_id over a DataFrame with (some of) the batch CSV's columns."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    threshold = DEDUP_THRESHOLD if threshold is None else threshold
    spark = frame.sparkSession
    for column in COLUMNS:
        if column not in frame.columns:
            frame = frame.withColumn(column, F.lit(None).cast("string"))
    frame = frame.select(*(F.col(c).cast("string") for c in COLUMNS))
    checked = (
        frame.rdd.zipWithIndex().map(lambda rp: (rp[0].asDict(), rp[1])).mapPartitions(_check)
    ).cache()
    rejections = [
        RowRejection(pos + 2, field, message)
        for _, pos, field, message in checked.filter(lambda t: t[0] == "rejected").collect()
    ]
    schema = StructType(
        [StructField("pos", LongType())] + [StructField(c, StringType()) for c in COLUMNS]
    )
    parsed = spark.createDataFrame(
        checked.filter(lambda t: t[0] == "record").map(lambda t: t[1:]), schema
    )
    first = Window.partitionBy("record_id").orderBy("pos")
    ranked = parsed.withColumn("_n", F.row_number().over(first))
    for pos, record_id in ranked.filter("_n > 1").select("pos", "record_id").collect():
        rejections.append(RowRejection(pos + 2, "record_id", f"{record_id!r} appears twice"))
    rejections.sort(key=lambda r: r.row_number)
    records = ranked.filter("_n = 1").drop("_n").cache()

    stats = spark.sparkContext.broadcast(records.rdd.mapPartitions(_stats).treeReduce(_merge))
    keys = records.rdd.flatMap(
        lambda row: ((key, row["pos"]) for key in blocking_keys(_person(row)))
    ).toDF(["key", "pos"])
    sizes = keys.groupBy("key").count().filter((F.col("count") > 1) & (F.col("count") <= MAX_BLOCK))
    kept = keys.join(sizes.select("key"), "key")
    pairs = (
        kept.alias("a")
        .join(
            kept.alias("b"), (F.col("a.key") == F.col("b.key")) & (F.col("a.pos") < F.col("b.pos"))
        )
        .select(F.col("a.pos").alias("i"), F.col("b.pos").alias("j"))
        .distinct()
    )
    left = records.select(*(F.col(c).alias(f"l_{c}") for c in ["pos", *COLUMNS]))
    right = records.select(*(F.col(c).alias(f"r_{c}") for c in ["pos", *COLUMNS]))
    both = pairs.join(left, pairs.i == left.l_pos).join(right, pairs.j == right.r_pos)

    def score(partition: Iterable[Any]) -> Iterator[tuple[int, int]]:
        table = stats.value
        for row in partition:
            a = PersonRecord(**{c: row[f"l_{c}"] for c in COLUMNS})
            b = PersonRecord(**{c: row[f"r_{c}"] for c in COLUMNS})
            if compare(a, b, stats=table).score >= threshold:
                yield row["i"], row["j"]

    matched = both.rdd.mapPartitions(score).collect()
    labels = _components(matched)
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


def _components(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Union-find over matched pairs: position → the smallest position of its cluster."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {x: find(x) for x in parent}


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
    return SparkSession.builder.appName(app).getOrCreate()
