"""How both sites write what must run left to right (mumaris.web's |ltr and |moment), how their
words take such values, and how the console reads an audit entry's details."""

from datetime import UTC, date, datetime

import pytest
from markupsafe import Markup

from mumaris.web import ltr, ltr_runs, moment
from services.intake.portal.text import PortalWords
from services.review.console.pages import audit_details
from services.review.console.text import Words


def test_a_number_an_id_or_an_address_is_isolated_left_to_right_on_one_line_and_escaped() -> None:
    assert ltr("MP-00000034") == Markup('<bdi class="ltr" dir="ltr">MP-00000034</bdi>')
    assert ltr("a<b@example.sa") == Markup('<bdi class="ltr" dir="ltr">a&lt;b@example.sa</bdi>')
    assert 'class="ltr wrap"' in ltr("a very long file name.pdf", wrap=True)  # may wrap, not overflow
    assert ltr(None) == ltr("") == "—"


def test_a_date_stays_a_date_and_a_moment_reads_in_riyadh_time_with_its_machine_form() -> None:
    assert moment("2025-03-14") == Markup('<time class="ltr" dir="ltr" datetime="2025-03-14">2025-03-14</time>')
    assert moment(date(2025, 3, 14)) == moment("2025-03-14")
    at = datetime(2026, 11, 25, 18, 21, 21, tzinfo=UTC)
    shown = moment(at)
    assert 'datetime="2026-11-25T18:21:21+00:00"' in shown and ">2026-11-25 21:21</time>" in shown  # UTC+3
    assert moment(at.isoformat()) == shown
    assert moment(None) == "—"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_words_keep_such_values_as_markup_and_escape_everything_else(lang: str) -> None:
    words = PortalWords(lang)  # type: ignore[arg-type]
    sentence = words("progress.approved", since=moment("2025-03-14"))
    assert '<time class="ltr" dir="ltr" datetime="2025-03-14">' in sentence
    assert "&lt;script&gt;" in words("unread_count", n="<script>")
    assert 'dir="ltr"' in words.riyadh(datetime(2026, 1, 1, tzinfo=UTC))


def test_an_audit_entry_reads_as_phrases_with_names_and_riyadh_time_in_the_pages_language() -> None:
    labels = {"document_illegible": "The document is not legible"}
    claimed = {"expires_at": "2026-11-25T18:30:00+00:00", "lapsed_claim_of": {"id": "acc-9", "name": "Faisal"}}
    en = audit_details(claimed, Words("en"), labels)
    assert en[1].unescape() == "after Faisal's lease lapsed"
    assert ">2026-11-25 21:30</time>" in en[0] and en[0].startswith("lease until")
    assert "acc-9" not in "".join(en)
    decided = {"decision": "reject", "reason_codes": ["document_illegible"], "reason": "<b>blurred</b>"}
    ar = audit_details(decided, Words("ar"), labels)
    assert ar[0] == "القرار: رفض" and "The document is not legible" in ar[1]
    assert "&lt;b&gt;" in ar[2]  # the reviewer's words are escaped
    assert audit_details({"via": "console", "page": 2}, Words("en"), labels) == ["in the console", "page 2"]
    assert audit_details({"held_by": {"id": "acc-1", "name": ""}}, Words("en"), labels) == ["was held by acc-1"]


def test_ids_dates_and_amounts_inside_a_messages_text_are_isolated_and_the_rest_escaped() -> None:
    body = "رقم الطلب: 2c858f45-1905-468a-901d-61d8e492d8e5\nالمبلغ 1,500.00 ريال <b>"
    shown = ltr_runs(body)
    assert '<bdi class="ltr wrap" dir="ltr">2c858f45-1905-468a-901d-61d8e492d8e5</bdi>' in shown  # long: may wrap
    assert '<bdi class="ltr" dir="ltr">1,500.00</bdi>' in shown
    assert "&lt;b&gt;" in shown and shown.striptags() == Markup.escape(body).striptags()
    assert ltr_runs("Basic Life Support") == "Basic Life Support"  # words without digits are left alone
