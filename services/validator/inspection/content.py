"""Readable content of a certificate: does it show the practitioner's name, the issuer and the date?

The text comes from the PDF's text layer or from Tesseract OCR of the page. Matching is tolerant
(OCR errors, Arabic spelling variants, order of name parts, many date formats) and every outcome is
a *finding for the reviewer*: a miss is a "warn", never a refusal, and nothing here raises.
Plain Python plus Tesseract (the tesserocr binding); no Kafka, no MongoDB.
"""

import itertools
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from rapidfuzz import fuzz, process

from mumaris.errors import localized
from schemas.events import CpdActivity, Finding
from services.validator.inspection import names as sounds

log = logging.getLogger(__name__)

NAME_RULE = "content.name"
ISSUER_RULE = "content.issuer"
DATE_RULE = "content.date"
OCR_RULE = "content.ocr"
CPD_ACCREDITATION_RULE = "content.cpd_accreditation"
CPD_HOURS_RULE = "content.cpd_hours"

MAX_EVIDENCE_CHARS = 120


class OcrUnavailable(RuntimeError):
    """OCR could not run (no binding, a missing language pack, a timeout, a failure). The caller
    records a finding instead of failing the submission."""


# --- OCR ---------------------------------------------------------------------------------------

# Tesseract (through tesserocr, its models loaded once per process) reads the page the clarity
# rules measured: the working scale (shorter side 850 px, about A4 at 100 dpi). Measured on generated
# certificates (tests/benchmarks/validator_ocr.py), it finds the name, issuer and date there at least
# as often as on the full-resolution upload (all three on 73 % of the pages against 69 %) for a
# quarter of the CPU, and more often than on the page enlarged to 1600 px as the validator used to
# (67 %). Pages under 750 px are enlarged to 850 (at 75-85 dpi, all three found on 90 % of the pages
# instead of 85 %; a 100 dpi page enlarged by 3 % lost one), larger ones shrunk to 3600 px on the
# long side because OCR time grows with the pixel count while accuracy does not.
_ENLARGED_BELOW_PX = 750
_MIN_SHORT_SIDE_PX = 850
_MAX_LONG_SIDE_PX = 3600
_MAX_UPSCALE = 3.0
_LANGUAGES_PATTERN = re.compile(r"[A-Za-z_]+(?:\+[A-Za-z_]+)*")
# Debian's tesseract-ocr-* packages (5.x, then 4.x), then other usual places; TESSDATA_PREFIX first.
_TESSDATA_DIRECTORIES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
# Tesseract's own parameters (process-wide in Tesseract). Its noise filter drops whole text rows it
# takes for speckle: on generated certificates Tesseract 5.5 dropped bold name and issuer lines
# (name found on 85 % of pages with it, 98 % without, for 4 % more time).
_TESSERACT_VARIABLES = {"textord_noise_rejrows": "0"}


def ocr_text(page: Image.Image, *, languages: str = "ara+eng", timeout_s: float = 20.0) -> str:
    """The text Tesseract reads on `page`.

    Raises `OcrUnavailable` when the binding or one of the language packs is missing, when OCR
    takes longer than `timeout_s` (Tesseract stops) or when Tesseract fails.
    """
    if not _LANGUAGES_PATTERN.fullmatch(languages):
        raise ValueError(f"not a Tesseract language list: {languages!r}")
    reader = _reader(languages)
    image = _page_for_ocr(page)
    started = time.monotonic()
    try:
        reader.SetImage(image)
        finished = reader.Recognize(timeout=max(1, round(timeout_s * 1000)))
    except RuntimeError as error:
        raise OcrUnavailable(f"tesseract failed: {error}") from error
    if not finished:
        if time.monotonic() - started >= timeout_s:
            raise OcrUnavailable(f"OCR took longer than {timeout_s:g} s")
        raise OcrUnavailable("tesseract could not read the page")
    text: str = reader.GetUTF8Text()
    return text


def prepare_ocr(languages: str) -> None:
    """Load Tesseract's models for `languages` now (in a worker as it starts), not on the first page."""
    try:
        _reader(languages)
    except (OcrUnavailable, ValueError) as error:
        log.warning("OCR will not run in this process: %s", error)


_readers = threading.local()  # a Tesseract API serves one thread at a time


def _reader(languages: str) -> Any:
    """This thread's Tesseract for `languages`, created (models loaded) on first use."""
    readers: dict[str, Any] = _readers.__dict__.setdefault("by_languages", {})
    if languages not in readers:
        readers[languages] = _new_reader(languages)
    return readers[languages]


def _new_reader(languages: str) -> Any:
    # One thread per worker (OCR runs in as many processes as there are cores): Tesseract's OpenMP
    # threads spin while waiting, which on a small machine made a page ~5x slower. tesserocr's wheel
    # is built without OpenMP; this keeps a build with it to one thread too. Read when the library
    # loads, so it is set before the import.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        import tesserocr
    except ImportError as error:
        raise OcrUnavailable(f"the Tesseract binding (tesserocr) is not installed: {error}") from error
    tessdata = tessdata_directory()
    if tessdata is None:
        raise OcrUnavailable("no Tesseract language data (tessdata) found; install tesseract-ocr-ara and -eng")
    _, available = tesserocr.get_languages(tessdata)
    # Tesseract carries on with the languages it could load, which would quietly make an Arabic
    # certificate unreadable: a missing pack is a set-up problem to report.
    missing = [language for language in languages.split("+") if language not in available]
    if missing:
        raise OcrUnavailable(f"tesseract language pack missing: {', '.join(missing)}")
    try:
        return tesserocr.PyTessBaseAPI(
            path=tessdata, lang=languages, psm=tesserocr.PSM.AUTO, variables=_TESSERACT_VARIABLES
        )
    except RuntimeError as error:
        raise OcrUnavailable(f"tesseract could not load {languages} from {tessdata}: {error}") from error


def tessdata_directory() -> str | None:
    """Where Tesseract's language data is: $TESSDATA_PREFIX, else the first usual place that exists
    (the binding's wheel brings the engine, Debian's packages the models)."""
    candidates = [os.environ["TESSDATA_PREFIX"]] if os.environ.get("TESSDATA_PREFIX") else []
    for directory in [*candidates, *_TESSDATA_DIRECTORIES]:
        if Path(directory).is_dir():
            return directory.rstrip("/") + "/"
    return None


def _page_for_ocr(page: Image.Image) -> Image.Image:
    """The page upright, greyscale on white, at a size Tesseract reads well."""
    image = ImageOps.exif_transpose(page)
    image = _greyscale_on_white(image)
    return _resized_for_ocr(image)


def _greyscale_on_white(image: Image.Image) -> Image.Image:
    # Transparent pixels usually hold black: dropping the alpha channel would make the paper black.
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image if image.mode == "L" else image.convert("L")


def _resized_for_ocr(image: Image.Image) -> Image.Image:
    if min(image.size) < _ENLARGED_BELOW_PX:
        factor = min(_MIN_SHORT_SIDE_PX / min(image.size), _MAX_UPSCALE, _MAX_LONG_SIDE_PX / max(image.size))
    elif max(image.size) > _MAX_LONG_SIDE_PX:
        factor = _MAX_LONG_SIDE_PX / max(image.size)
    else:
        return image
    if factor == 1:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    # reducing_gap first shrinks by an integer factor (fast), then filters: seconds saved on a 600 dpi
    # page for a difference OCR does not see.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=None if factor > 1 else 2.0)


# --- normalization ----------------------------------------------------------------------------

_TATWEEL = "\u0640"
# Letters written several ways in Arabic (and by OCR): one spelling each. Hamza carriers (أ إ آ ؤ ئ)
# need no entry: decomposition splits off their hamza/madda mark, which is then dropped.
_LETTER_VARIANTS = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06cc": "\u064a",  # Farsi yeh -> Arabic yeh (Tesseract's ara model emits both)
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u06d5": "\u0647",  # ae -> heh (what heh-with-yeh-above leaves after decomposition)
    }
)


def normalize(text: str) -> str:
    """Text reduced to what matters for tolerant matching: lower-case letters and ASCII digits in
    words separated by single spaces.

    Compatibility forms are unified (NFKC: Arabic presentation forms, ligatures, full-width
    letters), case is folded, Arabic-Indic and Persian digits become ASCII, diacritics are dropped
    (Arabic harakat, tatweel, Latin accents), Arabic letter variants are unified (أ إ آ ٱ -> ا,
    ى -> ي, ة -> ه, ؤ -> و, ئ -> ي), punctuation becomes a space, and a run of digits is split
    from letters it touches ("2025م" -> "2025 م", "14th" -> "14 th").
    """
    return _normalize_with_origins(text)[0]


def _normalize_with_origins(text: str) -> tuple[str, list[int]]:
    """`normalize(text)` and, for each of its characters, the index in `text` it came from (so a
    match in the normalized text can be shown to the reviewer as it is written)."""
    characters: list[str] = []
    origins: list[int] = []
    separated = False
    previous_is_digit = False
    for index, character in enumerate(text):
        for folded in _fold(character):
            if folded == " ":
                separated = True
                continue
            is_digit = folded.isdigit()
            if characters and (separated or is_digit != previous_is_digit):
                characters.append(" ")
                origins.append(index)
            characters.append(folded)
            origins.append(index)
            separated = False
            previous_is_digit = is_digit
    return "".join(characters), origins


@lru_cache(maxsize=4096)
def _fold(character: str) -> str:
    """One source character as normalized characters: letters, ASCII digits, or " " for a
    separator, or nothing for a mark that carries no meaning for matching."""
    folded: list[str] = []
    for part in unicodedata.normalize("NFKD", character.casefold()):
        category = unicodedata.category(part)
        if category in ("Mn", "Me", "Cf") or part == _TATWEEL:
            continue  # diacritics, hamza/madda marks, bidi controls (Tesseract emits RLM/LRM)
        digit = unicodedata.decimal(part, None)
        if digit is not None:
            folded.append(str(digit))
        elif part.isalnum():
            folded.append(part.translate(_LETTER_VARIANTS))
        else:
            folded.append(" ")
    return "".join(folded)


@dataclass(frozen=True)
class _Token:
    text: str
    start: int  # offsets in the normalized text
    end: int


class _ReadableText:
    """A text normalized once, with its tokens and the way back to the original characters."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.normalized, self._origins = _normalize_with_origins(original)
        self.tokens = [_Token(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", self.normalized)]

    def evidence(self, start: int, end: int) -> str:
        """The original text behind normalized offsets [start, end), on one line, at most
        MAX_EVIDENCE_CHARS characters."""
        snippet = self.original[self._origins[start] : self._origins[end - 1] + 1]
        snippet = " ".join(snippet.split())
        if len(snippet) > MAX_EVIDENCE_CHARS:
            snippet = snippet[: MAX_EVIDENCE_CHARS - 1].rstrip() + "…"
        return snippet


# --- matching words (names and issuers) -------------------------------------------------------


@dataclass(frozen=True)
class _PartMatch:
    similarity: float  # 0..100
    first_token: int
    last_token: int


def _minimum_similarity(part: str) -> float:
    """How close an OCR'd word must be to a declared word (rapidfuzz ratio, 0..100): about one
    OCR slip (a wrong, missing or split letter; "m" read as "rn") per word of five letters or
    more; short words must be exact or miss one letter."""
    if len(part) <= 3:
        return 85.0
    if len(part) == 4:
        return 75.0
    return 70.0


def _similarities(parts: Sequence[str], tokens: Sequence[_Token]) -> list[list[tuple[float, int]]]:
    """For each part and each token position j: the best similarity of the part to token j alone
    or to tokens j and j+1 written together (documents write "Abdul Rahman" / "Abdulrahman",
    "عبد الله" / "عبدالله"), and how many tokens that used."""
    words = [token.text for token in tokens]
    joined = [a + b for a, b in itertools.pairwise(words)]
    single = process.cdist(parts, words, scorer=fuzz.ratio) if words else None
    pairs = process.cdist(parts, joined, scorer=fuzz.ratio) if joined else None
    table: list[list[tuple[float, int]]] = []
    for i in range(len(parts)):
        row: list[tuple[float, int]] = []
        for j in range(len(words)):
            best = (float(single[i][j]), 1) if single is not None else (0.0, 1)
            if pairs is not None and j < len(joined) and pairs[i][j] > best[0]:
                best = (float(pairs[i][j]), 2)
            row.append(best)
        table.append(row)
    return table


_Similarities = Callable[[Sequence[str], Sequence[_Token]], list[list[tuple[float, int]]]]


def _best_window(
    parts: Sequence[str],
    weights: Sequence[float],
    tokens: Sequence[_Token],
    window: int,
    similarities: _Similarities = _similarities,
) -> list[_PartMatch | None]:
    """Where the declared parts appear together: the stretch of at most `window` tokens where the
    parts found (in any order, each on its own token) weigh the most. One entry per part, None
    for a part not found there."""
    if not parts or not tokens:
        return [None] * len(parts)
    table = similarities(parts, tokens)
    thresholds = [_minimum_similarity(part) for part in parts]
    anchors = sorted({j for i, row in enumerate(table) for j, (sim, _) in enumerate(row) if sim >= thresholds[i]})
    best: list[_PartMatch | None] = [None] * len(parts)
    best_weight = 0.0
    for anchor in anchors:  # the best stretch starts on a found part; no other start can do better
        matches = _assign_parts(table, thresholds, range(anchor, min(anchor + window, len(tokens))))
        weight = sum(w * m.similarity for w, m in zip(weights, matches, strict=True) if m is not None)
        if weight > best_weight:
            best, best_weight = matches, weight
    return best


def _assign_parts(
    table: list[list[tuple[float, int]]], thresholds: Sequence[float], positions: range
) -> list[_PartMatch | None]:
    """Each part to its most similar token in `positions`, closest pairs first, no token used twice
    (so "Mohammed Ahmed Mohammed" needs two "Mohammed"s on the page)."""
    candidates = sorted(
        ((table[i][j][0], i, j) for i in range(len(table)) for j in positions if table[i][j][0] >= thresholds[i]),
        reverse=True,
    )
    matches: list[_PartMatch | None] = [None] * len(table)
    used: set[int] = set()
    for similarity, i, j in candidates:
        span = range(j, min(j + table[i][j][1], positions.stop))
        if matches[i] is not None or used.intersection(span):
            continue
        matches[i] = _PartMatch(similarity, span.start, span.stop - 1)
        used.update(span)
    return matches


def _evidence_of(text: _ReadableText, matches: Sequence[_PartMatch | None]) -> str:
    found = [m for m in matches if m is not None]
    first = min(m.first_token for m in found)
    last = max(m.last_token for m in found)
    return text.evidence(text.tokens[first].start, text.tokens[last].end)


def _weighted_score(weights: Sequence[float], matches: Sequence[_PartMatch | None]) -> float:
    """0..1: how much of the declared text was found, and how exactly (missing parts count 0)."""
    total = sum(weights)
    found = sum(w * m.similarity for w, m in zip(weights, matches, strict=True) if m is not None)
    return round(found / total / 100, 3) if total else 0.0


# --- the practitioner's name ------------------------------------------------------------------

# Titles are not part of the name: "Dr. Sara" is declared, "Sara" is printed (or the reverse).
_TITLES = frozenset(
    normalize(
        " ".join(
            (
                "dr doctor prof professor mr mrs ms miss eng sir dame md phd",
                "دكتور الدكتور دكتورة الدكتورة طبيب الطبيب طبيبة الطبيبة أستاذ الأستاذ أستاذة الأستاذة",
                "مهندس المهندس السيد السيدة",
            )
        )
    ).split()
)
# Particles written joined to the next part or apart ("Al-Qahtani", "AlQahtani", "Al Qahtani"):
# glued to it so both spellings meet the joined-token comparison.
_NAME_PARTICLES = frozenset(normalize("al el bin ibn bint abu abd abdul abdel ben بن ابن بنت أبو عبد ال").split())
# The article before a sun letter, written as it sounds: "Ash-Shehri", "Ar-Rashid", "Ad-Dosari".
_ASSIMILATED_ARTICLES = frozenset(
    ["as", "ash", "ad", "ar", "at", "az", "an", "ath", "adh", "es", "esh", "ed", "er", "et", "ez", "en"]
)


def _name_parts(name: str) -> list[str]:
    words = [word for word in normalize(name.replace("'", "").replace("\u2019", "")).split() if word not in _TITLES]
    parts: list[str] = []
    pending = ""
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _NAME_PARTICLES or (word in _ASSIMILATED_ARTICLES and following.startswith(word[1:])):
            pending += word
            continue
        parts.append(pending + word)
        pending = ""
    if pending:
        parts.append(pending)
    # Initials ("Sara A. Qahtani") match any lone letter on a page: they prove nothing.
    return [part for part in parts if len(part) > 1]


def _name_found(found: Sequence[bool]) -> bool:
    """The given name (the first part) and the family name (the last); middle names are often left
    out. Without the given name it is someone else of the family ("Ahmed Al-Qahtani" is the
    father of "Sara Ahmed Al-Qahtani"), without the family name someone of another family with
    the same given and father's names ("Ibrahim Yusuf Al-Enezi" is not "Ibrahim Yusuf Al-Masri")."""
    if len(found) == 1:
        return found[0]
    return found[0] and found[-1]


# A page word is compared by sound only when its consonants come this close to the name part's
# (rapidfuzz ratio, 0..100): a cheap filter before the edit distance of `names.py`.
_SOUND_PREFILTER = 50.0


def _name_similarities(parts: Sequence[str], tokens: Sequence[_Token]) -> list[list[tuple[float, int]]]:
    """`_similarities` (the spelling as written, tolerant of OCR slips), raised where a page word
    (or two written together) *sounds* like the part in either script (`names.word_similarity`):
    "Sara" on the page for a registered "سارة", "Muhammad" for "Mohammed". A sound match counts
    at least as much as the part's spelling threshold, so it is found."""
    table = _similarities(parts, tokens)
    words = [token.text for token in tokens]
    for i, part in enumerate(parts):
        for j, (_, count) in enumerate(table[i]):
            if count == 2 and words[j + 1] in _NAME_PARTICLES:
                # A particle belongs to the word after it: "Nouf Al-Harbi" is not "Noufal" + "Harbi".
                table[i][j] = (float(fuzz.ratio(part, words[j])), 1)
    candidates = [(j, 1, word) for j, word in enumerate(words)]
    candidates += [(j, 2, a + b) for j, (a, b) in enumerate(itertools.pairwise(words)) if b not in _NAME_PARTICLES]
    # "Abd al-Rahman" / "عبد ال رحمن" on the page for a registered "عبدالرحمن": three words as one.
    candidates += [(j, 3, a + b + c) for j, (a, b, c) in enumerate(zip(words, words[1:], words[2:], strict=False))]
    skeletons = [sounds.skeleton(word) for _, _, word in candidates]
    part_skeletons = [sounds.skeleton(part) for part in parts]
    close = process.cdist(part_skeletons, skeletons, scorer=fuzz.ratio) if skeletons else None
    for i, part in enumerate(parts):
        needed, floor = sounds.minimum_similarity(part), _minimum_similarity(part)
        for c, (j, count, word) in enumerate(candidates):
            if close is None or close[i][c] < _SOUND_PREFILTER:
                continue
            sound = sounds.word_similarity(part, word)
            if sound >= needed:
                score = max(floor, round(100 * sound, 1))
                if score > table[i][j][0]:
                    table[i][j] = (score, count)
    return table


@dataclass(frozen=True)
class NameMatch:
    name: str  # the registered name that matched
    score: float
    evidence: str


def find_name(text: str, names: Sequence[str]) -> NameMatch | None:
    """The registered name (of `names`: the Arabic and the Latin one) best found on the page, or None."""
    return _find_name(_ReadableText(text), names)


def _find_name(text: _ReadableText, names: Sequence[str]) -> NameMatch | None:
    best: NameMatch | None = None
    for name in names:
        parts = _name_parts(name)
        weights = [float(len(part)) for part in parts]
        matches = _best_window(parts, weights, text.tokens, len(parts) + 3, _name_similarities)
        if not parts or not _name_found([m is not None for m in matches]):
            continue
        score = _weighted_score(weights, matches)
        if best is None or score > best.score:
            best = NameMatch(name, score, _evidence_of(text, matches))
    return best


def _match_name(text: _ReadableText, names: Sequence[str]) -> Finding:
    found = _find_name(text, [name for name in names if name])
    if found is None:
        return _miss(
            NAME_RULE, "content.name_not_found", "content.name_missing", {"names": len([n for n in names if n])}
        )
    return Finding(
        rule=NAME_RULE,
        outcome="pass",
        score=found.score,
        evidence=found.evidence,
        detail="content.name_found",
        params={"script": "arabic" if sounds.is_arabic(found.name) else "latin"},
    )


# --- the issuer -------------------------------------------------------------------------------

_STOPWORDS = frozenset(
    normalize(
        " ".join(
            (
                "of the for and in at de des du la le les of for und der die das",
                "في من و ل على عن",
            )
        )
    ).split()
)
# Words in almost every institution's name: finding only these does not show it is this issuer
# ("King Fahad Medical City" is not "King Saud University Medical City").
_GENERIC_INSTITUTION_WORDS = frozenset(
    normalize(
        " ".join(
            (
                "university college hospital hospitals medical medicine health healthcare city center centre "
                "institute academy school ministry king saudi arabia kingdom national association society council "
                "commission board faculty international general specialist specialized clinic clinics "
                "sciences science training program programme department",
                "جامعة كلية مستشفى مستشفيات مدينة طبية الطبية طب الطب صحة الصحة الصحية مركز معهد أكاديمية مدرسة وزارة "
                "الملك الملكة المملكة العربية السعودية جمعية مجلس هيئة الهيئة الوطنية الدولية العامة التخصصي "
                "التخصصية عيادة عيادات العلوم علوم تدريب التدريب برنامج قسم",
            )
        )
    ).split()
)
_GENERIC_WEIGHT = 0.25  # a generic word counts a quarter of a distinctive one of the same length
_ISSUER_COVERAGE = 0.6


def _issuer_parts(issuer: str) -> list[str]:
    return [word for word in normalize(issuer).split() if word not in _STOPWORDS and len(word) > 1]


def _is_generic(word: str) -> bool:
    # Arabic attaches the article and prepositions: "للتخصصات", "والصحة" are the same word.
    bare = re.sub(r"^(?:وال|بال|لل|ال|و)(?=..)", "", word)
    return any(form in _GENERIC_INSTITUTION_WORDS for form in (word, bare, "ال" + bare))


def _match_issuer(text: _ReadableText, issuer: str) -> Finding:
    parts = _issuer_parts(issuer)
    generic = [_is_generic(part) for part in parts]
    weights = [
        len(part) * (_GENERIC_WEIGHT if is_generic else 1.0) for part, is_generic in zip(parts, generic, strict=True)
    ]
    matches = _best_window(parts, weights, text.tokens, window=2 * len(parts) + 2)
    found = [m is not None for m in matches]
    coverage = sum(w for w, f in zip(weights, found, strict=True) if f) / sum(weights) if parts else 0.0
    distinctive_found = all(generic) or any(f and not g for f, g in zip(found, generic, strict=True))
    if coverage < _ISSUER_COVERAGE or not distinctive_found:
        return _miss(ISSUER_RULE, "content.issuer_not_found")
    return Finding(
        rule=ISSUER_RULE, outcome="pass", score=_weighted_score(weights, matches), evidence=_evidence_of(text, matches)
    )


# --- the declared date ------------------------------------------------------------------------

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "janvier", "يناير", "كانون الثاني"),
    2: ("february", "feb", "fevrier", "فبراير", "شباط"),
    3: ("march", "mar", "mars", "مارس", "آذار"),
    4: ("april", "apr", "avril", "أبريل", "إبريل", "ابريل", "نيسان"),
    5: ("may", "mai", "مايو", "أيار"),
    6: ("june", "jun", "juin", "يونيو", "يونيه", "حزيران"),
    7: ("july", "jul", "juillet", "يوليو", "يوليه", "تموز"),
    8: ("august", "aug", "aout", "أغسطس", "اغسطس", "آب"),
    9: ("september", "sep", "sept", "septembre", "سبتمبر", "أيلول"),
    10: ("october", "oct", "octobre", "أكتوبر", "اكتوبر", "تشرين الأول"),
    11: ("november", "nov", "novembre", "نوفمبر", "تشرين الثاني"),
    12: ("december", "dec", "decembre", "ديسمبر", "كانون الأول"),
}
_FULL_DATE_SCORE = 1.0
_TWO_DIGIT_YEAR_SCORE = 0.9
_MONTH_AND_YEAR_SCORE = 0.6  # the document states only the month: a weaker confirmation


def _date_patterns(day_: date) -> list[tuple[float, str]]:
    """Regular expressions over *normalized* text (so "/", "-", "." and "," are already spaces and
    digits are ASCII), strongest first."""
    day = rf"0?{day_.day}(?: (?:st|nd|rd|th))?"
    month_number = rf"0?{day_.month}"
    month_name = "(?:" + "|".join(re.escape(normalize(n)) for n in _MONTH_NAMES[day_.month]) + ")"
    year = str(day_.year)
    short_year = f"{day_.year % 100:02d}"
    of = "(?: (?:of|من))?"  # "14th of March", "14 من مارس"
    full = [
        rf"{year} {month_number} {day}",  # ISO 2025-03-14
        rf"{day} {month_number} {year}",  # 14/03/2025, 14-03-2025, 14.03.2025
        rf"{day}{of} {month_name} {year}",  # 14 March 2025, 14 مارس 2025
        rf"{month_name} {day} {year}",  # March 14, 2025
    ]
    # 03/14/2025 is read month-first only when it cannot be a day-first date; 05/03/2025 is
    # 5 March here, so it never confirms a declared 3 May.
    if day_.day > 12:
        full.append(rf"{month_number} {day} {year}")
    short = [rf"{day} {month_number} {short_year}", rf"{day}{of} {month_name} {short_year}"]
    return [(_FULL_DATE_SCORE, p) for p in full] + [(_TWO_DIGIT_YEAR_SCORE, p) for p in short]


def _month_year_patterns(day_: date) -> list[str]:
    month_name = "(?:" + "|".join(re.escape(normalize(n)) for n in _MONTH_NAMES[day_.month]) + ")"
    return [rf"{month_name} {day_.year}", rf"0?{day_.month} {day_.year}", rf"{day_.year} 0?{day_.month}"]


def _word_bounded(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\S){pattern}(?!\S)")


def _match_date(text: _ReadableText, declared: date) -> Finding:
    for score, pattern in _date_patterns(declared):
        found = _word_bounded(pattern).search(text.normalized)
        if found:
            return Finding(
                rule=DATE_RULE,
                outcome="pass",
                score=score,
                evidence=text.evidence(*found.span()),
                detail="content.date_found",
                params={"precision": "day" if score == _FULL_DATE_SCORE else "short_year"},
            )
    for pattern in _month_year_patterns(declared):
        for found in _word_bounded(pattern).finditer(text.normalized):
            if not _part_of_another_date(text.normalized, found.start(), found.end()):
                return Finding(
                    rule=DATE_RULE,
                    outcome="pass",
                    score=_MONTH_AND_YEAR_SCORE,
                    evidence=text.evidence(*found.span()),
                    detail="content.date_found",
                    params={"precision": "month"},
                )
    return _miss(DATE_RULE, "content.date_not_found")


def _part_of_another_date(normalized: str, start: int, end: int) -> bool:
    """ "March 2025" inside "15 March 2025" (or "2025 03" inside "2025-03-15") is a different day,
    not a month-only statement of the declared one."""
    before = normalized[:start].split()[-2:]
    after = normalized[end:].split()[:1]
    if before and before[-1] in ("of", "من", "st", "nd", "rd", "th"):  # "15th of", "15 th"
        return True
    return _is_day_number(before[-1:]) or _is_day_number(after)


def _is_day_number(words: list[str]) -> bool:
    return bool(words) and words[0].isdigit() and len(words[0]) <= 2


# --- findings ---------------------------------------------------------------------------------


def _miss(
    rule: str, code: str, detail: str | None = None, params: dict[str, str | int | float] | None = None
) -> Finding:
    return Finding(rule=rule, outcome="warn", code=code, message=localized(code), detail=detail, params=params or {})


# --- a CPD certificate: its accreditation number and hours --------------------------------------

# Words that say a number is a count of hours (or of CME/CPD credits, which the commission counts as hours).
_HOUR_WORDS = "(?:hour|hours|hr|hrs|h|ساعه|ساعات|ساعتان|ساعتين|cme|cpd|credit|credits|نقاط|نقطه)"


def _match_accreditation(text: _ReadableText, number: str) -> Finding:
    """The declared accreditation number, as written (case, dashes and slashes aside)."""
    found = _word_bounded(re.escape(normalize(number))).search(text.normalized)
    if found:
        return Finding(rule=CPD_ACCREDITATION_RULE, outcome="pass", score=1.0, evidence=text.evidence(*found.span()))
    return _miss(CPD_ACCREDITATION_RULE, "content.cpd_accreditation_not_found")


def _hours_patterns(hours: Decimal) -> list[str]:
    whole, fraction = f"{hours.normalize():f}".partition(".")[::2]
    number = re.escape(whole) if not fraction else rf"{re.escape(whole)} {re.escape(fraction)}0?"
    if not fraction:
        number += "(?: 0+)?"  # "20.0", "20,00"
    return [rf"{number} {_HOUR_WORDS}", rf"{_HOUR_WORDS} {number}"]


def _match_hours(text: _ReadableText, hours: Decimal) -> Finding:
    """The declared hours beside a word for hours or credits ("6.5 hours", "ساعات 6", "20 CME")."""
    for pattern in _hours_patterns(hours):
        found = _word_bounded(pattern).search(text.normalized)
        if found:
            return Finding(rule=CPD_HOURS_RULE, outcome="pass", score=1.0, evidence=text.evidence(*found.span()))
    return _miss(CPD_HOURS_RULE, "content.cpd_hours_not_found")


def match_content(
    text: str,
    *,
    name: str,
    issuer: str,
    obtained_on: date,
    other_names: Sequence[str] = (),
    cpd: CpdActivity | None = None,
    hours_claimed: Decimal | None = None,
) -> list[Finding]:
    """Three findings for the reviewer — content.name, content.issuer, content.date — each a
    "pass" with a score (0..1) and the matching text as evidence, or a "warn" with its code.
    The name is looked for as `name` and as each of `other_names` (the practitioner's name in the
    other script), by spelling and by sound. For a CPD certificate two more: its accreditation
    number and its hours; for a request to recognise CPD hours earned abroad (`hours_claimed`),
    the hours (an activity abroad has no accreditation number of ours)."""
    readable = _ReadableText(text)
    found = [
        _match_name(readable, [name, *other_names]),
        _match_issuer(readable, issuer),
        _match_date(readable, obtained_on),
    ]
    if cpd is not None:
        found += [_match_accreditation(readable, cpd.accreditation_number), _match_hours(readable, cpd.hours)]
    if hours_claimed is not None:
        found.append(_match_hours(readable, hours_claimed))
    return found


# A text layer or an OCR result with less than this is a blank page, a page number or noise.
_MIN_READABLE_CHARACTERS = 16


def _is_readable(text: str) -> bool:
    return sum(not c.isspace() for c in normalize(text)) >= _MIN_READABLE_CHARACTERS


def content_findings(
    page: Image.Image | None,
    text_layer: str | None,
    *,
    name: str,
    issuer: str,
    obtained_on: date,
    other_names: Sequence[str] = (),
    languages: str = "ara+eng",
    timeout_s: float = 20.0,
    ocr_enabled: bool = True,
    ocr_off_because: str = "OCR is turned off",
    cpd: CpdActivity | None = None,
    hours_claimed: Decimal | None = None,
) -> list[Finding]:
    """What the reviewer should know about the document's content; never raises.

    The PDF's text layer is read first. What it does not show is looked for again in the OCR of
    the page (a scanned certificate inside a PDF often has a text layer with only a header or a
    stamp). With no readable text at all, one "content.ocr" warning says the content could not be
    checked, with the reason as evidence.
    """

    def findings_in(text: str | None) -> list[Finding] | None:
        if text is None or not _is_readable(text):
            return None
        return match_content(
            text,
            name=name,
            issuer=issuer,
            obtained_on=obtained_on,
            other_names=other_names,
            cpd=cpd,
            hours_claimed=hours_claimed,
        )

    from_layer = findings_in(text_layer)
    if from_layer is not None and all(finding.outcome == "pass" for finding in from_layer):
        return from_layer
    ocr, reason = _try_ocr(
        page, languages=languages, timeout_s=timeout_s, ocr_enabled=ocr_enabled, ocr_off_because=ocr_off_because
    )
    from_ocr = findings_in(ocr)
    if from_layer is None and from_ocr is None:
        return [_unreadable(reason or "no readable text on the page")]
    if from_layer is None or from_ocr is None:
        return from_layer or from_ocr or []
    return [layer if layer.outcome == "pass" else seen for layer, seen in zip(from_layer, from_ocr, strict=True)]


def _try_ocr(
    page: Image.Image | None, *, languages: str, timeout_s: float, ocr_enabled: bool, ocr_off_because: str
) -> tuple[str | None, str | None]:
    """The OCR text, or None and why not."""
    if page is None:
        return None, "no page image to read"
    if not ocr_enabled:
        return None, ocr_off_because
    try:
        return ocr_text(page, languages=languages, timeout_s=timeout_s), None
    except (OcrUnavailable, ValueError) as error:
        log.warning("content check without OCR: %s", error)
        return None, str(error)
    except Exception as error:  # a reviewer's hint must never cost a submission
        log.exception("OCR failed unexpectedly")
        return None, f"OCR failed: {type(error).__name__}"


# Why the page could not be read, as a detail code of schemas/findings.py.
_UNREADABLE_BECAUSE = {
    "OCR is turned off": "content.ocr_off",
    "OCR stopped: the process reading this page ended": "content.ocr_stopped",
    "no page image to read": "content.no_page",
    "no readable text on the page": "content.no_text",
}


def _unreadable(reason: str) -> Finding:
    code = "content.unreadable"
    evidence = reason[:MAX_EVIDENCE_CHARS]
    detail = _UNREADABLE_BECAUSE.get(reason, "content.ocr_failed")
    return Finding(
        rule=OCR_RULE,
        outcome="warn",
        code=code,
        message=localized(code),
        evidence=evidence,
        detail=detail,
        params={} if detail in _UNREADABLE_BECAUSE.values() else {"reason": evidence},
    )
