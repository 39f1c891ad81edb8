"""What the server-rendered pages share (review's console, intake's practitioner portal): the two
languages and their words, CSRF tokens, the TLS check that decides the cookies' Secure flag, the
headers every page carries, redirects that cannot leave the site, and one token renewal shared by
the requests that need it at the same moment.

Nothing here knows a service: each area keeps its own prefix, cookies and words.
"""

import asyncio
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup, escape

from mumaris.clock import RIYADH
from mumaris.errors import MESSAGES
from mumaris.settings import Settings
from schemas.findings import describe

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")
T = TypeVar("T")

# Pages' own policy: scripts and styles only from the site's static folder (no inline script, no
# inline style), no plugins, no framing, forms only to ourselves.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-store",  # pages show personal data
}


def pick(lang: Lang, pair: tuple[str, str]) -> str:
    """(Arabic, English) → the one for `lang`."""
    return pair[0] if lang == "ar" else pair[1]


@dataclass(frozen=True)
class Words:
    """An area's words in one language, as its templates use them: `t("key", name=...)`.
    `table`: key → (Arabic, English) with `{name}` placeholders. Refusals keep their wording in
    `mumaris.errors.MESSAGES`, the catalogue the JSON API uses too."""

    lang: Lang
    table: Mapping[str, tuple[str, str]]

    @property
    def dir(self) -> str:
        return "rtl" if self.lang == "ar" else "ltr"

    @property
    def other(self) -> Lang:
        return "en" if self.lang == "ar" else "ar"

    def __call__(self, key: str, **values: Any) -> Markup:
        """The text for `key`, escaped for a page; values made by `ltr` or `moment` stay markup."""
        text = escape(pick(self.lang, self.table[key]))
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.table

    def label(self, prefix: str, value: str) -> str:
        """A label for a value from an open set (rules, actions): the value itself when unlisted."""
        key = f"{prefix}.{value}"
        return self(key) if key in self.table else value

    def error(self, code: str) -> str:
        return pick(self.lang, MESSAGES.get(code) or MESSAGES["service.unavailable"])

    def finding(self, finding: Any) -> str | None:
        """What a validation finding measured or found, in this language (schemas/findings.py);
        None for a finding of before, whose English `evidence` is then all there is."""
        return describe(finding, self.lang)

    def when(self, value: datetime | str | None) -> str:
        return "—" if value is None else riyadh_time(value)  # the commission works in Riyadh time


def ltr(value: Any, wrap: bool = False) -> Markup:
    """A run of Latin letters or digits (a number, an ID, an e-mail address, a file name) isolated
    as left to right inside any page, so an Arabic page neither reorders nor splits it: it keeps to
    one line unless `wrap` (a long file name may wrap rather than overflow a phone's width)."""
    if value is None or value == "":
        return Markup("—")
    return Markup('<bdi class="{}" dir="ltr">{}</bdi>').format("ltr wrap" if wrap else "ltr", value)


def riyadh_time(value: datetime | str) -> str:
    """A moment as the commission reads it: Riyadh time, to the minute."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(RIYADH).strftime("%Y-%m-%d %H:%M")


def moment(value: datetime | date | str | None) -> Markup:
    """A moment (shown in Riyadh time) or a date as a page shows it: a <time> with its machine
    form, isolated left to right and kept on one line like `ltr`."""
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return Markup('<time class="ltr" dir="ltr" datetime="{0}">{0}</time>').format(value.isoformat())
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return Markup('<time class="ltr" dir="ltr" datetime="{}">{}</time>').format(at.isoformat(), riyadh_time(at))


# A run of Latin letters, digits and the signs IDs, dates and amounts are written with.
_LTR_RUN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9@.,:/+#_-]*[A-Za-z0-9])?")
_LONG_RUN = 16  # longer runs (a submission id) may wrap, in order, rather than overflow a phone


def ltr_runs(text: str) -> Markup:
    """Plain text from elsewhere (a message's body) with every run that holds a digit (an id, a
    date, an amount, a bill number) isolated as by `ltr`; the rest escaped as it is."""
    parts: list[str] = []
    last = 0
    for run in _LTR_RUN.finditer(text):
        if any(ch.isdigit() for ch in run.group()):
            parts += [escape(text[last : run.start()]), ltr(run.group(), wrap=len(run.group()) > _LONG_RUN)]
            last = run.end()
    return Markup("").join([*parts, escape(text[last:])])


# The filters both sites' templates use for what must run left to right.
PAGE_FILTERS: dict[str, Callable[..., Markup]] = {"ltr": ltr, "moment": moment, "ltr_runs": ltr_runs}


# --- CSRF -------------------------------------------------------------------------------------------


def csrf_token(settings: Settings, seed: str, subject: str, scope: str) -> str:
    """The token a form carries: bound to this browser (a random seed in a cookie), to who is
    signed in (`subject`) and to the area (`scope`), so a token read by someone else, minted for
    another seed or for another area is worthless here."""
    key = settings.jwt_secret.get_secret_value().encode()
    return hmac.new(key, f"{scope}-csrf|{seed}|{subject}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(settings: Settings, seed: str | None, subject: str, presented: Any, scope: str) -> bool:
    if not seed or not isinstance(presented, str) or not presented:
        return False
    return hmac.compare_digest(csrf_token(settings, seed, subject, scope), presented)


# --- cookies, redirects, the language switch --------------------------------------------------------


def is_https(request: Request, settings: Settings) -> bool:
    """Served over TLS, here or at a trusted proxy in front of us: the cookies are then Secure."""
    peer = request.client.host if request.client else None
    behind_tls_proxy = peer in settings.trusted_proxies and request.headers.get("x-forwarded-proto") == "https"
    return request.url.scheme == "https" or behind_tls_proxy


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def local_path(value: Any, prefix: str, default: str) -> str:
    """Where to go next: only a path of ours under `prefix` (no open redirect), else `default`."""
    if isinstance(value, str) and value.startswith(f"{prefix}/") and "//" not in value and "\\" not in value:
        return value
    return default


def switch_url(request: Request, here: str | None, lang: Lang, drop: tuple[str, ...] = ("done",)) -> str:
    """The same page in the other language: `here` (a page shown in answer to a POST names the
    page to come back to) or the request's own path and query, without one-off notices."""
    path, _, query = (here or str(request.url.path) + ("?" + request.url.query if request.url.query else "")).partition(
        "?"
    )
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("lang", *drop)]
    return f"{path}?{urlencode([*params, ('lang', lang)])}"


# --- renewing a session ------------------------------------------------------------------------------

# Requests racing on one expired access token share one renewal for this long.
RENEWAL_SHARE_S = 30.0


class SharedRenewals(Generic[T]):
    """One renewal per refresh token, shared by the requests that need it at the same moment.

    A page and the requests it starts can all arrive with the same expired access token. Intake
    treats a refresh token presented twice as stolen and ends the whole session, so the second
    request must reuse the first one's answer instead of asking again. (Per process: requests of
    one browser spread over several replicas could still race; sticky sessions avoid that.)"""

    def __init__(
        self, renew: Callable[[str], Awaitable[T | None]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._renew = renew
        self._clock = clock
        self.recent: dict[str, tuple[float, asyncio.Future[T | None]]] = {}

    async def renew(self, refresh_token: str) -> T | None:
        at = self._clock()
        self.recent = {k: v for k, v in self.recent.items() if at - v[0] < RENEWAL_SHARE_S}
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        if key not in self.recent:
            self.recent[key] = (at, asyncio.ensure_future(self._renew(refresh_token)))
        try:
            return await asyncio.shield(self.recent[key][1])
        except Exception:
            # The renewal could not be asked (a dependency away): the session may still be good,
            # so the next request asks afresh.
            self.recent.pop(key, None)
            raise
