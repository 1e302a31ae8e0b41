"""Pairwise scoring with evidence: small feature functions, each returning a weight and a reason.

The model is Fellegi-Sunter in spirit: every field adds evidence for or against
(a log2 likelihood ratio), partial agreement interpolates between the two, and
the sum becomes a probability-like score. Frequent names carry less weight than
rare ones. Namesakes are separated by the mother's and father's names, the birth
date and the national number. The weights are a declared model version
(``versions.py``; ``MODEL`` names the current one): each function here takes the
version to weigh with, and the bounds read their maxima from the same table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein

from sulh.matching.normalize import (
    is_kunya,
    name_skeletons,
    place_name,
    script_of,
    skeleton,
    tokens,
    tokens_keeping_joined_article,
    vocalic,
)
from sulh.matching.record import PersonRecord
from sulh.matching.translit import surprise
from sulh.matching.versions import (
    CURRENT,
    RARITY_MAX,
    ListBirthWeights,
    ModelVersion,
    NameWeights,
)
from sulh.matching.vowels import different_vowels

MODEL = CURRENT.name


@dataclass(frozen=True)
class FieldEvidence:
    field: str
    score: float  # similarity 0..1 (or -1 when absent)
    weight: float  # log2 likelihood ratio added to the total
    left: str
    right: str
    explanation: str


@dataclass(frozen=True)
class MatchResult:
    score: float
    evidence: tuple[FieldEvidence, ...]
    model: str = MODEL

    def explain(self) -> str:
        return "; ".join(f"{e.field} {e.weight:+.1f} ({e.explanation})" for e in self.evidence)


@dataclass
class NameStats:
    """How common each name skeleton is, so that rare names weigh more."""

    counts: Counter[str] = field(default_factory=Counter)
    total: int = 0
    _by_name: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def add(self, record: PersonRecord) -> None:
        self._by_name.clear()
        for part in (record.given_name, record.family_name, record.full_name):
            for key in name_skeletons(part):
                self.counts[key] += 1
                self.total += 1

    @classmethod
    def from_records(cls, records: Iterable[PersonRecord]) -> NameStats:
        stats = cls()
        for record in records:
            stats.add(record)
        return stats

    def rarity_of(self, name: str) -> float:
        """``rarity`` of the name's skeletons, remembered for each name."""
        found = self._by_name.get(name)
        if found is None:
            found = self._by_name[name] = self.rarity(name_skeletons(name))
        return found

    def rarity(self, skeletons: tuple[str, ...]) -> float:
        """0.6 for the most common names, up to 1.4 for rare ones; 1.0 without statistics."""
        if self.total < 1000 or not skeletons:
            return 1.0
        share = max(self.counts.get(s, 0) for s in skeletons) / self.total
        if share <= 0:
            return RARITY_MAX
        return max(0.6, min(RARITY_MAX, 1.0 + 0.25 * math.log10(0.002 / share)))


_DEFAULT_STATS = NameStats()


# --- Names ---------------------------------------------------------------------


# Across scripts, a Latin spelling that the learned model finds surprising for the Arabic
# token (translit.surprise: nats per Arabic letter beyond a typical spelling's) loses up
# to 0.3; one with the same consonant skeleton loses little, so that it ranks below a
# likelier spelling but still matches. Chosen on a tenth of the train split held out
# from the model, keeping the clerks' spellings of common Arab names (sulh.synth) above
# the dedup test's recall (docs/benchmarks.md). Pairs far apart in skeleton are skipped.
SPELLING_FREE = 2.0
SPELLING_SLOPE = 0.4
SPELLING_CAP = 0.3
SPELLING_CAP_SAME_SKELETON = 0.01
SPELLING_GATE = 0.6
# Two names of one skeleton that their vowels tell apart (2026.12e on): "similar", about
# as close as one letter changed in a six-letter name, so that with every other field
# agreeing the pair is still worth a look but the names alone link nothing.
DIFFERENT_VOWELS = 0.8


def _spelling_penalty(a: str, b: str, same_skeleton: bool) -> float:
    sa, sb = script_of(a), script_of(b)
    if {sa, sb} != {"ar", "lat"}:
        return 0.0
    arabic, latin = (a, b) if sa == "ar" else (b, a)
    if len(arabic) < 3:
        return 0.0  # too short to tell spellings apart by the letters' odds (طه, Taha)
    excess = surprise(arabic, latin) - SPELLING_FREE
    if excess <= 0:
        return 0.0
    return min(
        SPELLING_CAP_SAME_SKELETON if same_skeleton else SPELLING_CAP, SPELLING_SLOPE * excess
    )


def _final_h(latin: str, latin_skeleton: str, arabic: str) -> str:
    """A Latin -eh/-ah ending is read as a ta marbuta (Hamadeh: حمادة), but against an Arabic
    name ending in ح it writes that letter (Saleh: صالح, Farah: فرح)."""
    if (
        arabic.endswith("ح")
        and len(latin) > 2
        and latin[-1] == "h"
        and latin[-2] in "aeiou"
        and not latin_skeleton.endswith("h")
    ):
        return latin_skeleton + "h"
    return latin_skeleton


@lru_cache(maxsize=1_000_000)
def token_similarity(a: str, b: str, vowels: bool = False) -> float:
    """Same script: folded text; across scripts: consonant skeletons. ``vowels``: two
    tokens of one skeleton whose vowels make them different names (``vowels.py``: محمد /
    محمود, Hassan / Hussein) compare at DIFFERENT_VOWELS, not as one name."""
    if a == b:
        return 1.0
    same = script_of(a) == script_of(b)
    best = Levenshtein.normalized_similarity(a, b) if same else 0.0
    if same:
        ka, kb = "".join(name_skeletons(a)), "".join(name_skeletons(b))
    else:  # the tokens as they are: a kept أل (Alegre: أليغري) is not cut a second time
        ka, kb = skeleton(a), skeleton(b)
        if script_of(a) == "lat":
            ka = _final_h(a, ka, b)
        else:
            kb = _final_h(b, kb, a)
    if ka and kb:
        if ka == kb:
            skel = 0.97 if len(ka) >= 2 else 0.9
            if vowels and different_vowels(a, b):
                skel = DIFFERENT_VOWELS
        else:
            skel = max(
                Levenshtein.normalized_similarity(ka, kb), JaroWinkler.similarity(ka, kb) - 0.1
            )
        if not same:  # the written vowels decide between names of one skeleton
            skel -= 0.02 * (1.0 - Indel.normalized_similarity(vocalic(a), vocalic(b)))
            if skel >= SPELLING_GATE:
                skel -= _spelling_penalty(a, b, ka == kb)
        best = max(best, skel)
    return best


@lru_cache(maxsize=1_000_000)
def name_similarity(a: str, b: str, vowels: bool = False) -> float:
    """Token-set similarity of two names (order-free), 0..1; ``vowels``: tokens of one
    skeleton that ``vowels.different_vowels`` tells apart are similar, not the same."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return -1.0
    score = _token_set(ta, tb, a, b, vowels)
    if {script_of(a), script_of(b)} == {"ar", "lat"}:
        # al/el joined to a long Latin word: the article (Alkassem) or part of the name
        # (Alegre: أليغري); across scripts the likelier reading counts.
        if script_of(a) == "lat":
            kept = tokens_keeping_joined_article(a)
            if kept != ta:
                score = max(score, _token_set(kept, tb, a, b, vowels))
        else:
            kept = tokens_keeping_joined_article(b)
            if kept != tb:
                score = max(score, _token_set(ta, kept, a, b, vowels))
    return score


def _token_set(
    ta: tuple[str, ...], tb: tuple[str, ...], a: str, b: str, vowels: bool = False
) -> float:
    if len(ta) > len(tb):
        ta, tb = tb, ta
    used: set[int] = set()
    total = 0.0
    for token in ta:
        scores = [
            (_initial_or_token(token, other, vowels), j)
            for j, other in enumerate(tb)
            if j not in used
        ]
        if not scores:
            break
        best, j = max(scores)
        used.add(j)
        total += best
    coverage = len(ta) / max(len(tb), 1)
    score = (total / len(ta)) * (0.85 + 0.15 * coverage)
    if len(ta) != len(tb) and script_of(a) == script_of(b):
        # the same letters split differently: "Patr ushev", "Abd al-Rahman" / "Abdulrahman"
        glued = Levenshtein.normalized_similarity("".join(ta), "".join(tb))
        if glued >= 0.9:
            score = max(score, 0.95 * glued)
    return score


def _initial_or_token(token: str, other: str, vowels: bool = False) -> float:
    """An initial ("A.") stands for any name that starts with it, weakly."""
    if len(token) == 1 and token.isalpha() and len(other) > 1:
        return 0.75 if other.startswith(token) else 0.0
    if len(other) == 1 and other.isalpha() and len(token) > 1:
        return 0.75 if token.startswith(other) else 0.0
    return token_similarity(token, other, vowels)


def _interpolate(similarity: float, agree: float, disagree: float, floor: float = 0.72) -> float:
    if similarity >= 1.0:
        return agree
    if similarity <= floor:
        return disagree
    share = (similarity - floor) / (1.0 - floor)
    return disagree + (agree - disagree) * share**1.5


def _name_weight(similarity: float, agree: float, disagree: float, rarity: float = 1.0) -> float:
    """A name's log2 weight from its similarity (0 when not recorded on both)."""
    if similarity < 0:
        return 0.0
    return _interpolate(similarity, agree * rarity, disagree)


def _name_feature(
    scale: float,
    weights: NameWeights,
    a: str,
    b: str,
    *,
    rarity: float = 1.0,
    label: str = "",
    vowels: bool = False,
) -> FieldEvidence:
    label, agree, disagree = label or weights.field, weights.agree, weights.disagree
    similarity = _weighed_similarity(scale, a, b, vowels)
    if similarity < 0:
        return FieldEvidence(label, -1, 0.0, a, b, "not recorded on both")
    weight = _name_weight(similarity, agree, disagree, rarity)
    word = "same" if similarity >= 0.95 else ("similar" if similarity >= 0.8 else "different")
    return FieldEvidence(
        label, round(similarity, 3), round(weight, 2), a, b, f"{word} ({similarity:.2f})"
    )


@lru_cache(maxsize=1_000_000)
def _weighed_similarity(scale: float, a: str, b: str, vowels: bool = False) -> float:
    """``name_similarity`` as weighed: across scripts, times the version's
    ``cross_script_scale`` (at most 1), since two spellings of one name in two scripts
    compare at 0.97 at best (skeletons), where one spelling in one script compares at 1."""
    similarity = name_similarity(a, b, vowels)
    if scale == 1.0 or similarity <= 0 or {script_of(a), script_of(b)} != {"ar", "lat"}:
        return similarity
    return min(1.0, similarity * scale)


def _full(record: PersonRecord) -> str:
    if record.has_parts():
        parts = (record.given_name, record.father_name, record.grandfather_name, record.family_name)
        return " ".join(p for p in parts if p)
    return record.full_name


def _kunya_for_given(a: PersonRecord, b: PersonRecord, model: ModelVersion) -> bool:
    """A clerk wrote the kunya (Abu Mohammed) where the other wrote the given name: the
    two are not the same kind of name, so they are not weighed against each other."""
    return model.kunya_given_unweighed and is_kunya(a.given_name) != is_kunya(b.given_name)


def _swapped_parts_possible(family_score: float, a: PersonRecord, b: PersonRecord) -> bool:
    return family_score < 0.8 and bool(a.family_name and b.family_name)


def _names(
    a: PersonRecord, b: PersonRecord, stats: NameStats, model: ModelVersion
) -> list[FieldEvidence]:
    if a.has_parts() and b.has_parts():
        given = (
            FieldEvidence(
                model.given.field, -1, 0.0, a.given_name, b.given_name,
                "a kunya on one side, not a given name",
            )
            if _kunya_for_given(a, b, model)
            else _name_feature(
                model.cross_script_scale, model.given, a.given_name, b.given_name,
                rarity=stats.rarity_of(a.given_name), vowels=model.vowel_slots)
        )  # fmt: skip
        evidence = [
            given,
            _name_feature(
                model.cross_script_scale,
                model.family,
                a.family_name,
                b.family_name,
                rarity=stats.rarity_of(a.family_name),
                vowels=model.vowel_slots,
            ),
            _name_feature(
                model.cross_script_scale,
                model.father,
                a.father_name,
                b.father_name,
                vowels=model.vowel_slots,
            ),
        ]
        if _swapped_parts_possible(evidence[1].score, a, b):
            # Parts swapped between fields (family written as given...): compare the whole.
            whole = _name_feature(
                model.cross_script_scale,
                model.whole_swapped,
                _full(a),
                _full(b),
                vowels=model.vowel_slots,
            )
            if whole.score > 0.9:
                evidence = [evidence[0], evidence[2], whole]
        return evidence
    return [
        _name_feature(
            model.cross_script_scale,
            model.whole,
            _full(a),
            _full(b),
            rarity=stats.rarity_of(_full(a)),
            vowels=model.vowel_slots,
        )
    ]


def _aliases(
    a: PersonRecord,
    b: PersonRecord,
    stats: NameStats,
    names: list[FieldEvidence],
    model: ModelVersion,
) -> list[FieldEvidence]:
    """List entries carry aliases: the best-matching name of the entry counts."""
    if not b.aliases:
        return names
    best, best_total = names, sum(e.weight for e in names)
    own_kunya = is_kunya(_full(a)) or is_kunya(a.given_name)
    for alias in b.aliases:
        candidate = [
            _name_feature(
                model.cross_script_scale,
                model.whole,
                _full(a),
                alias,
                rarity=stats.rarity_of(alias),
                label="alias",
                vowels=model.vowel_slots,
            )
        ]
        if model.kunya_alias_max is not None and is_kunya(alias) and not own_kunya:
            # Abu Husain AL AHMAD against Husain Al-Ahmad: "father of Husain" names his son's
            # name, which many of the family share; weak on its own. Against a registrant
            # who gave the kunya as his name (Abu Husain Al-Ahmad) it weighs as a name.
            kunya = candidate[0]
            if kunya.weight > model.kunya_alias_max:
                candidate = [
                    replace(
                        kunya,
                        weight=model.kunya_alias_max,
                        explanation=kunya.explanation + " (a kunya: weak evidence alone)",
                    )
                ]
        total = sum(e.weight for e in candidate)
        if total > best_total:
            best, best_total = candidate, total
    return best


# --- Birth date, national number, place ----------------------------------------------


@lru_cache(maxsize=1 << 18)
def _parse_birth(text: str) -> tuple[int, int | None, int | None] | None:
    text = (text or "").strip()
    if len(text) == 4 and text.isdigit():
        return int(text), None, None
    try:
        born = dt.date.fromisoformat(text)
    except ValueError:
        return None
    if born.month == 1 and born.day == 1:
        return born.year, None, None  # 1 January is how year-only dates are written
    return born.year, born.month, born.day


_Outcome = tuple[float, float, str]  # score, weight, explanation


def birth_feature(
    a: str, b: str, *, lenient: bool = False, model: ModelVersion = CURRENT
) -> FieldEvidence:
    """``lenient``: list entries often carry approximate birth years, so distance costs less."""
    score, weight, explanation = _birth_outcome(a, b, lenient=lenient, model=model)
    return FieldEvidence("birth_date", score, weight, a, b, explanation)


def birth_weight(a: str, b: str, *, lenient: bool = False, model: ModelVersion = CURRENT) -> float:
    """``birth_feature(a, b, lenient=lenient).weight``, without building the evidence."""
    return _birth_outcome(a, b, lenient=lenient, model=model)[1]


def _birth_outcome(a: str, b: str, *, lenient: bool, model: ModelVersion) -> _Outcome:
    if lenient and model.list_birth is not None:
        return _list_birth(a, b, model.list_birth)
    found = _birth_dates(a, b, model)
    if lenient and found[1] < -1.0 and found[0] == 0.0:
        return found[0], model.birth.list_approximate, found[2] + " (list dates are approximate)"
    return found


def _list_birth(a: str, b: str, w: ListBirthWeights) -> _Outcome:
    """A registrant's birth date against a list entry's, by level (2026.12d on)."""
    pa, pb = _parse_birth(a), _parse_birth(b)
    if pa is None or pb is None:
        return -1, 0.0, "not recorded on both"
    (ya, ma, da), (yb, mb, db) = pa, pb
    if ya == yb:
        if ma is not None and mb is not None and (ma, da) in ((mb, db), (db, mb)):
            return 1.0, w.same_date, "same date"
        if ma is None or mb is None:
            return 0.8, w.same_year, "same year (one date is year-only)"
        return 0.6, w.same_year, "same year, another day"
    if abs(ya - yb) == 1:
        return 0.4, w.year_apart, "years one apart"
    return 0.0, w.years_apart, f"years {abs(ya - yb)} apart"


def _birth_dates(a: str, b: str, model: ModelVersion) -> _Outcome:
    pa, pb = _parse_birth(a), _parse_birth(b)
    if pa is None or pb is None:
        return -1, 0.0, "not recorded on both"
    (ya, ma, da), (yb, mb, db) = pa, pb
    w = model.birth
    if ma is None or mb is None:
        if ya == yb:
            return 0.8, w.year_only_same_year, "same year (one date is year-only)"
        if abs(ya - yb) == 1:
            return 0.4, w.year_only_year_apart, "years one apart (one date is year-only)"
        return 0.0, w.year_only_years_apart, f"years {abs(ya - yb)} apart"
    if (ya, ma, da) == (yb, mb, db):
        return 1.0, w.same_date, "same date"
    if ya == yb and (ma, da) == (db, mb):
        return 0.85, w.day_month_swapped, "day and month swapped"
    if (ma, da) == (mb, db) and abs(ya - yb) == 1:
        return 0.6, w.same_day_month_year_apart, "same day and month, year one apart"
    if ya == yb and (ma == mb or da == db):
        return 0.6, w.same_year_one_part_differs, "same year, one of day or month differs"
    if ya == yb:
        return 0.4, w.same_year_different_day, "same year, different day"
    return 0.0, w.different_dates, "different dates"


@lru_cache(maxsize=1 << 18)
def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def national_id_feature(a: str, b: str, *, model: ModelVersion = CURRENT) -> FieldEvidence:
    a, b = _digits(a), _digits(b)
    score, weight, explanation = _national_id_outcome(a, b, model)
    return FieldEvidence("national_id", score, weight, a, b, explanation)


def national_id_weight(a: str, b: str, *, model: ModelVersion = CURRENT) -> float:
    """``national_id_feature(a, b).weight``, without building the evidence."""
    return _national_id_outcome(_digits(a), _digits(b), model)[1]


def _national_id_outcome(a: str, b: str, model: ModelVersion) -> _Outcome:
    """``a`` and ``b`` are digits only."""
    w = model.national_id
    if not a or not b:
        return -1, 0.0, "not recorded on both"
    if a == b:
        return 1.0, w.same, "same number"
    if len(a) == len(b):
        differing = []
        for i in range(len(a)):
            if a[i] != b[i]:
                differing.append(i)
                if len(differing) > 2:
                    break
        if len(differing) == 1:
            return 0.9, w.one_digit, "one digit differs"
        if (
            len(differing) == 2
            and differing[1] == differing[0] + 1
            and a[differing[0]] == b[differing[1]]
            and (a[differing[1]] == b[differing[0]] or not w.swap_both)
        ):
            return 0.9, w.transposed, "two digits transposed"
    return 0.0, w.different, "different numbers"


def place_feature(a: str, b: str, *, model: ModelVersion = CURRENT) -> FieldEvidence:
    similarity = name_similarity(place_name(a), place_name(b))
    if similarity < 0:
        return FieldEvidence("birth_place", -1, 0.0, a, b, "not recorded on both")
    weight = model.place if similarity >= 0.85 else -model.place
    return FieldEvidence(
        "birth_place",
        round(similarity, 3),
        weight,
        a,
        b,
        "same place" if weight > 0 else "different place",
    )


# --- The whole comparison -------------------------------------------------------------


def compare(
    a: PersonRecord,
    b: PersonRecord,
    *,
    stats: NameStats | None = None,
    screening: bool = False,
    model: ModelVersion = CURRENT,
    namesakes: tuple[int, int, int] | None = None,
) -> MatchResult:
    """``screening``: ``b`` is a list entry (approximate birth dates, aliases).
    ``namesakes``: how many registrants and list entries at hand hold the name
    combination the two agree on (``index.namesakes``), weighed when the model does."""
    stats = stats or _DEFAULT_STATS
    names_model = _names_model(model, screening)
    evidence = _aliases(a, b, stats, _names(a, b, stats, names_model), names_model)
    found = namesake_feature(namesakes, screening=screening, model=model)
    birth_model = _birth_model(model, found)
    evidence.append(_mother_feature(a, b, names_model))
    evidence.append(birth_feature(a.birth_date, b.birth_date, lenient=screening, model=birth_model))
    evidence.append(national_id_feature(a.national_id, b.national_id, model=model))
    evidence.append(place_feature(a.birth_place, b.birth_place, model=model))
    if found is not None:
        evidence.append(found)
        evidence += _names_alone(evidence, namesakes, screening=screening, model=model)
    return _result(evidence, screening=screening, model=model)


NON_NAME_EVIDENCE = ("birth_date", "mother_name", "national_id")


@lru_cache(maxsize=16)
def _lenient_model(model: ModelVersion) -> ModelVersion:
    return replace(model, list_birth=None)


def _birth_model(model: ModelVersion, namesake: FieldEvidence | None) -> ModelVersion:
    """Against a list, the birth date weighs by ``list_birth`` (EM) only when others hold
    the pair's name combination too (more than one registrant or entry at hand): then a
    birth year far off most likely means another man of that name. With a name held by
    this registrant and this entry alone, or where nothing is known of the name's
    frequency (an in-memory index without a registry), a far-off date is more likely the
    list's approximation and weighs as in 2026.12b (at most -1.5)."""
    if model.list_birth is None or (namesake is not None and namesake.score > 1):
        return model
    return _lenient_model(model)


def _names_alone(
    evidence: list[FieldEvidence],
    namesakes: tuple[int, int, int] | None,
    *,
    screening: bool,
    model: ModelVersion,
) -> list[FieldEvidence]:
    """Names only, on a name more common than a typical one (the namesakes line weighs
    against): the pair's total is held at ``alone_cap``
    ("names only: others share this name"), so that a frequent name alone does not alert."""
    w = model.namesakes
    if w is None or w.alone_cap is None or namesakes is None:
        return []
    if not any(e.field == "namesakes" and e.weight < 0 for e in evidence):
        return []  # a name no more common than a typical one
    if any(e.field in NON_NAME_EVIDENCE and e.weight >= w.evidence_min for e in evidence):
        return []
    total = _prior(model, screening) + sum(e.weight for e in evidence)
    if total <= w.alone_cap:
        return []
    return [
        FieldEvidence(
            "names_only", 0.0, round(w.alone_cap - total, 2), "", "",
            "names only, and others share this name: no birth date, mother's name or number agrees",
        )
    ]  # fmt: skip


def namesake_feature(
    namesakes: tuple[int, int, int] | None, *, screening: bool, model: ModelVersion
) -> FieldEvidence | None:
    """Agreement on a whole name combination that k registrants and n entries share weighs
    less: a name that twenty people hold says at most one in twenty of each (2026.12d on,
    screening). None when the model does not weigh it or nothing is known."""
    w = model.namesakes
    if w is None or not screening or namesakes is None:
        return None
    registrants, entries = max(namesakes[0], 1), max(namesakes[1], 1)
    typical_registrants, typical_entries = w.typical[min(namesakes[2], len(w.typical) - 1)]
    # only ever against: a combination rarer than typical gains nothing here (its names
    # already weigh by their rarity), a frequent one loses
    weight = min(
        0.0,
        -(
            w.registrants * math.log2(registrants / typical_registrants)
            + w.entries * math.log2(entries / typical_entries)
        ),
    )
    return FieldEvidence(
        "namesakes",
        float(max(registrants, entries)),
        round(weight, 2),
        f"{registrants} registrant{'s' if registrants != 1 else ''}",
        f"{entries} entr{'ies' if entries != 1 else 'y'}",
        f"{registrants} registrant{'s' if registrants != 1 else ''} and {entries} list "
        f"entr{'ies' if entries != 1 else 'y'} share this name",
    )


@lru_cache(maxsize=16)
def _names_model(model: ModelVersion, screening: bool) -> ModelVersion:
    """The version the names are weighed with: against a list, across scripts, as in one
    script (``cross_script_scale`` 1): a list's namesakes are many, its spellings few; and
    a mother's given name against her full name is weighed as any two names (screening
    is unchanged by ``mother_given_only_max``)."""
    if not screening or (model.cross_script_scale == 1.0 and model.mother_given_only_max is None):
        return model
    return replace(model, cross_script_scale=1.0, mother_given_only_max=None)


def _mother_feature(a: PersonRecord, b: PersonRecord, model: ModelVersion) -> FieldEvidence:
    found = _name_feature(
        model.cross_script_scale,
        model.mother,
        a.mother_name,
        b.mother_name,
        vowels=model.vowel_slots,
    )
    if model.mother_given_only_max is None:
        return found
    ta, tb = tokens(a.mother_name), tokens(b.mother_name)
    if not ta or not tb or (len(ta) == 1) == (len(tb) == 1):
        return found
    # One clerk wrote the mother's given name (Aminah), the other her given and family
    # names (Aminah Al-Baker): the given names are compared, as weaker evidence.
    short, full = (a, b) if len(ta) == 1 else (b, a)
    given = _name_feature(
        model.cross_script_scale,
        model.mother,
        short.mother_name,
        full.mother_name.split()[0],
        vowels=model.vowel_slots,
    )
    weight = round(min(given.weight, model.mother_given_only_max), 2)
    if weight <= found.weight:
        return found
    return replace(
        given,
        weight=weight,
        left=a.mother_name,
        right=b.mother_name,
        explanation=given.explanation + " (her given name only on one side)",
    )


def log_odds(
    a: PersonRecord,
    b: PersonRecord,
    *,
    stats: NameStats | None = None,
    model: ModelVersion = CURRENT,
) -> float:
    """The log2 odds (prior included) that ``compare`` gives two registered records, not
    rounded into a score: what dedup's average linkage weighs (``cluster.py``)."""
    result = compare(a, b, stats=stats, model=model)
    return model.prior + sum(e.weight for e in result.evidence)


def _prior(model: ModelVersion, screening: bool) -> float:
    return model.screen_prior if screening else model.prior


def _result(evidence: list[FieldEvidence], *, screening: bool, model: ModelVersion) -> MatchResult:
    total = _prior(model, screening) + sum(e.weight for e in evidence)
    score = 1.0 / (1.0 + 2.0 ** (-total))
    return MatchResult(score=round(score, 4), evidence=tuple(evidence), model=model.name)


def compare_reaching(
    a: PersonRecord,
    b: PersonRecord,
    *,
    threshold: float,
    stats: NameStats | None = None,
    screening: bool = False,
    model: ModelVersion = CURRENT,
    namesakes: tuple[int, int, int] | None = None,
) -> MatchResult | None:
    """``compare(a, b, ...)`` when it scores ``threshold`` or more, else None. A pair is
    given up as soon as what is left to weigh, counted at its best, cannot lift it over:
    first ``could_reach``'s bound, then with the names (and aliases) weighed, then with
    the mother's name; each field is weighed once, as ``compare`` weighs it."""
    stats = stats or _DEFAULT_STATS
    need = needed_weight(threshold)
    namesake = namesake_feature(namesakes, screening=screening, model=model)
    birth_model = _birth_model(model, namesake)
    known = _prior(model, screening) + (namesake.weight if namesake else 0.0)
    known += birth_weight(a.birth_date, b.birth_date, lenient=screening, model=birth_model)
    known += national_id_weight(a.national_id, b.national_id, model=model)
    if known + best_gain(a, b, stats=stats, model=model) < need:
        return None
    place_best = model.place if a.birth_place and b.birth_place else 0.0
    mother_best = model.mother.max_gain if a.mother_name and b.mother_name else 0.0
    names_model = _names_model(model, screening)
    evidence = _aliases(a, b, stats, _names(a, b, stats, names_model), names_model)
    known += sum(e.weight for e in evidence)
    if known + mother_best + place_best < need:
        return None
    mother = _mother_feature(a, b, names_model)
    if known + mother.weight + place_best < need:
        return None
    evidence += [
        mother,
        birth_feature(a.birth_date, b.birth_date, lenient=screening, model=birth_model),
        national_id_feature(a.national_id, b.national_id, model=model),
        place_feature(a.birth_place, b.birth_place, model=model),
    ]
    if namesake is not None:
        evidence.append(namesake)
        evidence += _names_alone(evidence, namesakes, screening=screening, model=model)
    result = _result(evidence, screening=screening, model=model)
    return result if result.score >= threshold else None


def best_gain(
    a: PersonRecord,
    b: PersonRecord,
    *,
    stats: NameStats | None = None,
    model: ModelVersion = CURRENT,
) -> float:
    """At least what the names, the mother's name and the birth place add in ``compare``:
    the name parts weigh exactly as there (the model's weights); the mother's name, the
    place, a whole name and aliases count at the model's maximum gain. Only cached
    look-ups: a fraction of ``compare``'s cost."""
    stats = stats or _DEFAULT_STATS
    if a.has_parts() and b.has_parts():
        scale = model.cross_script_scale
        family = _weighed_similarity(scale, a.family_name, b.family_name)
        family_weight = _weigh(model.family, family, stats.rarity_of(a.family_name))
        if _swapped_parts_possible(round(family, 3), a, b):
            family_weight = max(family_weight, model.whole_swapped.max_gain)
        given = (
            0.0
            if _kunya_for_given(a, b, model)
            else _weigh(
                model.given,
                _weighed_similarity(scale, a.given_name, b.given_name),
                stats.rarity_of(a.given_name),
            )
        )
        names = (
            given
            + family_weight
            + _weigh(model.father, _weighed_similarity(scale, a.father_name, b.father_name))
        )
    else:
        names = model.whole.max_gain
    if b.aliases:
        names = max(names, model.whole.max_gain)
    mother = model.mother.max_gain if a.mother_name and b.mother_name else 0.0
    return names + mother + (model.place if a.birth_place and b.birth_place else 0.0)


def _weigh(weights: NameWeights, similarity: float, rarity: float = 1.0) -> float:
    return _name_weight(similarity, weights.agree, weights.disagree, rarity)


def needed_weight(threshold: float) -> float:
    """The log2 weight (prior included) a pair needs for ``compare`` to score ``threshold``;
    each weight there is rounded to 2 decimals, so this errs low by 0.005 for 8 fields."""
    floor = threshold - 0.0001  # scores are rounded to 4 decimals
    if floor <= 0:
        return -math.inf
    if floor >= 1:
        return math.inf
    return math.log2(floor / (1 - floor)) - 0.04


def could_reach(
    a: PersonRecord,
    b: PersonRecord,
    *,
    threshold: float,
    stats: NameStats | None = None,
    screening: bool = False,
    model: ModelVersion = CURRENT,
) -> bool:
    """Whether ``compare(a, b, ...)`` can score ``threshold`` or more: ``best_gain`` with the
    birth date and national number. False only when even that falls short, so skipping
    such a pair changes no result."""
    total = _prior(model, screening) + best_gain(a, b, stats=stats, model=model)
    total += max(
        birth_weight(a.birth_date, b.birth_date, lenient=screening, model=model),
        birth_weight(a.birth_date, b.birth_date, lenient=screening, model=_lenient_model(model)),
    )
    total += national_id_weight(a.national_id, b.national_id, model=model)
    return total >= needed_weight(threshold)
