"""The matching model's versions, declared as data: a name, the weight of each feature's
outcomes (log2 likelihood ratios), the priors and thresholds, and each feature's maximum
gain. ``score.compare`` weighs with these tables and the pruning bounds (``best_gain``,
``could_reach``, batch's pre-filter) read their maxima from the same ones, so a bound
cannot drift from what it bounds.

A change of weights or features is a new version beside the old ones (after
nomenklatura's matching algorithms): results name the version that scored them
(``MatchResult.model``), and an old version stays runnable by name
(``sulh match dedup --model NAME``). No Django.
"""

from __future__ import annotations

from dataclasses import dataclass

RARITY_MAX = 1.4  # NameStats.rarity's largest factor: a rare name weighs up to 1.4 times more


@dataclass(frozen=True)
class NameWeights:
    """A name field's weight: ``agree`` when the same, ``disagree`` when different,
    interpolated between; ``by_rarity``: ``agree`` is scaled by the name's rarity."""

    field: str
    agree: float
    disagree: float
    by_rarity: bool = False

    @property
    def max_gain(self) -> float:
        return self.agree * RARITY_MAX if self.by_rarity else self.agree


@dataclass(frozen=True)
class BirthWeights:
    """The birth date's outcomes (``score.birth_feature``)."""

    same_date: float = 4.5
    day_month_swapped: float = 3.0
    same_day_month_year_apart: float = 1.0
    same_year_one_part_differs: float = 0.5
    same_year_different_day: float = -1.5
    different_dates: float = -5.0
    year_only_same_year: float = 1.5
    year_only_year_apart: float = -0.5
    year_only_years_apart: float = -4.0
    # against a list, whose dates are approximate: a far-off date costs this much at most
    list_approximate: float = -1.5

    @property
    def max_gain(self) -> float:
        return max(
            self.same_date, self.day_month_swapped, self.same_day_month_year_apart,
            self.same_year_one_part_differs, self.year_only_same_year,
        )  # fmt: skip


@dataclass(frozen=True)
class ListBirthWeights:
    """The birth date against a list entry, by level (``score.list_birth_feature``): the
    same date (or day and month swapped), the same year (one date year-only, or another
    day), years one apart, years further apart. ``source`` says where they come from."""

    same_date: float
    same_year: float
    year_apart: float
    years_apart: float
    source: str = ""

    @property
    def max_gain(self) -> float:
        return max(self.same_date, self.same_year, self.year_apart, self.years_apart)


@dataclass(frozen=True)
class NamesakeWeights:
    """Agreement on a whole name combination weighed by how many share it (screening), as
    Splink's term-frequency adjustment: a pair gains ``registrants * log2(k0 / k)`` where k
    registrants at hand hold the name combination the pair agrees on and k0 is how many
    hold a typical one (a registrant's combination, averaged over registrants), and
    ``entries * log2(n0 / n)`` for the n list entries holding it. ``typical``: (k0, n0)
    for three names, then for two."""

    registrants: float
    entries: float
    typical: tuple[tuple[float, float], ...] = ((1.0, 1.0), (1.0, 1.0))
    source: str = ""
    # A pair whose name combination is more common than a typical one (its weight here is
    # negative) and that agrees on nothing but names (no birth date, mother's name or
    # number weighing ``evidence_min`` or more) scores at most ``alone_cap`` (log2 odds,
    # prior included). None: no cap.
    alone_cap: float | None = None
    evidence_min: float = 2.0


@dataclass(frozen=True)
class NationalIdWeights:
    """The national number's outcomes (``score.national_id_feature``). ``swap_both``: a
    transposition is two adjacent digits each in the other's place; otherwise (the
    2026.11 versions) one of them in the other's place is enough."""

    same: float = 9.0
    one_digit: float = 4.0
    transposed: float = 4.0
    different: float = -8.0
    swap_both: bool = True

    @property
    def max_gain(self) -> float:
        return self.same

    @property
    def near(self) -> float:
        """The most that two differing digits can be worth, wherever they are."""
        return max(self.one_digit, self.transposed)


@dataclass(frozen=True)
class ModelVersion:
    name: str
    prior: float  # log2 odds that two records drawn from a registry are one person
    screen_prior: float  # against a list (every candidate shares a blocking key)
    given: NameWeights
    family: NameWeights
    father: NameWeights
    whole_swapped: NameWeights  # parts swapped between fields: the whole name
    whole: NameWeights  # records without parts, and a list entry's aliases
    mother: NameWeights
    place: float  # + when the same place, - when different
    birth: BirthWeights
    national_id: NationalIdWeights
    dedup_threshold: float = 0.5
    screen_threshold: float = 0.5
    # A list alias that is a kunya (Abu Husain [family], أبو احمد) gains at most this much:
    # many men of a family share it. None: compared as any alias (the versions before).
    kunya_alias_max: float | None = None
    # A kunya written as one record's given name is not weighed against the other's given
    # name (neither for nor against). False: weighed as any two names (the versions before).
    kunya_given_unweighed: bool = False
    # In dedup, name similarity across scripts is weighed times this (capped at 1); against
    # a list it is not. 1.0 in the versions before.
    cross_script_scale: float = 1.0
    # How batch dedup makes clusters from the pairs at the threshold or above (links):
    # "components", every linked pair in one cluster (the transitive closure, the versions
    # before); "average", average linkage inside each linked group (``cluster.py``): a merge
    # needs the mean log2 odds of all its cross pairs at the threshold's plus
    # ``cluster_offset`` or more, and no cross pair below ``cannot_link``. Links are then the
    # pairs scoring at that offset threshold or above.
    # A mother's given name alone (Aminah) against her given and family names (Aminah
    # Al-Baker) in dedup: the given names compared, gaining at most this much. None: the
    # two compared as whole names (the versions before; screening always).
    mother_given_only_max: float | None = None
    clustering: str = "components"
    cluster_offset: float = 0.0
    cannot_link: float = -7.0
    # Screening (2026.12d on): the birth date against a list weighed by these levels
    # instead of ``birth`` made lenient; None: the versions before.
    list_birth: ListBirthWeights | None = None
    # Screening: agreement on a name combination weighed by how many registrants and
    # entries at hand share it (``score.namesake_feature``); None: not weighed.
    namesakes: NamesakeWeights | None = None
    # Names of one skeleton told apart by their vowels (``vowels.py``: محمد / محمود,
    # Hassan / Hussein) compare as similar, not the same (2026.12e on).
    vowel_slots: bool = False

    @property
    def names_max_gain(self) -> float:
        """The most a pair's names add: given and family names at the rarest, the father's
        (a whole name or an alias gains at most ``whole.max_gain``, less)."""
        return (self.given.agree + self.family.agree) * RARITY_MAX + self.father.agree

    @property
    def names_mother_place_max_gain(self) -> float:
        """The most a pair's names, mother's name and birth place add (batch's pre-filter)."""
        return (
            (self.given.agree + self.family.agree) * RARITY_MAX
            + self.father.agree
            + self.mother.agree
            + self.place
        )

    def max_gains(self) -> dict[str, float]:
        """Each feature's largest weight, for reading and for the bounds."""
        return {
            "names": self.names_max_gain,
            "whole_name": self.whole.max_gain,
            "mother_name": self.mother.max_gain,
            "birth_date": self.birth.max_gain,
            "national_id": self.national_id.max_gain,
            "birth_place": self.place,
        }


SULH_FS_2026_12 = ModelVersion(
    name="sulh-fs-2026.12",
    prior=-7.0,
    # Chosen on the first half of the yente UN fixtures (recall 0.974 at 0.01 % false
    # alerts), reported on the second half (docs/benchmarks.md).
    screen_prior=-1.5,
    given=NameWeights("given_name", 3.0, -4.0, by_rarity=True),
    family=NameWeights("family_name", 3.5, -3.0, by_rarity=True),
    father=NameWeights("father_name", 2.5, -2.5),
    whole_swapped=NameWeights("full_name", 3.0, 0.0),
    whole=NameWeights("full_name", 7.0, -7.0, by_rarity=True),
    mother=NameWeights("mother_name", 3.0, -3.5),
    place=0.7,
    birth=BirthWeights(),
    national_id=NationalIdWeights(swap_both=True),
)

# The version before (last shipped at 60b78b9): the same weights, but a national number
# counted as transposed when one of two adjacent differing digits stood in the other's
# place. The normalisation, spelling model and blocking are today's for both.
SULH_FS_2026_11B = ModelVersion(
    **{
        **SULH_FS_2026_12.__dict__,
        "name": "sulh-fs-2026.11b",
        "national_id": NationalIdWeights(swap_both=False),
    }
)

# A kunya alias is weak evidence: at most +1.0, so that with the screening prior (-1.5) it
# alerts only with an agreeing birth year or more (a mother's name, a number), never alone
# nor against a different birth year. A kunya written as a given name is not weighed
# against a given name. In dedup, a name's similarity across scripts is weighed times
# 1/0.98 (at most 1): two spellings of one name in two scripts compare at 0.97 at best,
# so each name part weighed about 1 log2 unit less than in one script. 1/0.98 was chosen
# on the independent generator's tune split (1/0.985, 1/0.98, 1/0.975, 1/0.97 tried: the
# largest that kept pairwise precision at 0.984); screening is unchanged.
SULH_FS_2026_12B = ModelVersion(
    **{
        **SULH_FS_2026_12.__dict__,
        "name": "sulh-fs-2026.12b",
        "kunya_alias_max": 1.0,
        "kunya_given_unweighed": True,
        "cross_script_scale": 1.0 / 0.98,
    }
)

# Clusters that do not chain (issue 18): the pairs' weights are 2026.12b's (but for the
# mother's given name, below), and batch dedup no longer joins every linked pair (a
# namesake linked to one record of a cluster joined it, and through it the namesake's own
# duplicates). Inside each group of linked records, average linkage on the pairs' log2
# odds (``cluster.py``): a merge needs the mean over all its cross pairs at the
# threshold's log2 odds - 0.98 or more (-0.98 at the default threshold 0.5: links are the
# pairs scoring 0.3364 or more) and no cross pair below -7 (a cannot-link: -7 is the prior,
# so the pair's own evidence is against, e.g. other birth years, fathers and mothers). A
# mother's given name alone against her given and family names compares the given names,
# at most +1.5 (before: "ليلى" against "LAYLA AL-SHEIKH MAHMOUD" weighed -2.1; in dedup
# and the online duplicate check, not in screening). Chosen on the independent
# generator's tune split (docs/benchmarks.md): +1.0 / +1.5 / +2.0 for the mother's given
# name, offsets -0.8 ... -1.2; kept: the largest recall whose pairwise precision did not
# fall below 2026.12b's (0.9842; the offset -1.0 gave 0.9841). The online duplicate check
# (candidates for review, no clusters) weighs pairs as here; screening is 2026.12b's.
SULH_FS_2026_12C = ModelVersion(
    **{
        **SULH_FS_2026_12B.__dict__,
        "name": "sulh-fs-2026.12c",
        "mother_given_only_max": 1.5,
        "clustering": "average",
        "cluster_offset": -0.98,
        "cannot_link": -7.0,
    }
)

# Screening that alerts only when the evidence supports it (issue 18, item 4); dedup is
# 2026.12c's. Against a list, (1) the birth date weighs by level with weights estimated by
# EM (``estimate.py``: u from random registrant-entry pairs, m by EM over the candidate
# pairs sharing given, father's and family names, the names and the place left out, as
# Splink trains on a blocking rule), instead of 2026.12b's lenient dates that cost at most
# -1.5 however many years apart: a namesake born 12 years later is not the listed man; and
# (2) agreement on a whole name combination weighs by how many registrants at hand and
# entries of the list hold it (``namesake_feature``): -log2(k) - log2(n).
EM_SOURCE = (
    "EM, sulh.matching.estimate on the independent generator's tune split "
    "(independent-1, seed 73102026): 20,000 registrants x 2,000 entries, 31,448 pairs "
    "sharing three names, 50,000 random pairs; share matched 0.053"
)
SULH_FS_2026_12D = ModelVersion(
    **{
        **SULH_FS_2026_12C.__dict__,
        "name": "sulh-fs-2026.12d",
        "list_birth": ListBirthWeights(
            same_date=13.95,
            same_year=4.67,
            year_apart=1.17,
            years_apart=-5.54,
            source=EM_SOURCE,
        ),
        "namesakes": NamesakeWeights(
            registrants=1.0,
            entries=1.0,
            typical=((4.97, 2.86), (37.9, 23.4)),
            alone_cap=-1.0,
            evidence_min=1.0,
            source=(
                "k and n counted on the registry and list at hand; typical k0, n0 (sum of "
                "k^2 / sum of k over the combinations) on the independent generator's tune "
                "split: three names 4.97 registrants / 2.86 entries, two names 37.9 / 23.4"
            ),
        ),
    }
)

# 2026.12e: 2026.12d, with names of one skeleton told apart by their vowels (not fitted:
# the rule is the spelling's, sulh/matching/vowels.py).
SULH_FS_2026_12E = ModelVersion(
    **{**SULH_FS_2026_12D.__dict__, "name": "sulh-fs-2026.12e", "vowel_slots": True}
)

VERSIONS: dict[str, ModelVersion] = {
    v.name: v
    for v in (
        SULH_FS_2026_12E, SULH_FS_2026_12D, SULH_FS_2026_12C, SULH_FS_2026_12B, SULH_FS_2026_12,
        SULH_FS_2026_11B,
    )
}  # fmt: skip
CURRENT = SULH_FS_2026_12D


def model_named(name: str | None) -> ModelVersion:
    """The version called ``name`` (the current one for None); ValueError naming the others."""
    if name is None:
        return CURRENT
    try:
        return VERSIONS[name]
    except KeyError:
        raise ValueError(f"no model {name!r}; known: {', '.join(VERSIONS)}") from None
