"""How often the validator's OCR name finding recognises the practitioner, before and after names
were compared by sound across scripts.

    python -m tests.benchmarks.name_matching [--misses]

Reads `tests/data/name_pairs.csv` (made by `tests/data/make_name_pairs.py`): a registered name and
the name a certificate prints, either the same person (Arabic registered / Latin printed, the
reverse, and another spelling in the same script) or another one (a sister or brother with a
near-sounding given name, the same given name in another family, a father, a stranger). Each
printed name is set in a certificate's sentence in its own script, and both matchers look for the
one registered name there: the matcher of before (`match_name_as_before`, kept here: spelling
only, tolerant of OCR slips; it agrees with main at 38749e5 on every pair) and the new one
(`find_name`: spelling or sound). Figures: the share of same-person pairs found
(target ≥ 95 %), and beside it the false-match rate on different people (target ≤ 5 %). No
servers: plain Python, one thread.
"""

import argparse
import csv
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from services.validator.inspection.content import (
    _NAME_PARTICLES,
    _TITLES,
    _best_window,
    _ReadableText,
    find_name,
    normalize,
)
from services.validator.inspection.names import is_arabic
from tests.benchmarks.figures import Figure, table

PAIRS = Path(__file__).resolve().parents[1] / "data" / "name_pairs.csv"
LATIN_PAGE = (
    "KINGDOM OF SAUDI ARABIA Saudi Commission for Health Specialties CERTIFICATE OF ATTENDANCE "
    "This is to certify that {name} has attended Basic Life Support (BLS), 8 CPD hours, Riyadh 14 March 2025"
)
ARABIC_PAGE = (
    "المملكة العربية السعودية الهيئة السعودية للتخصصات الصحية شهادة حضور تشهد الهيئة بأن {name} "
    "قد حضر دورة الإنعاش القلبي الرئوي الأساسي بمعدل 8 ساعات تعليم مستمر الرياض 14 مارس 2025"
)


@dataclass(frozen=True)
class Pair:
    registered: str
    printed: str
    same: bool
    kind: str

    @property
    def page(self) -> str:
        return (ARABIC_PAGE if is_arabic(self.printed) else LATIN_PAGE).format(name=self.printed)


def pairs() -> list[Pair]:
    with PAIRS.open(encoding="utf-8") as source:
        return [
            Pair(row["registered"], row["printed"], row["same"] == "1", row["kind"]) for row in csv.DictReader(source)
        ]


# --- the matcher as it was (main at 38749e5): spelling only, tolerant of OCR slips, and "found"
# with the given name and two thirds of the parts even without the family name.


def _parts_as_before(name: str) -> list[str]:
    words = [word for word in normalize(name).split() if word not in _TITLES]
    parts: list[str] = []
    pending = ""
    for word in words:
        if word in _NAME_PARTICLES:
            pending += word
            continue
        parts.append(pending + word)
        pending = ""
    if pending:
        parts.append(pending)
    return [part for part in parts if len(part) > 1]


def _found_as_before(found: list[bool]) -> bool:
    count = sum(found)
    if len(found) == 1:
        return count == 1
    return found[0] and count >= 2 and (found[-1] or count * 3 >= len(found) * 2)


def match_name_as_before(text: str, name: str) -> bool:
    readable = _ReadableText(text)
    parts = _parts_as_before(name)
    weights = [float(len(part)) for part in parts]
    matches = _best_window(parts, weights, readable.tokens, len(parts) + 3)
    return bool(parts) and _found_as_before([m is not None for m in matches])


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    before: bool
    after: bool


def measure() -> tuple[list[Outcome], float]:
    outcomes = []
    started = time.perf_counter()
    for pair in pairs():
        after = find_name(pair.page, [pair.registered]) is not None
        outcomes.append(Outcome(pair, match_name_as_before(pair.page, pair.registered), after))
    return outcomes, (time.perf_counter() - started) / max(1, len(outcomes))


def rate(outcomes: list[Outcome], *, same: bool, after: bool, kind: str = "") -> float:
    chosen = [o for o in outcomes if o.pair.same == same and kind in o.pair.kind]
    return sum(o.after if after else o.before for o in chosen) / len(chosen) if chosen else 0.0


def figures(outcomes: list[Outcome], seconds_per_pair: float) -> list[Figure]:
    same = sum(o.pair.same for o in outcomes)
    different = len(outcomes) - same
    rows = [
        Figure(
            f"name found, same person ({same} pairs)",
            100 * rate(outcomes, same=True, after=True),
            "%",
            baseline=100 * rate(outcomes, same=True, after=False),
            baseline_name="before",
            target=95,
        ),
    ]
    for kind in ("arabic registered, latin printed", "latin registered, arabic printed", "latin both", "arabic both"):
        rows.append(
            Figure(
                f"  found: {kind}",
                100 * rate(outcomes, same=True, after=True, kind=kind),
                "%",
                baseline=100 * rate(outcomes, same=True, after=False, kind=kind),
                baseline_name="before",
            )
        )
    rows.append(
        Figure(
            f"false match, different people ({different} pairs)",
            100 * rate(outcomes, same=False, after=True),
            "%",
            baseline=100 * rate(outcomes, same=False, after=False),
            baseline_name="before",
            target=5,
            target_kind="at_most",
        )
    )
    groups = {
        "sibling, near-sounding given name": "near given name",
        "sibling, other given name": "sibling:",
        "same given name, other family": "other family",
        "her father's name": "father",
        "a stranger": "another person",
    }
    for label, kind in groups.items():
        rows.append(
            Figure(
                f"  false match: {label}",
                100 * rate(outcomes, same=False, after=True, kind=kind),
                "%",
                baseline=100 * rate(outcomes, same=False, after=False, kind=kind),
                baseline_name="before",
            )
        )
    rows.append(Figure("matching time per page", 1000 * seconds_per_pair, "ms"))
    return rows


def bench() -> list[Figure]:
    """For `make bench`: every pair of the table once."""
    outcomes, per_pair = measure()
    return figures(outcomes, per_pair)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list the pairs the new matcher gets wrong")
    args = parser.parse_args()
    outcomes, per_pair = measure()
    print(table(figures(outcomes, per_pair)))
    if args.misses:
        wrong = [o for o in outcomes if o.after != o.pair.same]
        print(f"\n{len(wrong)} wrong:", Counter(o.pair.kind for o in wrong))
        for o in wrong:
            print(
                f"  {'missed' if o.pair.same else 'false match'}: {o.pair.registered} | {o.pair.printed} ({o.pair.kind})"
            )


if __name__ == "__main__":
    main()
