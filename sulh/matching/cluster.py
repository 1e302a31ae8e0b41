"""Clusters that do not chain: average-linkage agglomeration inside linked groups.

Joining every matched pair into one cluster (connected components, the transitive
closure) chains namesakes: A matches B and B matches C, so A and C are put together
however clearly they differ. Here the matched pairs (links) only say which records may
belong together (a linked group, the connected component); inside each group the
records are clustered by average linkage (UPGMA, Sokal & Michener 1958; the
agglomerative clustering dedupe runs inside each connected component of scored pairs,
there with centroid linkage) over the pairwise log2 odds of ``score.compare``, every
pair of the group weighed, linked or not:

- start from single records; merge the two clusters whose cross pairs have the highest
  mean log2 odds, as long as that mean is at least ``cut``;
- a merge is never made when one of its cross pairs weighs below ``cannot_link`` (two
  records that clearly differ: other birth years, fathers and mothers...), as a
  cannot-link constraint (Davidson & Ravi 2005, "Agglomerative hierarchical clustering
  with constraints").

A cluster is therefore coherent as a whole: a record joins it only when it agrees with
its members on average, not with one of them. No Django.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np


def roots(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Union-find over linked pairs: each item that is in a pair → the smallest item of its
    connected component."""
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


def linked_groups(count: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The connected components of ``links`` over ``count`` items with two members or
    more, each in ascending order, groups ordered by their first member."""
    groups: dict[int, list[int]] = {}
    for i, root in sorted(roots(links).items()):
        if i < count:
            groups.setdefault(root, []).append(i)
    return [members for _, members in sorted(groups.items()) if len(members) > 1]


def average_linkage(weights: np.ndarray, *, cut: float, cannot_link: float) -> list[list[int]]:
    """Clusters (lists of row indices, ascending) of a symmetric matrix of pairwise log2
    odds by average linkage: the two clusters with the highest mean cross weight merge
    while that mean is ``cut`` or more and none of their cross pairs is below
    ``cannot_link``. Ties go to the lowest indices, so the result depends on the order
    of the rows only through ties."""
    n = len(weights)
    total = np.array(weights, dtype=np.float64)
    lowest = total.copy()
    sizes = np.ones(n, dtype=np.float64)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    alive = np.ones(n, dtype=bool)
    while len(members) > 1:
        mean = total / np.outer(sizes, sizes)
        allowed = upper & np.outer(alive, alive) & (lowest >= cannot_link)
        mean = np.where(allowed, mean, -np.inf)
        best = int(np.argmax(mean))
        a, b = divmod(best, n)
        if not mean[a, b] >= cut:
            break
        total[a, :] += total[b, :]
        total[:, a] = total[a, :]
        lowest[a, :] = np.minimum(lowest[a, :], lowest[b, :])
        lowest[:, a] = lowest[a, :]
        sizes[a] += sizes[b]
        alive[b] = False
        members[a] = sorted(members[a] + members.pop(b))
    return [members[i] for i in sorted(members)]


def coherent_clusters(
    groups: Iterable[list[int]],
    weigh: Callable[[int, int], float],
    *,
    cut: float,
    cannot_link: float,
) -> Iterator[list[list[int]]]:
    """Each linked group (items in ascending order) as its clusters, each ascending, in the
    order of their first items. ``weigh(i, j)``: the log2 odds of items i < j; every pair
    of a group of three or more is weighed. A group of two is one link, at the threshold
    or above, so it stays one cluster."""
    for group in groups:
        if len(group) <= 2:
            yield [group]
            continue
        size = len(group)
        matrix = np.zeros((size, size), dtype=np.float64)
        for x in range(size):
            for y in range(x + 1, size):
                matrix[x, y] = matrix[y, x] = weigh(group[x], group[y])
        yield [
            [group[k] for k in part]
            for part in average_linkage(matrix, cut=cut, cannot_link=cannot_link)
        ]


def link_threshold(threshold: float, offset: float) -> tuple[float, float]:
    """The score a pair needs to be a link, and the mean log2 odds a merge needs, for a
    dedup ``threshold`` (a score) and a model's ``cluster_offset`` (log2 units)."""
    if threshold <= 0:
        return 0.0, -math.inf
    if threshold >= 1:
        return 1.0, math.inf
    cut = math.log2(threshold / (1 - threshold)) + offset
    # scores are rounded to 4 decimals: a pair at exactly the cut is a link
    return math.floor(1e4 / (1.0 + 2.0**-cut)) / 1e4, cut
