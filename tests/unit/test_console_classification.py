"""The console's item page for a classification request: the requested change, its documents and
the exams panel (passed / failed / missing), in Arabic and in English. Rendered without a server."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.requests import Request

from mumaris.settings import Settings
from schemas.classifications import CLASSIFICATIONS, DOCUMENT_TYPES
from services.review.console.pages import Pages
from services.review.console.session import ConsoleSessions
from services.review.console.text import TEXT
from services.review.queue.service import Actor
from services.review.queue.views import item_view

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def classification_item() -> dict[str, Any]:
    return {
        "_id": "req-1",
        "submission_id": "req-1",
        "kind": "classification",
        "version": 1,
        "practitioner": {"id": "p-1", "name": "Dr. Reem", "email": "r@example.sa", "locale": "ar"},
        "specialty": None,
        "membership_number": "MP-00000042",
        "classification": {
            "current": CLASSIFICATIONS["nursing.specialist"].ref().model_dump(mode="json"),
            "target": CLASSIFICATIONS["nursing.senior_specialist"].ref().model_dump(mode="json"),
        },
        "documents": [
            {
                "document_type": t,
                "submission_id": f"sub-{t}",
                "file": None,
                "certificate": None,
                "findings": [{"rule": "file.type", "outcome": "pass"}],
            }
            for t in ("degree", "licence", "experience_certificate")
        ],
        "required_exams": ["SNLE", "PROMOTION"],
        "candidate_ref": "x" * 64,
        "invoice": {"bill_number": "SC-2026-0001233", "amount": "900.00", "paid_at": AT},
        "file": None,
        "findings": [],
        "status": "queued",
        "queued_at": AT,
        "sla_due_at": AT + timedelta(days=7),
        "claim": None,
    }


EXAMS: list[dict[str, Any]] = [
    {
        "exam": "SNLE",
        "label": {"ar": "اختبار التمريض", "en": "Saudi Nursing Licensure Exam"},
        "standing": "passed",
        "score": 81.0,
        "taken_on": "2026-10-01",
    },
    {
        "exam": "PROMOTION",
        "label": {"ar": "اختبار الترقية", "en": "Professional promotion exam"},
        "standing": "missing",
        "score": None,
        "taken_on": None,
    },
]


def render(lang: str, doc: dict[str, Any] | None = None, exams: list[dict[str, Any]] | None = None) -> str:
    """The item page of `doc` (the classification request by default) as rev-1 sees it."""
    doc = doc or classification_item()
    pages = Pages(ConsoleSessions(Settings(), None))  # renders pages only: no token is checked
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": f"/console/items/{doc['_id']}",
            "headers": [],
            "query_string": f"lang={lang}".encode(),
        }
    )
    response = pages.render(
        request,
        "item.html",
        item=item_view(doc, EXAMS if exams is None else exams),
        actor=Actor("rev-1", "Khalid", "reviewer", None),
        may_see_document=False,
        reserved_until=None,
        document_types=DOCUMENT_TYPES,
        document=None,
        groups=[],
        previous=None,
        earlier=[],
        form={"decision": None, "reason": "", "reason_codes": [], "confirming": False},
    )
    return bytes(response.body).decode()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_item_page_shows_the_requested_classification_and_each_required_exam(lang: str) -> None:
    html = render(lang)
    pick = 0 if lang == "ar" else 1
    assert TEXT["exams"][pick] in html
    assert 'data-exam="SNLE" data-standing="passed"' in html
    assert 'data-exam="PROMOTION" data-standing="missing"' in html
    assert TEXT["exam.passed"][pick] in html and TEXT["exam.missing"][pick] in html
    assert TEXT["exams_block_approval"][pick] in html  # a missing exam is called out before approving
    assert CLASSIFICATIONS["nursing.senior_specialist"].label.model_dump()[lang] in html
    assert DOCUMENT_TYPES["experience_certificate"].model_dump()[lang] in html
    assert "SC-2026-0001233" in html


def test_every_console_word_for_classifications_exists_in_both_languages() -> None:
    for key in (
        "kind.classification",
        "kind.classification_document",
        "exams",
        "exam.passed",
        "exam.failed",
        "exam.missing",
        "classification_title",
        "exams_block_approval",
    ):
        ar, en = TEXT[key]
        assert ar and en and ar != en


def recognition_item() -> dict[str, Any]:
    """A request to recognise CPD hours earned abroad, claimed by rev-1."""
    claim = {"title": "Wound Care Update", "provider": "Royal College of Nursing", "country": "GB"}
    return {
        **classification_item(),
        "_id": "rec-1",
        "submission_id": "rec-1",
        "kind": "cpd_recognition",
        "classification": None,
        "documents": [],
        "required_exams": [],
        "invoice": None,
        "certificate": {
            "name": claim["title"],
            "obtained_on": "2026-11-02",
            "institution": claim["provider"],
            "specialty": "Nursing",
            "degree": "Conference",
            "expires_on": None,
            "cpd": None,
            "recognition": {**claim, "category": "Conference", "hours_claimed": "7.5", "attended_on": "2026-11-02"},
        },
        "findings": [{"rule": "content.cpd_hours", "outcome": "pass", "evidence": "7.5 CPD hours"}],
        "claim": {
            "reviewer_id": "rev-1",
            "reviewer_name": "Khalid",
            "claimed_at": datetime.now(UTC),
            "expires_at": datetime.now(UTC) + timedelta(minutes=30),
        },
    }


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_claimed_recognition_request_asks_for_the_hours_recognised_and_names_its_country(lang: str) -> None:
    """Its approval form (which the item page shows first, with nothing entered yet) offers the
    hours claimed; the country is named, not its code."""
    html = render(lang, recognition_item(), exams=[])
    assert 'data-testid="hours-recognised"' in html and 'value="7.5"' in html
    assert 'data-field="country">' + ("المملكة المتحدة" if lang == "ar" else "United Kingdom") in html
