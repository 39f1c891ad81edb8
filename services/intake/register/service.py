"""The public register's use cases: look a registration up by number, search by name and
profession, issue a practitioner's signed card, and verify a card now.

The registration's status is the registration area's (ProfessionalRegistrations.status, on the
registry's clock), so the register, the practitioner's own page and the card's verification always
agree. The rules are rules.py; the signature cards.py; the PDF and QR code card_pdf.py.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mumaris.clock import RegistryClock
from mumaris.errors import localized
from mumaris.settings import Settings
from schemas.registrations import validity_years
from services.intake.register import cards, rules
from services.intake.register.rules import RegisterRefused, Standing
from services.intake.register.store import Doc, RegisterStore
from services.intake.registration.rules import current_cycle
from services.intake.registration.service import ProfessionalRegistrations
from services.intake.registration.store import as_day

VERIFY_PATH = "/portal/register/verify"


def message(code: str | None) -> dict[str, str] | None:
    if code is None:
        return None
    text = localized(code)
    return {"ar": text.ar, "en": text.en}


@dataclass(frozen=True)
class Card:
    token: str
    url: str  # what the QR code holds: the verification page with the token
    entry: dict[str, Any]
    claims: dict[str, Any]


class PublicRegister:
    def __init__(
        self,
        store: RegisterStore,
        registrations: ProfessionalRegistrations,
        signer: cards.Signer,
        settings: Settings,
        clock: RegistryClock,
    ) -> None:
        self.store = store
        self.registrations = registrations
        self.signer = signer
        self.settings = settings
        self.clock = clock

    def _standing(self, registration: Doc, account: Doc | None) -> Standing:
        name_ar, name_latin = rules.names_of(account)
        expires_on = as_day(registration["expires_on"])
        cycle = current_cycle(registration["cycle"], expires_on, validity_years(registration["profession"]))
        return Standing(
            number=registration["number"],
            name_ar=name_ar,
            name_latin=name_latin,
            profession=registration["profession"],
            classification=registration["classification"],
            status=self.registrations.status(registration),
            valid_from=cycle.starts_on,
            valid_until=expires_on - timedelta(days=1),
        )

    async def standing(self, number: str) -> Standing | None:
        registration = await self.store.by_number(number)
        if registration is None:
            return None
        return self._standing(registration, await self.store.names(registration["_id"]))

    # --- the register -----------------------------------------------------------------------------

    async def lookup(self, number: str) -> dict[str, Any]:
        found = await self.standing(rules.checked_number(number))
        if found is None:
            raise RegisterRefused("register.not_found")
        return rules.public_entry(found)

    async def search(self, name: str, profession: str, page: int = 1) -> dict[str, Any]:
        words = rules.query_words(name, self.settings.register_min_query_letters)
        codes = rules.codes_of(rules.checked_profession(profession))
        at = rules.search_page(page, self.settings.register_page_size, self.settings.register_max_pages)
        patterns = [rules.word_pattern(word) for word in words]
        accounts = await self.store.search(codes, patterns, at.skip, at.size + 1)
        shown = accounts[: at.size]
        held = await self.store.registrations_of([a["_id"] for a in shown])
        entries = [rules.public_entry(self._standing(held[a["_id"]], a)) for a in shown if a["_id"] in held]
        return {
            "entries": entries,
            "page": at.number,
            "page_size": at.size,
            "has_more": len(accounts) > at.size and at.number < self.settings.register_max_pages,
            "max_pages": self.settings.register_max_pages,
        }

    # --- cards ------------------------------------------------------------------------------------

    async def card(self, practitioner_id: str) -> Card:
        """The practitioner's own card, signed now; refused while the registration is not valid."""
        registration = await self.store.of_practitioner(practitioner_id)
        if registration is None:
            raise RegisterRefused("register.not_found")
        standing = self._standing(registration, await self.store.names(practitioner_id))
        if not standing.valid_now:
            raise RegisterRefused("register.card_not_valid", {"status": standing.status.value})
        claims = cards.card_claims(
            standing.number,
            standing.name_ar,
            standing.name_latin,
            standing.profession,
            standing.classification,
            standing.valid_from,
            standing.valid_until,
            self.clock.now(),
        )
        token = self.signer.sign(claims)
        url = f"{self.settings.public_base_url.rstrip('/')}{VERIFY_PATH}?card={token}"
        return Card(token, url, rules.public_entry(standing), claims)

    def jwks(self) -> dict[str, Any]:
        return self.signer.keyset.jwks()

    async def verify(self, presented: str) -> dict[str, Any]:
        """The signature, the card's dates, and the registration as the register holds it now."""
        checked = cards.check(presented, self.signer.keyset, self.clock.now())
        current = await self.standing(checked.claims.sub) if checked.claims is not None else None
        verdict, reason = checked.verdict, None
        if checked.verdict == "card.signed_offline":
            verdict = "card.valid"
            if current is None:
                reason = "card.reason.unknown_registration"
            elif not current.valid_now:
                reason = rules.not_valid_reason(current.status)
            elif current.classification != checked.claims.classification:  # type: ignore[union-attr]
                reason = "card.reason.classification_changed"
            if reason is not None:
                verdict = "card.not_valid_now"
        return verdict_view(checked, verdict, reason, rules.public_entry(current) if current else None)


def claims_view(claims: cards.CardClaims | None) -> dict[str, Any] | None:
    if claims is None:
        return None
    return {
        "registration_number": claims.sub,
        "name": {"ar": claims.name_ar, "latin": claims.name_latin},
        "profession": rules.label_of(claims.profession, "profession"),
        "classification": rules.label_of(claims.classification, "classification"),
        "valid_from": claims.valid_from.isoformat(),
        "valid_until": claims.valid_until.isoformat(),
        "issued_at": claims.iat,
    }


def verdict_view(
    checked: cards.Check, verdict: str, reason: str | None, registration: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "verdict": verdict,
        "signed": checked.signed,
        "valid_now": verdict == "card.valid",
        "message": message(verdict),
        "reason": reason,
        "reason_message": message(reason),
        "kid": checked.kid,
        "card": claims_view(checked.claims),
        "registration": registration,
    }
