"""Independent generator of Syrian person records for measuring ``sulh match``.

Written without reading sulh/matching/, sulh/synth/ or the matcher's documentation beyond
the CLI's input and output formats (see README.md). Pure Python and the standard library;
the output depends only on the split's seed and the sizes.

    python -m bench.independent.generator --split report --out /tmp/ind-report
    python -m bench.independent.generator --split tune --size 1000000 --out /tmp/ind-1m

Writes, under --out:
  dedup/registry.csv, dedup/truth.csv             (record_id -> person_id)
  screen/list.csv, screen/registrants.csv, screen/truth.csv
  arabic/queries.csv, arabic/truth.csv             (Arabic-script queries of Latin entries)
  manifest.json
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from bench.independent import names as N

VERSION = "independent-1"
SPLITS = {"tune": 7_310_2026, "report": 4_481_0613}
HEADER = [
    "record_id",
    "given_name",
    "father_name",
    "family_name",
    "mother_name",
    "full_name",
    "birth_date",
    "birth_place",
    "national_id",
]
LIST_HEADER = [*HEADER, "aliases"]
SUN_LATIN = ("t", "th", "d", "dh", "r", "z", "s", "sh", "n", "l")
KEYBOARD_NEAR = {
    "a": "sqz",
    "e": "wrd",
    "i": "uok",
    "o": "ipl",
    "u": "yij",
    "h": "gjn",
    "m": "nk",
    "n": "bm",
    "s": "adz",
    "r": "et",
    "d": "sf",
    "l": "k",
    "k": "jl",
    "b": "vn",
}


@dataclass(frozen=True)
class Tok:
    """One name: its Arabic form and Latin spellings; Abd al-X compounds keep X apart."""

    ar: str
    lat: tuple[str, ...]
    abd: tuple[str, tuple[str, ...], bool] | None = None


@dataclass(frozen=True)
class Fam:
    ar: str
    al: bool
    lat: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    ar: str
    gov_ar: str
    lat: tuple[str, ...]


@dataclass
class Person:
    pid: str
    female: bool
    given: Tok
    father: Tok
    grandfather: Tok
    family: Fam
    mother_given: Tok
    mother_family: Fam
    birth: dt.date
    birth_year_only: bool  # the civil registry holds 1 January: the day is not known
    place: Place
    national_id: str
    kunya: Tok | None = None
    home: dict | None = field(default=None, repr=False)


def _weighted(items: list, weights: list[float]):
    total = 0.0
    cum = []
    for w in weights:
        total += w
        cum.append(total)
    return items, cum, total


class Tables:
    def __init__(self) -> None:
        male = [Tok(a, tuple(lat)) for a, _, lat in N.MALE]
        male_w = [w for _, w, _ in N.MALE]
        for x_ar, w, x_lat, sun in N.ABD:
            male.append(Tok("عبد " + x_ar, (), (x_ar, tuple(x_lat), sun)))
            male_w.append(w)
        self.male = _weighted(male, male_w)
        self.female = _weighted(
            [Tok(a, tuple(lat)) for a, _, lat in N.FEMALE], [w for _, w, _ in N.FEMALE]
        )
        fams = [Fam(a, al, tuple(lat)) for a, al, _, lat in N.FAMILY]
        fam_w = [0.6 * w for _, _, w, _ in N.FAMILY]
        fams += [Fam(a, al, tuple(lat)) for a, al, lat in N.FAMILY_TAIL]
        fam_w += [0.25] * len(N.FAMILY_TAIL)
        # Family names formed from a forebear's given name: Al-Hassan, Abu Zeid, Al-Sheikh Ali.
        seen = {f.ar for f in fams}
        for a, w, lat in N.MALE:
            if a not in seen:
                fams.append(Fam(a, True, tuple(lat[:4])))
                fam_w.append(0.2 + 0.05 * w)
            fams.append(
                Fam("أبو " + a, False, tuple(["Abu " + x for x in lat[:3]] + ["Abou " + lat[0]]))
            )
            fam_w.append(0.12)
            fams.append(
                Fam(
                    "الشيخ " + a,
                    False,
                    ("Al-Sheikh " + lat[0], "Sheikh " + lat[-1], "El Cheikh " + lat[0]),
                )
            )
            fam_w.append(0.05)
        self.family = _weighted(fams, fam_w)
        self.place = _weighted(
            [Place(a, g, tuple(lat)) for a, g, _, lat in N.PLACES], [w for _, _, w, _ in N.PLACES]
        )
        self.place_by_ar = {p.ar: p for p in self.place[0]}


def pick(rng: random.Random, table):
    items, cum, total = table
    x = rng.random() * total
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return items[lo]


# ---------------------------------------------------------------- population


class Population:
    """People in clans (family name and home town) and households (father, mother)."""

    def __init__(
        self, rng: random.Random, tables: Tables, prefix: str, new_clan: float = 0.25
    ) -> None:
        self.new_clan = new_clan
        self.rng = rng
        self.t = tables
        self.prefix = prefix
        self.clans: list[dict] = []
        self.count = 0
        self.used_ids: set[str] = set()
        self.member_clans: list[int] = []

    def _national_id(self, place: Place) -> str:
        gov = sorted({p.gov_ar for p in self.t.place[0]}).index(place.gov_ar) + 1
        while True:
            nid = f"{gov:02d}" + "".join(str(self.rng.randrange(10)) for _ in range(9))
            if nid not in self.used_ids:
                self.used_ids.add(nid)
                return nid

    def _birth(self) -> tuple[dt.date, bool]:
        rng = self.rng
        year = int(rng.triangular(1958, 2007, 1992))
        start = dt.date(year, 1, 1)
        if rng.random() < 0.15:
            return start, True
        return start + dt.timedelta(days=rng.randrange(365)), False

    def new_person(self, *, like: Person | None = None, sibling_of: Person | None = None) -> Person:
        """A new person; with ``like``, a namesake: same given, father's and family name."""
        rng = self.rng
        t = self.t
        self.count += 1
        pid = f"{self.prefix}{self.count:07d}"
        if like is None:
            if sibling_of is not None:
                pass
            elif not self.clans or rng.random() < self.new_clan:
                clan = {
                    "i": len(self.clans),
                    "family": pick(rng, t.family),
                    "place": pick(rng, t.place),
                    "homes": [],
                }
                self.clans.append(clan)
            else:
                # half preferential (big clans get bigger), half any clan
                if rng.random() < 0.5:
                    clan = self.clans[rng.choice(self.member_clans)]
                else:
                    clan = rng.choice(self.clans)
            if sibling_of is not None and sibling_of.home is not None:
                clan, home = sibling_of.home["clan"], sibling_of.home
            elif not clan["homes"] or rng.random() < 0.55:
                grandfather = pick(rng, t.male)
                father = grandfather if rng.random() < 0.04 else pick(rng, t.male)
                mother_family = clan["family"] if rng.random() < 0.3 else pick(rng, t.family)
                home = {
                    "father": father,
                    "grandfather": grandfather,
                    "mother": (pick(rng, t.female), mother_family),
                    "children": 0,
                    "base_year": None,
                    "clan": clan,
                }
                clan["homes"].append(home)
            else:
                home = rng.choice(clan["homes"])
            female = rng.random() < 0.12
            if female:
                given = pick(rng, t.female)
            elif home["children"] == 0 and rng.random() < 0.4:
                given = home["grandfather"]  # the first son carries his grandfather's name
            else:
                given = pick(rng, t.male)
                while sibling_of is not None and given == sibling_of.given:
                    given = pick(rng, t.male)
            birth, year_only = self._birth()
            if home["base_year"] is None:
                home["base_year"] = birth.year
            else:  # siblings are born a few years apart
                year = home["base_year"] + rng.choice([-1, 1]) * rng.randint(1, 12)
                year = max(1950, min(2008, year))
                birth = birth.replace(year=year, day=min(birth.day, 28))
            home["children"] += 1
            self.member_clans.append(clan["i"])
            place = clan["place"] if rng.random() < 0.85 else pick(rng, t.place)
            person = Person(
                pid,
                female,
                given,
                home["father"],
                home["grandfather"],
                clan["family"],
                home["mother"][0],
                home["mother"][1],
                birth,
                year_only,
                place,
                self._national_id(place),
                home=home,
            )
        else:
            birth, year_only = self._birth()
            same_region = rng.random() < 0.5
            place = like.place if same_region else pick(rng, t.place)
            person = Person(
                pid,
                like.female,
                like.given,
                like.father,
                pick(rng, t.male),
                like.family,
                pick(rng, t.female),
                like.family if rng.random() < 0.3 else pick(rng, t.family),
                birth,
                year_only,
                place,
                self._national_id(place),
            )
        if not person.female and rng.random() < 0.3:
            person.kunya = pick(rng, t.male)
        return person


# ---------------------------------------------------------------- rendering


class Clerk:
    """How one record is written: script, spelling habits, haste."""

    def __init__(self, rng: random.Random, arabic: bool, care: float) -> None:
        self.rng = rng
        self.arabic = arabic
        self.typo = 0.01 + 0.05 * (1.0 - care)
        self.hamza_drop = rng.random() < 0.4
        self.ta_as_ha = rng.random() < 0.15
        self.ya_for_maqsura = rng.random() < 0.25
        self.abd_joined = rng.random() < 0.45
        self.al_style = rng.choices(
            ["Al-", "al-", "Al ", "El-", "El ", "Al", "", "AL-"], [30, 15, 15, 8, 5, 12, 10, 5]
        )[0]
        self.variant_bias = rng.random()  # how far from the common spelling this clerk strays
        self.case = rng.choices(["title", "upper", "lower", "upper_family"], [80, 8, 4, 8])[0]

    # -- Latin
    def spell(self, options: tuple[str, ...]) -> str:
        rng = self.rng
        if len(options) == 1 or rng.random() > self.variant_bias:
            return options[0]
        return rng.choice(options[1:])

    def latin_tok(self, tok: Tok) -> str:
        if tok.abd is None:
            return self.spell(tok.lat)
        _, x_lat, sun = tok.abd
        x = self.spell(x_lat)
        forms = [
            ("Abdul{}", True),
            ("Abdul {}", False),
            ("Abd al-{}", False),
            ("Abd Al {}", False),
            ("Abdel {}", False),
            ("Abdel{}", True),
            ("Abd el-{}", False),
            ("Abdal{}", True),
        ]
        if sun:
            forms += [("Abd a" + x[0].lower() + "-{}", False), ("Abdu" + x[0].lower() + "{}", True)]
        form, lower = forms[0] if self.rng.random() > self.variant_bias else self.rng.choice(forms)
        return form.format(x.lower() if lower else x)

    def latin_family(self, fam: Fam) -> str:
        base = self.spell(fam.lat)
        if not fam.al:
            return base
        style = self.al_style
        if self.rng.random() < 0.05 and base.lower().startswith(SUN_LATIN):
            lead = base[:2].lower() if base[:2].lower() in ("sh", "th", "dh") else base[0].lower()
            return "A" + lead + "-" + base  # the article assimilated: Az-Zoubi, Ash-Shami
        if style == "Al":
            return "Al" + base.lower()
        return style + base

    # -- Arabic
    def arabic_text(self, text: str) -> str:
        rng = self.rng
        if self.hamza_drop:
            text = text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
        words = text.split(" ")
        out = []
        for w in words:
            if self.ta_as_ha and w.endswith("ة"):
                w = w[:-1] + "ه"
            if self.ya_for_maqsura and w.endswith("ى"):
                w = w[:-1] + "ي"
            out.append(w)
        text = " ".join(out)
        if self.abd_joined:
            text = text.replace("عبد ال", "عبدال")
        if rng.random() < 0.01:
            text = text.replace("عبد ال", "عبد ال ").replace("  ", " ").strip()
        return text

    def arabic_tok(self, tok: Tok) -> str:
        return self.arabic_text(tok.ar)

    def arabic_family(self, fam: Fam) -> str:
        if fam.al and self.rng.random() > 0.04:
            return self.arabic_text("ال" + fam.ar)
        return self.arabic_text(fam.ar)

    # -- either script
    def tok(self, tok: Tok) -> str:
        return self.typos(self.arabic_tok(tok) if self.arabic else self.latin_tok(tok))

    def family(self, fam: Fam) -> str:
        text = self.typos(self.arabic_family(fam) if self.arabic else self.latin_family(fam))
        if not self.arabic and self.case == "upper_family":
            text = text.upper()
        return text

    def typos(self, text: str) -> str:
        rng = self.rng
        if len(text) < 4 or rng.random() > self.typo:
            return text
        i = rng.randrange(1, len(text) - 1)
        kind = rng.random()
        if text[i] == " " or text[i - 1] == " " or text[i + 1 : i + 2] == " ":
            return text
        if kind < 0.35:  # dropped letter
            return text[:i] + text[i + 1 :]
        if kind < 0.6:  # transposition
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if kind < 0.8:  # doubled letter
            return text[:i] + text[i] + text[i:]
        near = KEYBOARD_NEAR.get(text[i].lower())
        if near and not self.arabic:
            return text[:i] + rng.choice(near) + text[i + 1 :]
        return text[:i] + text[i + 1 :]

    def cased(self, text: str) -> str:
        if self.arabic:
            return text
        if self.case == "upper":
            return text.upper()
        if self.case == "lower":
            return text.lower()
        return text


def _digits(text: str, clerk: Clerk, rate: float) -> str:
    if clerk.arabic and text and clerk.rng.random() < rate:
        return text.translate(N.ARABIC_INDIC)
    return text


def _date_text(rng: random.Random, p: Person, full: float, year_only: float) -> str:
    x = rng.random()
    if x >= full + year_only:
        return ""
    if x >= full or (p.birth_year_only and rng.random() < 0.5):
        year = p.birth.year
        if rng.random() < 0.04:
            year += rng.choice([-1, 1])
        return f"{year:04d}"
    d = p.birth
    r = rng.random()
    if r < 0.06 and d.day <= 12 and d.day != d.month:  # day and month swapped
        d = d.replace(month=d.day, day=d.month)
    elif r < 0.10:  # year off by one
        d = d.replace(year=d.year + rng.choice([-1, 1]), day=min(d.day, 28))
    elif r < 0.15:  # only the year known: the clerk writes 1 January
        d = d.replace(month=1, day=1)
    elif r < 0.18:  # mistyped day
        d = d.replace(day=min(28, max(1, d.day + rng.choice([-10, -1, 1, 10]))))
    return d.isoformat()


def _nid_text(rng: random.Random, p: Person, present: float) -> str:
    if rng.random() > present:
        return ""
    nid = p.national_id
    r = rng.random()
    if r < 0.04:  # one digit wrong
        i = rng.randrange(len(nid))
        nid = nid[:i] + str((int(nid[i]) + rng.randint(1, 9)) % 10) + nid[i + 1 :]
    elif r < 0.07:  # two digits swapped
        i = rng.randrange(len(nid) - 1)
        nid = nid[:i] + nid[i + 1] + nid[i] + nid[i + 2 :]
    elif r < 0.09:  # a digit dropped
        i = rng.randrange(len(nid))
        nid = nid[:i] + nid[i + 1 :]
    return nid


def _place_text(clerk: Clerk, p: Person, present: float) -> str:
    rng = clerk.rng
    if rng.random() > present:
        return ""
    place = p.place
    if place.gov_ar != place.ar and rng.random() < 0.2:
        if clerk.arabic:
            return clerk.arabic_text(place.gov_ar)
        gov = N.GOVERNORATE_LATIN.get(place.gov_ar)
        if gov:
            return clerk.spell(tuple(gov))
        return clerk.spell(_PLACE_LATIN.get(place.gov_ar, (place.gov_ar,)))
    return clerk.arabic_text(place.ar) if clerk.arabic else clerk.spell(place.lat)


_PLACE_LATIN = {a: tuple(lat) for a, _, _, lat in N.PLACES}


def registration(
    rng: random.Random, p: Person, rid: str, *, arabic: bool, digits_rate: float
) -> list[str]:
    """One registration office record of ``p``, with a clerk's habits and haste."""
    clerk = Clerk(rng, arabic, care=rng.random())
    given_tok = p.given
    given = clerk.tok(given_tok)
    r = rng.random()
    nick = N.NICKNAMES.get(p.given.ar)
    if nick and r < 0.04:
        ar, lat = rng.choice(nick)
        given = ar if arabic else lat
    elif p.kunya is not None and r < 0.06:
        given = (
            ("أبو " + clerk.arabic_tok(p.kunya))
            if arabic
            else (rng.choice(["Abu ", "Abou ", "Abo "]) + clerk.latin_tok(p.kunya))
        )
    father = clerk.tok(p.father)
    grandfather = clerk.tok(p.grandfather)
    family = clerk.family(p.family)
    mother = ""
    if rng.random() < 0.65:
        mg = clerk.tok(p.mother_given)
        mother = mg if rng.random() < 0.3 else mg + " " + clerk.family(p.mother_family)
    layout = rng.random()
    g, f, fam, full = given, father, family, ""
    if layout < 0.13:
        parts = [given, father] + ([grandfather] if rng.random() < 0.4 else []) + [family]
        if rng.random() < 0.08:
            parts = parts[-1:] + parts[:-1]  # family name first, as on some forms
        full = " ".join(parts)
        g = f = fam = ""
    elif layout < 0.18:
        f = father + " " + grandfather  # father's and grandfather's name in one field
    elif layout < 0.20:
        g, fam = family, given  # given and family name in each other's field
    if layout >= 0.13 and rng.random() < 0.12:
        f = ""  # father's name omitted
    row = [
        rid,
        clerk.cased(g),
        clerk.cased(f),
        clerk.cased(fam) if clerk.case != "upper_family" else fam,
        clerk.cased(mother),
        clerk.cased(full),
        _digits(_date_text(rng, p, 0.6, 0.28), clerk, digits_rate * 0.3),
        _place_text(clerk, p, 0.7),
        _digits(_nid_text(rng, p, 0.45), clerk, digits_rate),
    ]
    return row


def list_entry(rng: random.Random, p: Person, lid: str, *, latin: bool) -> list[str]:
    """A sanctions-style entry: full name or parts, aliases, a birth year more often than a date."""
    clerk = Clerk(rng, not latin, care=0.9)
    clerk.case = "upper_family" if rng.random() < 0.6 else "title"
    clerk.variant_bias = 0.3

    def name(c: Clerk, with_grandfather: bool) -> str:
        parts = [c.tok(p.given), c.tok(p.father)]
        if with_grandfather:
            parts.append(c.tok(p.grandfather))
        parts.append(c.family(p.family))
        return " ".join(parts)

    aliases: list[str] = []
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        other = Clerk(rng, not latin, care=1.0)
        other.variant_bias = 0.8
        aliases.append(name(other, rng.random() < 0.3))
    if p.kunya is not None and rng.random() < 0.6:
        k = clerk.arabic_tok(p.kunya) if not latin else clerk.latin_tok(p.kunya)
        fam = clerk.family(p.family)
        aliases.append(
            ("أبو " if not latin else "Abu ") + k + (" " + fam if rng.random() < 0.5 else "")
        )
    if latin and rng.random() < 0.5:
        aliases.append(name(Clerk(rng, True, care=1.0), rng.random() < 0.5))  # original script
    if not latin and rng.random() < 0.7:
        aliases.append(name(Clerk(rng, False, care=1.0), False))
    g = f = fam = full = ""
    if rng.random() < 0.6:
        full = name(clerk, rng.random() < 0.35)
    else:
        g, f, fam = clerk.tok(p.given), clerk.tok(p.father), clerk.family(p.family)
        if rng.random() < 0.15:
            f = ""
    mother = ""
    if rng.random() < 0.1:
        mother = clerk.tok(p.mother_given) + " " + clerk.family(p.mother_family)
    x = rng.random()
    if x < 0.5:
        year = p.birth.year + (rng.choice([-1, 1]) if rng.random() < 0.05 else 0)
        birth = f"{year:04d}"
    elif x < 0.85:
        birth = p.birth.isoformat()
    else:
        birth = ""
    seen: set[str] = set()
    uniq = []
    primary = full or " ".join(x for x in (g, f, fam) if x)
    for a in aliases:
        if a and a != primary and a not in seen:
            seen.add(a)
            uniq.append(a)
    return [
        lid,
        g,
        f,
        fam,
        mother,
        full,
        birth,
        _place_text(clerk, p, 0.5),
        p.national_id if rng.random() < 0.1 else "",
        "|".join(uniq),
    ]


def arabic_query(rng: random.Random, p: Person, rid: str) -> list[str]:
    """A registrant as an Arabic-script office writes them: parts and birth date."""
    clerk = Clerk(rng, True, care=0.8)
    date = p.birth.isoformat() if rng.random() < 0.8 else f"{p.birth.year:04d}"
    return [
        rid,
        clerk.tok(p.given),
        clerk.tok(p.father),
        clerk.family(p.family),
        "",
        "",
        date,
        "",
        "",
    ]


# ---------------------------------------------------------------- datasets


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(header)
        w.writerows(rows)


def make_dedup(seed: int, size: int, out: Path, digits_rate: float) -> dict:
    rng = random.Random(f"{seed}-dedup")
    tables = Tables()
    pop = Population(rng, tables, "P")
    people_n = max(1, round(size / 1.5))
    people = [pop.new_person() for _ in range(people_n)]
    owners = list(range(people_n))
    repeaters: list[int] = []
    for _ in range(size - people_n):
        i = rng.choice(repeaters) if repeaters and rng.random() < 0.12 else rng.randrange(people_n)
        repeaters.append(i)
        owners.append(i)
    rng.shuffle(owners)
    rows, truth = [], []
    for n, i in enumerate(owners):
        rid = f"R{n + 1:07d}"
        rows.append(
            registration(rng, people[i], rid, arabic=rng.random() < 0.5, digits_rate=digits_rate)
        )
        truth.append([rid, people[i].pid])
    _write(out / "dedup" / "registry.csv", HEADER, rows)
    _write(out / "dedup" / "truth.csv", ["record_id", "person_id"], truth)
    return {"records": size, "people": people_n}


def make_screen(
    seed: int, listed_n: int, registrants_n: int, out: Path, digits_rate: float
) -> dict:
    rng = random.Random(f"{seed}-screen")
    tables = Tables()
    # listed people come from across the country (many clans); registrants from the
    # offices' catchment (denser clans), a tenth of the unlisted ones a listed person's sibling
    pop = Population(rng, tables, "S", new_clan=0.7)
    local = Population(rng, tables, "U", new_clan=0.3)
    listed = [pop.new_person() for _ in range(listed_n)]
    list_rows, latin_of = [], {}
    for n, p in enumerate(listed):
        lid = f"L{n + 1:05d}"
        latin = rng.random() < 0.75
        latin_of[lid] = latin
        list_rows.append(list_entry(rng, p, lid, latin=latin))
    _write(out / "screen" / "list.csv", LIST_HEADER, list_rows)

    hits_n = registrants_n // 10
    namesakes_n = (registrants_n - hits_n) // 3
    others_n = registrants_n - hits_n - namesakes_n
    order = list(range(listed_n))
    rng.shuffle(order)
    picks = [order[i % listed_n] for i in range(hits_n)]
    jobs: list[tuple[str, Person, str, str]] = []
    for i in picks:
        jobs.append(("listed", listed[i], f"L{i + 1:05d}", ""))
    for _ in range(namesakes_n):
        i = rng.randrange(listed_n)
        jobs.append(("namesake", pop.new_person(like=listed[i]), "", f"L{i + 1:05d}"))
    for n in range(others_n):
        if n % 10 == 0:
            i = rng.randrange(listed_n)
            sib = pop.new_person(sibling_of=listed[i])
            jobs.append(("sibling", sib, "", f"L{i + 1:05d}"))
        else:
            jobs.append(("other", local.new_person(), "", ""))
    rng.shuffle(jobs)
    rows, truth = [], []
    for n, (kind, p, lid, of) in enumerate(jobs):
        rid = f"Q{n + 1:06d}"
        rows.append(registration(rng, p, rid, arabic=rng.random() < 0.5, digits_rate=digits_rate))
        truth.append([rid, lid, kind, of, p.pid])  # of: the listed namesake or sibling
    _write(out / "screen" / "registrants.csv", HEADER, rows)
    _write(
        out / "screen" / "truth.csv",
        ["record_id", "list_id", "kind", "namesake_of", "person_id"],
        truth,
    )

    # Arabic-script queries of the entries written in Latin script, and as many unlisted.
    arows, atruth = [], []
    latin_ids = [i for i in range(listed_n) if latin_of[f"L{i + 1:05d}"]]
    for n, i in enumerate(latin_ids):
        rid = f"A{n + 1:05d}"
        arows.append(arabic_query(rng, listed[i], rid))
        atruth.append(
            [rid, f"L{i + 1:05d}", "listed", "1" if _has_arabic(list_rows[i][9]) else "0"]
        )
    for n in range(len(latin_ids)):
        rid = f"B{n + 1:05d}"
        arows.append(arabic_query(rng, local.new_person(), rid))
        atruth.append([rid, "", "other", ""])
    _write(out / "arabic" / "queries.csv", HEADER, arows)
    _write(
        out / "arabic" / "truth.csv",
        ["record_id", "list_id", "kind", "entry_has_arabic_alias"],
        atruth,
    )
    return {
        "listed": listed_n,
        "registrants": registrants_n,
        "listed_registrants": hits_n,
        "namesakes": namesakes_n,
        "arabic_queries": len(arows),
    }


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def generate(
    split: str, out: Path, size: int, listed: int, registrants: int, digits_rate: float
) -> dict:
    seed = SPLITS[split]
    manifest = {
        "generator": VERSION,
        "split": split,
        "seed": seed,
        "arabic_indic_digits_rate": digits_rate,
        "dedup": make_dedup(seed, size, out, digits_rate),
        "screen": make_screen(seed, listed, registrants, out, digits_rate),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(SPLITS), default="report")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--size", type=int, default=30_000, help="dedup registry records")
    ap.add_argument("--listed", type=int, default=2_000)
    ap.add_argument("--registrants", type=int, default=20_000)
    ap.add_argument(
        "--arabic-digits",
        type=float,
        default=0.1,
        help="share of Arabic-script records with Arabic-Indic digits in the national number "
        "(and a third of that share in the birth date)",
    )
    args = ap.parse_args(argv)
    m = generate(args.split, args.out, args.size, args.listed, args.registrants, args.arabic_digits)
    print(json.dumps(m, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
