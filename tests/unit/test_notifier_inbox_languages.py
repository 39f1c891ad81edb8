"""Each inbox message keeps its title and body per language, so a page in one language shows that
one alone (the e-mail and the bilingual title and body stay as they were)."""

from datetime import UTC, datetime

import pytest

from schemas.events import Decision
from services.notifier.messages.rules import inbox_message, notification_for_decision
from tests.unit.test_notifier_content import decision

ARABIC_LETTER = "\u0627"


@pytest.mark.parametrize("locale", ["ar", "en"])
def test_an_inbox_message_keeps_each_language_by_itself(locale: str) -> None:
    note = notification_for_decision(
        decision(Decision.REJECT, reason="الختم غير واضح", locale=locale, reason_codes=["other"])
    )
    message = inbox_message("event-1", note, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))

    ar, en = message["texts"]["ar"], message["texts"]["en"]
    assert message["title"] == note.subject and " | " in message["title"]  # both, for older readers
    assert " | " not in ar["title"] and " | " not in en["title"]
    assert ar["title"] in message["title"] and en["title"] in message["title"]
    assert ar["body"] in message["body"] and en["body"] in message["body"]
    assert not any("a" <= ch <= "z" for ch in ar["title"])
    assert ARABIC_LETTER not in en["title"]
    assert "We" in en["body"] and "We" not in ar["body"]
    assert "الختم غير واضح" in ar["body"] and "الختم غير واضح" in en["body"]  # the reviewer's own words in each
