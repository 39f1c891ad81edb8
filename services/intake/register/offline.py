"""`mumaris verify`: a card checked offline, against a saved copy of the published key set (or its
URL, fetched once). What is checked is the signature, the key (known, not revoked) and the card's
own dates; whether the registration is valid *now* only the register can say (its verification page).

The card may be given as the token, the URL its QR code holds, or a file: a saved PDF card (the
token is in its metadata, cards.KEYWORD) or a text file holding either.
"""

import json
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from services.intake.register import cards
from services.intake.register.card_pdf import KEYWORD
from services.intake.register.service import claims_view, message

MAX_FILE_BYTES = 5 * 1024 * 1024


def presented_card(source: str) -> str:
    """What to verify: the file's card when `source` names a file, else `source` itself."""
    path = Path(source)
    try:
        is_file = len(source) < 4096 and path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return source
    data = path.read_bytes()[:MAX_FILE_BYTES]
    if data.startswith(b"%PDF"):
        try:
            metadata = PdfReader(BytesIO(data)).metadata
            keywords = (metadata.get("/Keywords") if metadata is not None else None) or ""
        except (PyPdfError, ValueError, KeyError, TypeError):
            return ""
        return str(keywords).removeprefix(KEYWORD) if str(keywords).startswith(KEYWORD) else ""
    return data.decode("utf-8", errors="replace").strip()


def load_keyset(source: str, timeout_s: float = 10.0) -> cards.KeySet:
    """The key set from a saved JWKS file or its URL; ValueError when it cannot be read."""
    try:
        if source.startswith(("http://", "https://")):
            answer = httpx.get(source, timeout=timeout_s, follow_redirects=False)
            answer.raise_for_status()
            document: Any = answer.json()
        else:
            document = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, httpx.HTTPError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the key set from {source}: {error}") from error
    return cards.KeySet.from_jwks(document)


def verify_offline(source: str, keyset: cards.KeySet, at: datetime | None = None) -> dict[str, Any]:
    checked = cards.check(presented_card(source), keyset, at or datetime.now(UTC))
    return {
        "verdict": checked.verdict,
        "signed": checked.signed,
        "message": message(checked.verdict),
        "kid": checked.kid,
        "card": claims_view(checked.claims),
    }
