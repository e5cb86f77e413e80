"""Which new column continues a column of the previous wave (a rename), by evidence.

A renamed column usually has another name but the same content: the same codes in about the same
shares (blanks included, which show the routing), the same value labels and question, or counts
over the same range. Each pair of an old column the new file lacks and a new column the old wave
lacks is scored on that evidence, content weighing more than names. How much content proves
depends on how specific it is: yes/no codes and their labels are shared by half a survey's
columns, so for them the name (rapidfuzz, with æ ø å folded) or the question must agree as well,
while a scale of four answers or a spread of counts singles a column out whatever its name. A pair
is ambiguous when another column (one that kept its name included, when the caller passes all
columns) resembles either side about as well: unless the distributions tell them apart, its score
is then lowered below :data:`CREDIBLE`. Pairs are assigned one to one, greedily, best first (a
delivery has few renames). Every proposal quotes its figures, for the steward who must judge it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz import fuzz

# A score is a weighted mean of similarities in 0..1. At 0.6 most of the evidence agrees and
# none contradicts it; below, a dropped question and a new one are the likelier story.
CREDIBLE = 0.6
MARGIN = 0.05  # a rival within this much of a pair's score makes the pair ambiguous
SEPARATE = 0.05  # ... unless the pair's distribution is this much closer (total variation)
AMBIGUOUS = CREDIBLE - MARGIN  # what an ambiguous pair's score is lowered to
MANY = 50  # a column with more distinct values is compared by range and spread, not by value
APART = 0.25  # distributions a quarter of the rows apart are no evidence at all
WEIGHTS = {"codes": 3.0, "distribution": 3.0, "range": 2.0, "spread": 2.0, "blanks": 1.0,
           "labels": 2.0, "question": 2.0, "name": 1.0}
UNRELATED = 0.3  # how alike rapidfuzz finds two unrelated names of a survey: no evidence
FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
INTEGER, NUMBER, DATE = r"^[+-]?\d+$", r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$", r"^\d{4}-\d\d-\d\d"


@dataclass(frozen=True)
class Profile:
    """What a column holds, as far as matching needs it."""

    name: str
    kind: str  # integer | number | string | date
    counts: dict[object, int] = field(default_factory=dict)  # value -> rows, if <= MANY values
    distinct: int = 0  # distinct values, blanks not counted
    rows: int = 0
    nulls: int = 0  # blank rows
    minimum: float | None = None  # of a numeric column
    maximum: float | None = None
    labels: dict[object, str] = field(default_factory=dict)  # value labels
    question: str = ""  # variable label or question text
    quantiles: tuple[float, ...] = ()  # 10th, 50th and 90th percentile of a numeric column


@dataclass(frozen=True)
class Proposal:
    """The new column ``new`` continues the old column ``old``, with the evidence for it."""

    old: str
    new: str
    score: float  # 0..1, rounded to 2 decimals
    evidence: tuple[str, ...]


def _code(value: object) -> object:
    """A value as matching compares it: 1, 1.0 and " 1 " are the code 1."""
    if isinstance(value, str):
        value = value.strip()
        try:
            return int(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def profile(name: str, series: pl.Series, labels: dict | None = None, question: str = "", *,
            kind: str | None = None) -> Profile:
    """The profile of a column. Text that is all integers (or numbers, with a decimal point or
    comma) counts as such. An empty column takes ``kind``, else integer if its labels' codes are,
    else string."""
    values = series.drop_nulls()
    found = "string"
    if values.dtype == pl.String:
        values = values.str.strip_chars().filter(values.str.strip_chars() != "")
    elif values.dtype.is_float():
        values = values.filter(values.is_not_nan())
    numbers = None
    if values.dtype.is_temporal() or (values.dtype == pl.String and values.len()
                                      and values.str.contains(DATE).all()):
        found = "date"
        values = values.cast(pl.String)
    elif values.dtype.is_numeric() or values.dtype == pl.Boolean:
        numbers = values.cast(pl.Float64)
    elif values.dtype == pl.String and values.len() and values.str.contains(NUMBER).all():
        integers = values.str.contains(INTEGER).all()
        numbers = values.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        if integers and numbers.abs().max() >= 2 ** 53:  # more digits than a number holds: an id
            numbers = None
    if numbers is not None:
        found = "integer" if (numbers == numbers.floor()).all() else "number"
        values = numbers.cast(pl.Int64, strict=False) if found == "integer" else numbers
    labels = {_code(k): str(v) for k, v in (labels or {}).items()}
    if not values.len():
        found = kind or ("integer" if labels and all(isinstance(k, int) for k in labels)
                         else "string")
    distinct = values.n_unique()
    counts = {_code(v) if numbers is not None else v: n
              for v, n in sorted(values.value_counts().iter_rows(), key=lambda row: _order(row[0]))
              } if distinct <= MANY else {}
    numeric = numbers is not None and numbers.len() > 0
    return Profile(name, kind or found, counts, distinct, series.len(),
                   series.len() - values.len(),
                   float(numbers.min()) if numeric else None,
                   float(numbers.max()) if numeric else None, labels, question or "",
                   tuple(float(numbers.quantile(q, "nearest")) for q in (0.1, 0.5, 0.9))
                   if numeric else ())


def match(old: list[Profile], new: list[Profile], *,
          threshold: float = CREDIBLE) -> list[Proposal]:
    """Renames old -> new, one to one, scoring at least ``threshold``, sorted by old name.
    Candidates are the old columns missing from ``new`` and the new columns absent from ``old``;
    columns found in both only count as rivals, which make a pair ambiguous."""
    old_names, new_names = {p.name for p in old}, {p.name for p in new}
    rivals: dict[tuple[str, str], list[tuple[float, str, float | None]]] = {}
    scored = {}
    for o in old:
        for n in new:
            if o.name in new_names and n.name in old_names:
                continue  # two kept columns: neither a candidate nor anyone's rival
            pair = _pair(o, n)
            if pair is not None:
                scored[o.name, n.name] = pair
                rivals.setdefault(("old", o.name), []).append((pair[0], n.name, pair[2]))
                rivals.setdefault(("new", n.name), []).append((pair[0], o.name, pair[2]))
    ranked = []
    for (o, n), (score, evidence, tv) in scored.items():
        if o not in new_names and n not in old_names:
            close = sorted((r for r in rivals[("old", o)] + rivals[("new", n)]
                            if r[1] not in (o, n) and r[0] >= score - MARGIN),
                           key=lambda r: (-r[0], r[1]))
            score, evidence = _ambiguous(score, evidence, tv, close) if close else (score,
                                                                                   evidence)
            ranked.append((score, o, n, evidence))
    out, taken_old, taken_new = [], set(), set()
    for score, o, n, evidence in sorted(ranked, key=lambda x: (-x[0], x[1], x[2])):
        if score >= threshold and o not in taken_old and n not in taken_new:
            taken_old.add(o)
            taken_new.add(n)
            out.append(Proposal(o, n, round(score, 2), evidence))
    return sorted(out, key=lambda p: p.old)


def _ambiguous(score: float, evidence: tuple[str, ...], tv: float | None,
               close: list[tuple[float, str, float | None]]) -> tuple[float, tuple[str, ...]]:
    """A pair's score and evidence when other columns resemble either side about as well."""
    shown = list(dict.fromkeys(name for _, name, _ in close))[:3]  # a kept name is on both sides
    evidence += tuple(f"also close: {name} ({max(s for s, n, _ in close if n == name):.2f})"
                      for name in shown)
    if tv is not None and all(t is not None and t - tv >= SEPARATE for _, _, t in close):
        return score, (*evidence, "the distributions tell them apart")
    said = "the distributions do not tell them apart"
    if score <= AMBIGUOUS:
        return score, (*evidence, said)
    return AMBIGUOUS, (*evidence, f"{said}: score lowered to {AMBIGUOUS:.2f}")


def _pair(old: Profile, new: Profile) -> tuple[float, tuple[str, ...], float | None] | None:
    """(score, evidence, total variation of the distributions) of a pair of columns; None when
    their kinds differ."""
    if old.kind != new.kind:
        return None
    parts: list[tuple[str, float]] = []
    evidence: list[str] = []
    tv = None
    codes = set(old.counts or old.labels) | set(new.counts or new.labels)
    if old.counts and new.counts:
        a, b = set(old.counts), set(new.counts)
        parts.append(("codes", len(a & b) / len(a | b)))
        evidence.append(f"same codes {_set(a)}" if a == b else
                        f"codes {_set(a)} and {_set(b)}: {len(a & b)} of {len(a | b)} shared")
        if old.rows and new.rows:
            tv = sum(abs(old.counts.get(v, 0) / old.rows - new.counts.get(v, 0) / new.rows)
                     for v in a | b) / 2 + abs(old.nulls / old.rows - new.nulls / new.rows) / 2
            parts.append(("distribution", max(0.0, 1 - tv / APART)))
            evidence.append(f"distribution differs by {100 * tv:.1f} points (total variation, "
                            "blanks included)")
    elif None not in (old.minimum, old.maximum, new.minimum, new.maximum):
        low, high = max(old.minimum, new.minimum), min(old.maximum, new.maximum)
        span = max(old.maximum, new.maximum) - min(old.minimum, new.minimum)
        overlap = max(0.0, high - low) / span if span else 1.0
        parts.append(("range", overlap))
        evidence.append(f"ranges {_num(old.minimum)}–{_num(old.maximum)} and "
                        f"{_num(new.minimum)}–{_num(new.maximum)} overlap {100 * overlap:.0f} %")
        if old.quantiles and new.quantiles and span:
            # a quarter of the range apart on average: spread nothing alike
            apart = sum(abs(x - y) for x, y in zip(old.quantiles, new.quantiles, strict=True))
            parts.append(("spread", max(0.0, 1 - 4 * apart / len(old.quantiles) / span)))
            evidence.append("10th/50th/90th percentiles " + "/".join(map(_num, old.quantiles))
                            + " and " + "/".join(map(_num, new.quantiles)))
    if not (old.counts and new.counts) and old.rows and new.rows:
        a, b = old.nulls / old.rows, new.nulls / new.rows
        parts.append(("blanks", 1 - abs(a - b)))
        evidence.append(f"blank in {100 * a:.0f} % and {100 * b:.0f} % of rows")
    if old.labels and new.labels:
        parts.append(("labels", _text(_joined(old.labels), _joined(new.labels))))
        evidence.append(f"value labels {100 * parts[-1][1]:.0f} % alike")
    if old.question and new.question:
        parts.append(("question", _text(old.question, new.question)))
        evidence.append(f"questions {100 * parts[-1][1]:.0f} % alike")
    a, b = _folded(old.name), _folded(new.name)
    alike = max(fuzz.ratio(a, b), 0.9 * fuzz.partial_ratio(a, b)) / 100
    parts.append(("name", max(0.0, alike - UNRELATED) / (1 - UNRELATED)))
    evidence.append(f"names {100 * alike:.0f} % alike")
    # How much the content alone can prove: yes/no codes (and their labels) are shared by half
    # a survey's columns, a scale of four answers or a spread of counts singles a column out,
    # many-valued strings (free text, ids) show nothing but their blanks.
    substantive = [c for c in codes if not _sentinel(c)]
    specific = (min(1.0, max(0.0, (len(substantive) - 2) / 2)) if codes else
                1.0 if old.minimum is not None and new.minimum is not None else 0.0)
    weights = [WEIGHTS[part] * (specific if part in ("codes", "labels") else 1)
               for part, _ in parts]
    score = math.fsum(w * s for w, (_, s) in zip(weights, parts, strict=True)) / sum(weights)
    # What the content cannot prove, the name or the question must.
    told = max(s for part, s in parts if part in ("name", "question"))
    return score * (specific + (1 - specific) * told), tuple(evidence), tv


def _sentinel(value: object) -> bool:
    """A missing-value code by survey convention: negative, or nines and eights (9, 98, 99)."""
    return isinstance(value, int) and (value < 0 or set(str(value)) <= {"8", "9"})


def _text(a: str, b: str) -> float:
    return fuzz.token_set_ratio(_folded(a), _folded(b)) / 100


def _folded(text: str) -> str:
    return text.lower().translate(FOLD)


def _joined(labels: dict[object, str]) -> str:
    return " ".join(labels[k] for k in sorted(labels, key=_order))


def _order(value: object) -> tuple[int, float, str]:
    """Codes sort as numbers, then as text: 1 < 2 < 10 < "a"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _set(codes: set) -> str:
    shown = sorted(codes, key=_order)
    return "{" + ", ".join(map(str, shown[:10])) + (", …" if len(shown) > 10 else "") + "}"


def _num(value: float) -> str:
    return f"{value:g}"
