"""The public register's answers over HTTP (OpenAPI models). `RegisterEntry` is all the register
ever says about a practitioner."""

from pydantic import BaseModel, Field

from schemas.events import Localized
from services.intake.registration.rules import Status


class PublicName(BaseModel):
    ar: str | None = Field(description="The name in Arabic letters, when the account has one.")
    latin: str | None = Field(description="The name in Latin letters, when the account has one.")


class CatalogueLabel(BaseModel):
    code: str
    ar: str
    en: str


class RegisterEntry(BaseModel):
    """A registration as the public register shows it, as of today (Riyadh) on the registry's clock."""

    registration_number: str
    name: PublicName
    profession: CatalogueLabel
    classification: CatalogueLabel
    status: Status
    valid_now: bool = Field(description="Active, renewal open or renewed: the practitioner may practise.")
    not_valid_reason: str | None = Field(description="`card.reason.*` when not valid now: suspended, lapsed, grace.")
    valid_from: str = Field(description="First day of the current cycle.")
    valid_until: str = Field(description="Last day the registration is valid unless renewed.")


class SearchPage(BaseModel):
    """At most `page_size` entries (≤ 20), and never beyond page `max_pages`."""

    entries: list[RegisterEntry]
    page: int
    page_size: int
    has_more: bool
    max_pages: int


class CardView(BaseModel):
    registration_number: str
    name: PublicName
    profession: CatalogueLabel
    classification: CatalogueLabel
    valid_from: str
    valid_until: str
    issued_at: int


class Verdict(BaseModel):
    """A card checked now: `verdict` is `card.valid`, `card.not_valid_now` (signed, but the
    registration is not valid now: `reason`), `card.expired`, `card.bad_signature`, `card.unknown_key`,
    `card.key_revoked` or `card.malformed`."""

    verdict: str
    signed: bool
    valid_now: bool
    message: Localized
    reason: str | None
    reason_message: Localized | None
    kid: str | None
    card: CardView | None = Field(description="What the card says (when its signature could be read).")
    registration: RegisterEntry | None = Field(description="What the register says now.")


class MyCard(BaseModel):
    token: str = Field(description="The signed payload: a compact JWS, EdDSA (Ed25519), its `kid` in the header.")
    url: str = Field(description="What the QR code holds: the public register's verification page with the token.")
    entry: RegisterEntry


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class KeySetView(BaseModel):
    """RFC 7517 JSON Web Key Set: the keys cards are signed with (current first), and `revoked_kids`."""

    keys: list[Jwk]
    revoked_kids: list[str]
