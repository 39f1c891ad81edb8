"""Fuzzing the validator: whatever the bytes, `inspect_document` answers with a report and never raises.

Random bytes (bare, or behind a real signature so the parsers are reached) and damaged copies of
valid JPEGs and PDFs: bit flips, overwritten bytes, truncation, and splices of other files' bytes.
Then well-formed PDFs whose catalog reaches a random graph of objects (odd /S values, cycles,
references to missing objects, streams where names are expected): they are sound, so they must
get their true verdict, accepted when the graph is harmless and refused as active content as soon
as one action that runs something sits anywhere an action belongs.
"""

import functools

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from mumaris.errors import MESSAGES
from services.validator.inspection.checks import (
    CheckLimits,
    DocumentReport,
    inspect_document,
)
from tests import documents

LIMITS = CheckLimits(max_bytes=5_000_000)
_SIGNATURE_LENGTH = 5
SIGNATURES = [b"%PDF-1.7\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb"]
GATES = ["file.size", "file.type", "file.parse"]
# Every report runs a prefix of these rules: the gates up to the first failure, then all the
# clarity rules, then the text layer's for a PDF that has one.
ORDER = [*GATES, "image.resolution", "image.exposure", "image.contrast", "image.sharpness", "pdf.text_layer"]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # leave no .hypothesis directory in the project
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def valid_documents() -> tuple[bytes, ...]:
    return (
        documents.jpeg_bytes(200, 150),
        documents.jpeg_bytes(160, 120, progressive=True),
        documents.rotated_exif_jpeg_bytes(120, 160),
        documents.text_pdf_bytes(2),
        documents.scanned_pdf_bytes(240, 340, dpi=30),
        documents.pdf_with_navigation_bytes(),
        documents.form_pdf_bytes(),
        documents.tagged_pdf_bytes(),
        documents.raw_pdf_bytes(cross_reference="stream"),
        documents.raw_pdf_bytes(cross_reference="hybrid"),
        documents.ocr_scanned_pdf_bytes(240, 340, dpi=30),
    )


def assert_well_formed(report: DocumentReport) -> None:
    assert isinstance(report, DocumentReport)
    rules = [finding.rule for finding in report.findings]
    assert rules, "at least the size rule runs"
    assert rules == ORDER[: len(rules)], rules
    for finding in report.findings:
        assert finding.outcome in ("pass", "fail")
        assert (finding.outcome == "fail") == (finding.code is not None)
        assert finding.code is None or finding.code in MESSAGES
    gates_passed = len(rules) > 3 or (len(rules) == 3 and report.findings[-1].outcome == "pass")
    assert (report.page is not None) == gates_passed
    if report.page is not None:
        assert isinstance(report.page, Image.Image) and report.page.mode == "L"


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    corpus = valid_documents()
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "overwrite", "truncate", "splice", "insert", "delete"]))
        if not data:
            break
        # Past the signature (the other tests cover files without one), so the parsers are reached.
        at = draw(st.integers(min(_SIGNATURE_LENGTH, len(data) - 1), len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice":
            donor = draw(st.sampled_from(corpus))
            start = draw(st.integers(0, len(donor) - 1))
            data[at:] = donor[start : start + draw(st.integers(1, 4096))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert_well_formed(inspect_document(data, LIMITS))


@FUZZ
@given(st.sampled_from(SIGNATURES), st.binary(max_size=4096))
def test_random_bytes_behind_a_real_signature_never_raise(signature: bytes, body: bytes) -> None:
    assert_well_formed(inspect_document(signature + body, LIMITS))


@FUZZ
@given(damaged())
def test_damaged_valid_documents_never_raise(data: bytes) -> None:
    report = inspect_document(data, LIMITS)
    assert_well_formed(report)
    last = report.findings[-1]
    event(f"last rule {last.rule}: {last.code or 'pass'}")  # --hypothesis-show-statistics shows the spread


@pytest.mark.parametrize("index", range(len(valid_documents())))
def test_the_fuzz_corpus_is_valid(index: int) -> None:
    # The mutations start from documents that pass the gates.
    report = inspect_document(valid_documents()[index], LIMITS)
    assert [finding.outcome for finding in report.findings[:3]] == ["pass"] * 3


# --- random object graphs -----------------------------------------------------------------------

# Names and keys that make nothing happen by themselves (the active ones are left out).
HARMLESS_NAMES = [
    "/GoTo",
    "/URI",
    "/Named",
    "/GoToR",
    "/P",
    "/S",
    "/Off",
    "/Yes",
    "/Transparency",
    "/D",
    "/Link",
    "/Widget",
    "/Annot",
    "/Action",
    "/StructElem",
    "/Luminosity",
    "/Frobnicate",
]
KEYS = ["/S", "/A", "/Next", "/PA", "/AP", "/N", "/D", "/Type", "/Subtype", "/K", "/P", "/BS", "/Names", "/Kids", "/F"]
FIRST_EXTRA = 6  # raw_pdf_bytes numbers the objects it is given from 6
ACTIONS_THAT_RUN_SOMETHING = [
    "<< /S /Launch /F (cmd.exe) >>",
    "<< /S /JavaScript /JS (app.alert(1)) >>",
    "<< /S /SubmitForm /F (https://example.org/collect) >>",
    "<< /S /ImportData /F (data.fdf) >>",
]

Graph = list[dict[str, str] | documents.RawStream | str]  # entries, a stream, or ready syntax


def pdf_value(objects: int) -> st.SearchStrategy[str]:
    """A direct object in PDF syntax; references go to the extra objects or to missing ones."""
    references = st.integers(FIRST_EXTRA, FIRST_EXTRA + objects + 1).map(lambda number: f"{number} 0 R")
    leaves = st.one_of(
        st.sampled_from(HARMLESS_NAMES),
        st.integers(-(10**6), 10**6).map(str),
        st.sampled_from(["true", "false", "null", "(text)", "<414243>", "1.5", "()"]),
        references,
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(lambda items: "[" + " ".join(items) + "]"),
            st.dictionaries(st.sampled_from(KEYS), children, max_size=4).map(dictionary_syntax),
        ),
        max_leaves=12,
    )


def dictionary_syntax(entries: dict[str, str]) -> str:
    return "<< " + " ".join(f"{key} {value}" for key, value in entries.items()) + " >>"


@st.composite
def harmless_graphs(draw: st.DrawFn) -> Graph:
    """A few objects, at least the first a dictionary, whose entries point at one another."""
    count = draw(st.integers(1, 6))
    entries = st.dictionaries(st.sampled_from(KEYS), pdf_value(count), max_size=5)
    graph: Graph = [draw(entries)]
    for _ in range(count - 1):
        if draw(st.booleans()):
            graph.append(draw(entries))
        else:
            stream_entries = " ".join(f"{key} {value}" for key, value in draw(entries).items())
            graph.append(documents.RawStream(stream_entries.encode(), draw(st.binary(max_size=32))))
    return graph


def graph_pdf(graph: Graph, open_action: str | None = None) -> bytes:
    """The certificate, its catalog reaching every object of the graph (and maybe an /OpenAction)."""
    reach = " ".join(f"/O{number} {number} 0 R" for number in range(FIRST_EXTRA, FIRST_EXTRA + len(graph)))
    catalog = f"/PieceInfo << {reach} >>" + (f" /OpenAction {open_action}" if open_action else "")
    bodies = [_object_body(item) for item in graph]
    return documents.raw_pdf_bytes(catalog.encode(), objects=bodies)


def _object_body(item: dict[str, str] | documents.RawStream | str) -> bytes | documents.RawStream:
    if isinstance(item, dict):
        return dictionary_syntax(item).encode()
    return item.encode() if isinstance(item, str) else item


@FUZZ
@given(harmless_graphs(), st.one_of(st.none(), pdf_value(6)))
def test_a_sound_pdf_with_a_harmless_object_graph_is_accepted(graph: Graph, open_action: str | None) -> None:
    report = inspect_document(graph_pdf(graph, open_action), LIMITS)
    assert [(finding.rule, finding.code) for finding in report.findings] == [(rule, None) for rule in ORDER]


@FUZZ
@given(harmless_graphs(), st.data())
def test_an_action_that_runs_something_is_found_wherever_an_action_belongs(graph: Graph, data: st.DataObject) -> None:
    graph = [dict(item) if isinstance(item, dict) else item for item in graph]
    action = data.draw(st.sampled_from(ACTIONS_THAT_RUN_SOMETHING), label="action")
    position = data.draw(st.sampled_from(["/A", "/Next", "/Next array", "/PA", "/AA", "typed"]), label="position")
    if position == "typed":
        action = action.replace("<<", "<< /Type /Action", 1)
    if data.draw(st.booleans(), label="an object of its own"):
        graph.append(action)
        action = f"{FIRST_EXTRA + len(graph) - 1} 0 R"
    host = data.draw(st.sampled_from([item for item in graph if isinstance(item, dict)]), label="host")
    match position:
        case "/Next array":
            host["/Next"] = f"[<< /S /GoTo /D [3 0 R /Fit] >> {action}]"
        case "/AA":
            host["/AA"] = f"<< /O {action} >>"
        case "typed":
            host["/Frobnicate"] = action  # under a key that says nothing: its /Type says it is an action
        case _:
            host[position] = action

    report = inspect_document(graph_pdf(graph), LIMITS)

    assert [(finding.rule, finding.code) for finding in report.findings] == [
        ("file.size", None),
        ("file.type", None),
        ("file.parse", "file.pdf_active_content"),
    ]
