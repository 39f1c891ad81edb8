"""Are two written names the same name, across Arabic and Latin letters and their usual spellings?

A practitioner registered as "سارة الحربي" holds a certificate reading "Sara Al-Harbi"; another
registered as "Mohammed Al-Otaibi" holds one reading "Muhammad Alotaibi" or "محمد العتيبي". Each
word of a name (already `content.normalize`d: hamza forms, ى/ي, ة/ه unified, case folded) becomes
a *sound key* in one small alphabet shared by both scripts, and two keys are compared by an edit
distance whose costs know what transliteration does:

- consonants are letters (خ/kh -> "K", ش/sh -> "S", غ/gh -> "G", ث/th -> "t", ذ/dh -> "d" ...);
  a doubled letter counts once (Mohammed, Hassan, shadda);
- Arabic writes long vowels only (ا -> "A", و -> "U", ي -> "I" inside a word) and an initial alef
  whose vowel it leaves open ("*": Ibrahim, Omar, Ahmed); Latin writes every vowel: a word's first
  one as a full sound ("ä", "ë", "ï", "ü": Ahmed is not Hamad), the single ones after it ("a", "e"
  for fatha or kasra, "i", "o"/"u" -> "u") as short and cheap to add or drop, the doubled ones
  (aa, ee, ei, ai, ou, oo, au) as long, which an Arabic spelling must also show (Hussein is not حسن);
- ع and ء are "'": Latin writes them as a vowel or not at all (Omar, Saad, Sa'ad), an initial ع
  with its long vowel as one vowel or two (Issa, Eisa);
- a final ة / ه / -ah / -a / -eh ("E") is the feminine ending either way, a final ى / ي ("Y") an a
  or an i; Abd al-/Abdul/Abdel/Abd El and Al-/El-/Al /Ash-Sh.. (the article) are parts of a word
  that may or may not be written, and what follows Abd is what tells two compound names apart.

`word_similarity` is 1 - cost / weight of the heavier key (0..1), at its best over those
variants; `minimum_similarity` says how close is close enough for a word of that many consonants.
No I/O; the validator's OCR name finding (`content.py`) calls them for every registered name
against the words of the page.
"""

import re
from functools import lru_cache

# --- sound keys ---------------------------------------------------------------------------------

SHORT_VOWELS = frozenset("aeiu")  # "e": fatha or kasra (Mohammed, Kassem)
LONG_VOWELS = frozenset("AIU")
ANY_VOWEL = "*"  # an initial alef (hamza): Arabic leaves its vowel unwritten
INITIAL_VOWELS = {"a": "ä", "e": "ë", "i": "ï", "o": "ü", "u": "ü"}  # Latin: a word-initial vowel, a full sound
GLOTTAL = "'"  # ع, ء
VOWELS = SHORT_VOWELS | LONG_VOWELS | {ANY_VOWEL, *INITIAL_VOWELS.values()}
ENDING_VOWELS = VOWELS | {"E", "Y"}  # "E": a final ة / -a / -ah; "Y": a final ى / ي

_ARABIC = {
    "ا": "A",
    "ب": "b",
    "ت": "t",
    "ث": "t",
    "ج": "j",
    "ح": "h",
    "خ": "K",
    "د": "d",
    "ذ": "d",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "S",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": GLOTTAL,
    "غ": "G",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "U",
    "ي": "I",
    "ء": GLOTTAL,
    "پ": "b",
    "چ": "j",
    "گ": "g",
    "ڤ": "f",
}
_LATIN_DIGRAPHS = (
    ("kh", "K"),
    ("gh", "G"),
    ("sh", "S"),
    ("ch", "S"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("ck", "k"),
    ("aa", "A"),
    ("ee", "I"),
    ("ei", "I"),
    ("ai", "I"),
    ("ie", "I"),
    ("ey", "I"),
    ("ay", "I"),
    ("ou", "U"),
    ("au", "U"),  # a + ع + u: Saud is سعود
    ("oo", "U"),
    ("ow", "U"),
    ("oa", "U"),
    ("uu", "U"),
)
_LATIN = {
    "a": "a",
    "e": "e",
    "i": "i",
    "o": "u",
    "u": "u",
    "b": "b",
    "p": "b",
    "c": "k",
    "d": "d",
    "f": "f",
    "v": "f",
    "g": "g",
    "h": "h",
    "j": "j",
    "k": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "q": "q",
    "r": "r",
    "s": "s",
    "t": "t",
    "w": "w",
    "x": "ks",
    "y": "y",
    "z": "z",
}
_ARABIC_LETTERS = re.compile(r"[\u0621-\u064a\u0671-\u06d3]")


def is_arabic(word: str) -> bool:
    return bool(_ARABIC_LETTERS.search(word))


def _collapse(symbols: list[str]) -> str:
    """Doubled letters count once ("mm", "ss"); a short vowel beside its own long one is the long one."""
    out: list[str] = []
    for symbol in symbols:
        if out and out[-1] == symbol:
            continue
        if out and symbol in LONG_VOWELS and out[-1] == symbol.lower():
            out[-1] = symbol
            continue
        if out and out[-1] in LONG_VOWELS and symbol == out[-1].lower():
            continue
        out.append(symbol)
    return "".join(out)


def _arabic_key(word: str) -> str:
    symbols: list[str] = []
    for index, letter in enumerate(word):
        symbol = _ARABIC.get(letter)
        if symbol is None:
            continue
        if index == 0 and symbol == "A":
            symbol = ANY_VOWEL
        elif index == 0 and symbol in ("U", "I"):
            symbol = "w" if symbol == "U" else "y"  # a word-initial و / ي is a consonant
        symbols.append(symbol)
    for index in range(len(symbols) - 1, 0, -1):
        if symbols[index - 1] == "A" and symbols[index] == "I":
            del symbols[index - 1]  # ائ / اي inside a word: a diphthong (Naif, Fayez)
    if len(symbols) > 2 and symbols[-1] == GLOTTAL and symbols[-2] == "A":
        symbols.pop()  # the hamza of -اء is seldom written in Latin letters: Alaa, Asmaa, Hana
    if len(symbols) > 2 and symbols[-1] == "h":
        symbols[-1] = "E"  # ة (normalized to ه) or a final ه: the ending, see _FINAL_AS
    elif len(symbols) > 1 and symbols[-1] == "I":
        symbols[-1] = "Y"  # ى (normalized to ي: Huda, Mona, Mustafa) or ي (Ali, Harbi)
    return _collapse(symbols)


_ASSIMILATED_ARTICLE = re.compile(r"^[ae](sh|th|dh|[tdrzsn])(?=\1)")


def _latin_key(word: str) -> str:
    # Ash-Shehri, Ar-Rashid, Ad-Dosari: the article before a sun letter, written as it sounds.
    word = _ASSIMILATED_ARTICLE.sub("al", word.replace("'", ""))
    symbols: list[str] = []
    i = 0
    while i < len(word):
        pair = word[i : i + 2]
        # A word-initial vowel stays its own sound: "Ayman", "Aisha" start with a vowel.
        digraph = next((s for d, s in _LATIN_DIGRAPHS if d == pair), None) if i > 0 or pair[:1] not in "aeiou" else None
        if digraph is not None and not (pair in ("ey", "ow") and word[i + 2 : i + 3] in tuple("aeiou")):
            symbols.append(digraph)
            i += 2
            continue
        letter = word[i]
        symbol = INITIAL_VOWELS[letter] if i == 0 and letter in INITIAL_VOWELS else _LATIN.get(letter, "")
        if letter == "y" and i > 0 and (i + 1 >= len(word) or word[i + 1] not in "aeiou"):
            symbol = "i"  # a vowel y: "Fayrouz", "Rashidy"
        symbols.extend(symbol)
        i += 1
    if len(symbols) > 2 and symbols[-1] == "h" and symbols[-2] in SHORT_VOWELS:
        symbols[-2:] = ["E"]  # -ah / -eh
    elif len(symbols) > 2 and symbols[-1] in ("a", "e"):
        symbols[-1] = "E"  # -a / -e
    return _collapse(symbols)


@lru_cache(maxsize=65536)
def sound_key(word: str) -> str:
    """The word's sound key (see the module docstring); "" for a word with no letters."""
    return _arabic_key(word) if is_arabic(word) else _latin_key(word)


def skeleton(word: str) -> str:
    """The consonants of the word's sound key: a cheap first filter before `word_similarity`."""
    return "".join(symbol for symbol in sound_key(word) if symbol not in ENDING_VOWELS and symbol != GLOTTAL)


# The ending "E" (ة, ه, -ah, -a, -eh, -e) either is a vowel a (Fatima, فاطمة) or, in Latin -ah/-eh,
# the consonant h (Saleh صالح, Falah فلاح); final ه may be Allah's (Abdullah, عبدالله).
_FINAL_AS = ("A", "h")

# --- parts of words that may or may not be written ------------------------------------------


def _without_article(key: str) -> str | None:
    """The key without a leading article (ال, Al-, El-, and the sun-letter forms Ash-Sh.., Ar-R..):
    None when it has none, or too little would be left."""
    if len(key) > 4 and key[0] in (ANY_VOWEL, "ä") and key[1] == "l":
        return key[2:]
    return None


_ABD = re.compile(r"^[*ä']?bd(?:[aeiuA*]?l|[aeiu](?=[tdrzsSn]))?")


def _after_abd(key: str) -> str | None:
    """What follows Abd-/Abdul-/Abdel-/Abd al-/عبد(ال): the distinctive part of a compound name
    (Abdulrahman and Abdulrahim are two names). None for a key that does not start so."""
    match = _ABD.match(key)
    if match is None or len(key) - match.end() < 2:
        return None
    return key[match.end() :]


# --- the edit distance ----------------------------------------------------------------------------


def _weight(symbol: str) -> float:
    if symbol in SHORT_VOWELS:
        return 0.25
    if symbol == ANY_VOWEL or symbol in _INITIAL_CLASSES:
        return 0.5
    if symbol == GLOTTAL:
        return 0.4
    if symbol in LONG_VOWELS or symbol in ("E", "Y"):
        return 0.8
    return 1.0


_SIMILAR_CONSONANTS = {
    frozenset("kq"): 0.3,
    frozenset("qg"): 0.3,
    frozenset("jg"): 0.2,
    frozenset("Gg"): 0.3,
    frozenset("dz"): 0.5,
    frozenset("Kh"): 0.5,
    frozenset("wU"): 0.2,
    frozenset("wu"): 0.2,
    frozenset("yI"): 0.2,
    frozenset("yi"): 0.2,
}


_INITIAL_CLASSES = {"ä": "a", "ë": "ai", "ï": "i", "ü": "u"}


def _vowel_classes(symbol: str) -> str:
    if symbol in _INITIAL_CLASSES:
        return _INITIAL_CLASSES[symbol]
    if symbol == "E":
        return "a"
    if symbol in ("Y", "e"):
        return "ai"
    return "aiu" if symbol == ANY_VOWEL else symbol.lower()


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    a_vowel, b_vowel = a in ENDING_VOWELS, b in ENDING_VOWELS
    if a_vowel and b_vowel:
        if set(_vowel_classes(a)) & set(_vowel_classes(b)):
            return 0.0
        return 0.5 if a in SHORT_VOWELS or b in SHORT_VOWELS else 0.8
    if GLOTTAL in (a, b) and (a_vowel or b_vowel):
        # "Saad" / سعد, "Omar" / عمر; but a long u or i is another name ("Saoud" is سعود)
        return 0.6 if {a, b} & {"U", "I", "Y"} else 0.1
    if "E" in (a, b) and "h" in (a, b):
        return 0.1  # Saleh / صالح
    similar = _SIMILAR_CONSONANTS.get(frozenset((a, b)))
    if similar is not None:
        return similar
    return _weight(a) + _weight(b)  # never cheaper than dropping one and adding the other


@lru_cache(maxsize=65536)
def key_similarity(a: str, b: str) -> float:
    """1 - (the cheapest edit of key a into key b) / (the weight of the heavier key); 0..1."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    previous = [0.0]
    for symbol in b:
        previous.append(previous[-1] + _weight(symbol))
    for x in a:
        current = [previous[0] + _weight(x)]
        for j, y in enumerate(b, start=1):
            current.append(
                min(previous[j] + _weight(x), current[j - 1] + _weight(y), previous[j - 1] + _substitution(x, y))
            )
        previous = current
    heavier = max(sum(map(_weight, a)), sum(map(_weight, b)))
    return max(0.0, 1.0 - previous[-1] / heavier)


def _variants(key: str) -> list[str]:
    keys = [key]
    if len(key) > 2 and key[0] == GLOTTAL and key[1] in LONG_VOWELS:
        # عا / عي / عو: one vowel in Latin letters (Adel, Issa, Omran) or two (Eisa, Aisha).
        keys.append(key[0] + key[2:])
    bare = _without_article(key)
    if bare:
        keys.append(bare)
    return keys


def _ending_variants(key: str) -> list[str]:
    if key.endswith("E"):
        return [key[:-1] + final for final in _FINAL_AS]
    return [key]


@lru_cache(maxsize=65536)
def word_similarity(a: str, b: str) -> float:
    """How alike two words of a name sound, 0..1, whatever their scripts (both normalized)."""
    key_a, key_b = sound_key(a), sound_key(b)
    if not key_a or not key_b:
        return 0.0
    rest_a, rest_b = _after_abd(key_a), _after_abd(key_b)
    if rest_a and rest_b:  # two compound names: what follows Abd decides
        key_a, key_b = rest_a, rest_b
    variants_a, variants_b = _variants(key_a), _variants(key_b)
    best = 0.0
    for va in variants_a:
        for vb in variants_b:
            for ea in _ending_variants(va):
                for eb in _ending_variants(vb):
                    best = max(best, key_similarity(ea, eb))
    return best


def minimum_similarity(word: str) -> float:
    """How alike a page's word must sound to a registered word to count as it: short names
    (Ali, Noor, Reem) must be nearly exact, longer ones may differ by a vowel or a letter's
    spelling."""
    consonants = len(skeleton(word))
    if consonants <= 1:
        return 0.9
    if consonants == 2:
        return 0.85
    if consonants == 3:
        return 0.84
    return 0.8
