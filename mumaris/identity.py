"""`candidate_ref`: the one-way stand-in for a practitioner's ID number that intake puts on
`classification.requested` and review computes from `gov.exams`, so the two can be matched while
the number itself stays off our topics and out of review's database."""

import hashlib
import hmac

from mumaris.settings import Settings


def candidate_ref(id_number: str, settings: Settings) -> str:
    key = settings.candidate_ref_key.get_secret_value().encode()
    return hmac.new(key, id_number.strip().encode(), hashlib.sha256).hexdigest()
