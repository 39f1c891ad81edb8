"""The registration catalogue: how long a professional registration runs, what renewing it costs and
how long its invoice may wait, and the continuing professional development (CPD) hours a cycle
needs, by profession and classification.

Shared data, read by intake (the registration, the CPD ledger, the renewal's conditions) and review
(the renewal's invoice). Professions and classification codes are those of schemas.classifications.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from schemas.classifications import CLASSIFICATIONS, money

VALIDITY_YEARS = 2  # a registration, and each renewal of it, runs this long
_VALIDITY_BY_PROFESSION: dict[str, int] = {}  # none differs yet


def validity_years(profession: str) -> int:
    return _VALIDITY_BY_PROFESSION.get(profession, VALIDITY_YEARS)


# The renewal fee by rank on the ladder (riyals), and how long its invoice may stay unpaid.
_RENEWAL_FEE_BY_RANK: dict[int, Decimal] = {
    1: Decimal("200"),
    2: Decimal("400"),
    3: Decimal("600"),
    4: Decimal("900"),
}
RENEWAL_PAYMENT_DEADLINE_S = 14 * 24 * 3600


def renewal_fee(classification: str) -> Decimal:
    """What renewing a registration of this classification costs (KeyError: not in the catalogue)."""
    return money(_RENEWAL_FEE_BY_RANK[CLASSIFICATIONS[classification].rank])


# --- CPD requirements -----------------------------------------------------------------------------


class CpdExemption(StrEnum):
    """Practitioners who owe no CPD hours for a cycle."""

    TRAINEE = "trainee"  # in a residency or training programme, which carries its own education
    NOT_PRACTISING = "not_practising"  # registered but not working in the profession this cycle


@dataclass(frozen=True)
class CpdRequirement:
    hours_per_year: Decimal

    def for_cycle(self, years: int) -> Decimal:
        return self.hours_per_year * years


# Physicians 30 hours a year, pharmacists 20, nurses 15; technicians of any profession 10.
_CPD_BY_PROFESSION: dict[str, Decimal] = {
    "medicine": Decimal("30"),
    "pharmacy": Decimal("20"),
    "nursing": Decimal("15"),
}
_CPD_BY_CLASSIFICATION: dict[str, Decimal] = {code: Decimal("10") for code, c in CLASSIFICATIONS.items() if c.rank == 1}
NO_HOURS = Decimal("0")


def cpd_hours_required(classification: str, exemption: CpdExemption | None = None) -> Decimal:
    """The CPD hours a whole cycle (its validity, in years) needs for this classification."""
    if exemption is not None:
        return NO_HOURS
    entry = CLASSIFICATIONS[classification]
    per_year = _CPD_BY_CLASSIFICATION.get(classification, _CPD_BY_PROFESSION[entry.profession])
    return CpdRequirement(per_year).for_cycle(validity_years(entry.profession))
