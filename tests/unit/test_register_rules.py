"""The public register's rules, the card's signature and the rate limiter, without servers."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mumaris.errors import MESSAGES
from mumaris.ratelimit import RateLimiter
from services.intake.register import cards, rules
from services.intake.register.rules import RegisterRefused, Standing
from services.intake.register.text import REGISTER_TEXT
from services.intake.registration.rules import Status

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SIGNER = cards.Signer.from_settings(cards.new_seed(), [], [])


def standing(status: Status = Status.ACTIVE, **changes: object) -> Standing:
    values: dict[str, object] = {
        "number": "RG-00000018",
        "name_ar": "نورة القحطاني",
        "name_latin": "Noura Al-Qahtani",
        "profession": "nursing",
        "classification": "nursing.specialist",
        "status": status,
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2027, 12, 31),
    }
    return Standing(**{**values, **changes})  # type: ignore[arg-type]


def token_for(s: Standing, signer: cards.Signer = SIGNER, at: datetime = AT) -> str:
    claims = cards.card_claims(
        s.number, s.name_ar, s.name_latin, s.profession, s.classification, s.valid_from, s.valid_until, at
    )
    return signer.sign(claims)


# --- what the public sees ------------------------------------------------------------------------


def test_the_public_entry_is_a_whitelist_and_says_why_a_registration_is_not_valid() -> None:
    entry = rules.public_entry(standing())
    assert set(entry) == {
        "registration_number", "name", "profession", "classification", "status",
        "valid_now", "not_valid_reason", "valid_from", "valid_until",
    }  # fmt: skip
    assert (entry["valid_now"], entry["not_valid_reason"]) == (True, None)
    assert entry["profession"] == {"code": "nursing", "ar": "تمريض", "en": "Nursing"}
    for status, reason in (
        (Status.SUSPENDED, "card.reason.suspended"),
        (Status.LAPSED, "card.reason.lapsed"),
        (Status.GRACE, "card.reason.grace"),
    ):
        shown = rules.public_entry(standing(status))
        assert (shown["valid_now"], shown["not_valid_reason"]) == (False, reason)
    for status in (Status.RENEWAL_OPEN, Status.RENEWED):
        assert rules.public_entry(standing(status))["valid_now"] is True


def test_names_in_both_scripts_are_read_when_present_and_never_required() -> None:
    both = {"first_name": "نورة", "last_name": "القحطاني", "first_name_latin": "Noura", "last_name_latin": "Al-Qahtani"}
    assert rules.names_of(both) == ("نورة القحطاني", "Noura Al-Qahtani")
    assert rules.names_of({"first_name": "نورة", "last_name": "القحطاني"}) == ("نورة القحطاني", None)
    assert rules.names_of({"first_name": "Reem", "last_name": "Al-Zahrani"}) == (None, "Reem Al-Zahrani")
    assert rules.names_of({"first_name": "نورة", "last_name": "القحطاني", "first_name_latin": None}) == (
        "نورة القحطاني",
        None,
    )
    assert rules.names_of(None) == (None, None)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("فاطمه", "فاطمة الشمري"),
        ("احمد", "أحمد العتيبي"),
        ("الشمري", "فاطمة الشمّري"),  # a shadda in the stored name
        ("مصطفي", "مصطفى"),
        ("noura", "Noura Al-Qahtani"),
        ("qahtani", "Noura Al-Qahtani"),  # after a hyphen
    ],
)
def test_a_name_search_finds_the_usual_spellings_at_the_start_of_a_word(typed: str, stored: str) -> None:
    [word] = rules.query_words(typed, 3)
    assert re.search(rules.word_pattern(word), stored, re.IGNORECASE), (typed, stored)


def test_a_search_word_must_start_a_word_and_is_never_a_pattern() -> None:
    [word] = rules.query_words("ahtani", 3)
    assert not re.search(rules.word_pattern(word), "Noura Al-Qahtani", re.IGNORECASE)
    assert rules.query_words("(.*)abc[", 3) == ["abc"]
    with pytest.raises(RegisterRefused) as short:
        rules.query_words("a.*", 3)
    assert short.value.code == "register.query_too_short"
    assert len(rules.query_words("one two three four five six seven", 3)) == 5


def test_pages_are_capped_and_numbers_and_professions_checked() -> None:
    assert rules.search_page(5, 20, 5).skip == 80
    for page in (0, 6):
        with pytest.raises(RegisterRefused, match=r"register\.page_out_of_range"):
            rules.search_page(page, 20, 5)
    assert rules.checked_number(" rg-0000001 8 ") == "RG-00000018"
    with pytest.raises(RegisterRefused, match=r"register\.number_invalid"):
        rules.checked_number("RG-00000019")
    with pytest.raises(RegisterRefused, match=r"register\.profession_unknown"):
        rules.checked_profession("dentistry")
    assert rules.codes_of("pharmacy") == sorted(c for c in rules.CLASSIFICATIONS if c.startswith("pharmacy."))


# --- the card's signature ---------------------------------------------------------------------------


def test_a_card_signed_by_the_registry_verifies_with_its_kid_until_it_expires() -> None:
    token = token_for(standing())
    checked = cards.check(token, SIGNER.keyset, AT)
    assert (checked.verdict, checked.kid) == ("card.signed_offline", SIGNER.kid)
    assert checked.claims is not None and checked.claims.name_ar == "نورة القحطاني"
    url = f"https://register.example/portal/register/verify?card={token}"
    assert cards.check(url, SIGNER.keyset, AT).verdict == "card.signed_offline"
    # valid through its last day in Riyadh; from the next midnight there, expired
    last_day_end = datetime(2027, 12, 31, 20, 59, tzinfo=UTC)  # 23:59 in Riyadh
    assert cards.check(token, SIGNER.keyset, last_day_end).verdict == "card.signed_offline"
    assert cards.check(token, SIGNER.keyset, last_day_end + timedelta(minutes=1)).verdict == "card.expired"


def test_the_kid_is_the_keys_rfc_7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key
    key = cards.public_key("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    assert cards.thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_tampered_foreign_revoked_and_unknown_cards_get_their_verdict() -> None:
    token = token_for(standing())
    header, payload, signature = token.split(".")
    forged_claims = {**json.loads(cards._unb64(payload)), "name_latin": "Someone Else"}
    forged = f"{header}.{cards._b64(json.dumps(forged_claims).encode())}.{signature}"
    assert cards.check(forged, SIGNER.keyset, AT).verdict == "card.bad_signature"

    stranger = cards.Signer.from_settings(cards.new_seed(), [], [])
    assert cards.check(token_for(standing(), stranger), SIGNER.keyset, AT).verdict == "card.unknown_key"
    # another key claiming our kid: the signature gives it away
    impostor = cards.Signer(stranger.key, SIGNER.keyset)
    import jwt

    fake = jwt.encode(json.loads(cards._unb64(payload)), impostor.key, algorithm="EdDSA", headers={"kid": SIGNER.kid})
    assert cards.check(fake, SIGNER.keyset, AT).verdict == "card.bad_signature"
    hs256 = jwt.encode(
        {"sub": "RG-00000018"}, "a-shared-secret-of-thirty-two-bytes!", algorithm="HS256", headers={"kid": SIGNER.kid}
    )
    assert cards.check(hs256, SIGNER.keyset, AT).verdict == "card.bad_signature"

    old = SIGNER.key.public_key()
    rotated = cards.Signer.from_settings(cards.new_seed(), [cards.jwk_of(old)["x"]], [])
    assert cards.check(token, rotated.keyset, AT).verdict == "card.signed_offline"
    revoked = cards.Signer.from_settings(cards.new_seed(), [cards.jwk_of(old)["x"]], [SIGNER.kid])
    assert cards.check(token, revoked.keyset, AT).verdict == "card.key_revoked"
    published = cards.KeySet.from_jwks(json.loads(json.dumps(revoked.keyset.jwks())))
    assert cards.check(token, published, AT).verdict == "card.key_revoked"
    assert SIGNER.kid not in published.keys


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=700), st.binary(max_size=700).map(lambda b: b.decode("latin-1"))))
def test_whatever_is_presented_gets_a_verdict_never_an_exception(presented: str) -> None:
    assert cards.check(presented, SIGNER.keyset, AT).verdict in {
        "card.malformed",
        "card.unknown_key",
        "card.bad_signature",
    }


@given(st.integers(min_value=0, max_value=540), st.integers(min_value=0, max_value=255))
def test_a_card_with_any_one_character_changed_is_refused(position: int, replacement: int) -> None:
    token = token_for(standing())
    index = position % len(token)
    changed = token[:index] + chr(replacement) + token[index + 1 :]
    if changed != token:
        assert cards.check(changed, SIGNER.keyset, AT).verdict != "card.signed_offline" or _same_bytes(token, changed)


def _same_bytes(token: str, changed: str) -> bool:
    """The last base64url character of a part carries padding bits: some changes decode alike."""
    return [cards._unb64(p) for p in token.split(".")] == [cards._unb64(p) for p in changed.split(".")]


def test_a_jwks_reader_skips_what_is_not_an_ed25519_key_of_its_kid() -> None:
    good = cards.jwk_of(SIGNER.key.public_key())
    document = {
        "keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}, {**good, "kid": "mislabelled"}, good],
        "revoked_kids": [1],
    }
    keyset = cards.KeySet.from_jwks(document)
    assert list(keyset.keys) == [SIGNER.kid] and keyset.revoked == frozenset()
    with pytest.raises(ValueError, match="not a JSON Web Key Set"):
        cards.KeySet.from_jwks({"kid": "x"})


# --- the rate limiter -----------------------------------------------------------------------------


def test_the_rate_limiter_allows_a_burst_then_one_per_interval_and_says_how_long_to_wait() -> None:
    clock = [0.0]
    limiter = RateLimiter(rate_per_s=0.5, burst=3, clock=lambda: clock[0])
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == 2 and limiter.take("b") == 0
    clock[0] = 1.0
    assert limiter.take("a") == 1  # half a token back
    clock[0] = 2.0
    assert limiter.take("a") == 0
    clock[0] = 100.0
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 2]  # never more than the burst


def test_the_rate_limiter_forgets_the_least_recent_addresses_beyond_its_bound() -> None:
    limiter = RateLimiter(rate_per_s=0.001, burst=1, max_keys=2, clock=lambda: 0.0)
    assert limiter.take("a") == 0 and limiter.take("b") == 0 and limiter.take("c") == 0
    assert limiter.take("c") > 0 and limiter.take("a") == 0  # "a" was forgotten, "c" was not


# --- the words ------------------------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "intake" / "register" / "templates"
KEY = re.compile(r"""\bw\(\s*["']([\w.]+)["']""")


def test_every_word_the_register_pages_use_is_there_in_both_languages() -> None:
    used = {key for path in TEMPLATES.glob("*.html") for key in KEY.findall(path.read_text())}
    prefixes = {key for key in used if key.endswith(".")}
    assert used and sorted(used - prefixes - REGISTER_TEXT.keys()) == []
    assert all(any(key.startswith(p) for key in REGISTER_TEXT) for p in prefixes)
    assert {f"status.{s.value}" for s in Status} <= REGISTER_TEXT.keys()
    for key, (arabic, english) in REGISTER_TEXT.items():
        assert arabic.strip() and english.strip(), key
        assert sorted(re.findall(r"\{(\w+)\}", arabic)) == sorted(re.findall(r"\{(\w+)\}", english)), key
    verdicts = {"card.valid", "card.not_valid_now", "card.expired", "card.malformed", "card.bad_signature"}
    assert verdicts | {"card.unknown_key", "card.key_revoked", "card.signed_offline"} <= MESSAGES.keys()
