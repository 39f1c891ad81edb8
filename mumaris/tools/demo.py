"""`mumaris demo`: the embedded stack, the four services as separate processes, a local SMTP
server standing in for the mail catcher, and one practitioner's certificate driven from upload to
approval, printed step by step as the services report it; it ends with the portal's and the
console's addresses. `mumaris up`: the same system kept running for a person to try in a browser."""

import asyncio
import io
import json
import re
import signal
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from PIL import Image, ImageDraw, ImageFont

from mumaris.settings import PROJECT_ROOT, Settings
from mumaris.tools.launcher import SERVICES, ServiceGroup
from mumaris.tools.stack import STACK_DIR, LocalStack, StackInfo, free_port, stack_is_running
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from schemas.topics import all_topic_names
from services.intake.accounts.rules import make_valid_id
from services.intake.accounts.service import create_staff_account

_FONTS = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core, which `make install` installs
_PAPER = (250, 248, 240)
_INK = (22, 26, 38)
_NAVY = (20, 60, 120)


def _font(size: int, face: str = "DejaVuSerif") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A TrueType face of the machine (Pillow's own sans when it has none)."""
    path = _FONTS / f"{face}.ttf"
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, width: int, face: str, fill: Any) -> int:
    """`text` centred on the line at `y`, made smaller until it fits between the margins (a
    long issuer or name is never cut off at the page's edge); the next line's y."""
    room = width - 2 * 170
    while size > 18 and draw.textlength(text, font=_font(size, face)) > room:
        size -= 2
    font = _font(size, face)
    draw.text(((width - draw.textlength(text, font=font)) / 2, y), text, fill=fill, font=font)
    return y + int(size * 1.55)


def certificate_scan(
    name: str,
    issuer: str = "Saudi Commission for Health Specialties",
    issued: date | None = None,
    width: int = 1240,
    height: int = 1754,
    course: str = "Family Medicine Residency Programme",
) -> bytes:
    """A JPEG that looks like a scanned certificate (A4 at 150 dpi): the issuer in the header, the
    holder's name, what was completed, the date of issue, a number and a signature, in real type
    the validator's OCR reads in full, every line inside the page's frame."""
    issued = issued or date.today()
    image = Image.new("RGB", (width, height), _PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, width - 40, height - 40), outline=_NAVY, width=10)
    draw.rectangle((64, 64, width - 64, height - 64), outline=_NAVY, width=3)
    seal = (width // 2 - 70, 120, width // 2 + 70, 260)
    draw.ellipse(seal, outline=_NAVY, width=6)
    draw.ellipse((seal[0] + 18, seal[1] + 18, seal[2] - 18, seal[3] - 18), outline=_NAVY, width=2)
    y = _centred(draw, 300, issuer, 52, width, "DejaVuSerif-Bold", _NAVY)
    y = _centred(draw, y, "Riyadh", 30, width, "DejaVuSans", _INK)
    draw.line((200, y + 20, width - 200, y + 20), fill=_NAVY, width=3)
    y = _centred(draw, y + 90, "CERTIFICATE OF TRAINING", 64, width, "DejaVuSerif-Bold", _INK)
    y = _centred(draw, y + 50, "This is to certify that", 34, width, "DejaVuSerif", _INK)
    y = _centred(draw, y + 20, name, 58, width, "DejaVuSerif-Bold", _INK)
    y = _centred(draw, y + 20, "has successfully completed the requirements of the", 32, width, "DejaVuSerif", _INK)
    y = _centred(draw, y, course, 40, width, "DejaVuSerif-Bold", _INK)
    y = _centred(draw, y + 10, "and is awarded this certificate.", 32, width, "DejaVuSerif", _INK)
    y = _centred(draw, y + 60, f"Issued {issued:%Y-%m-%d}", 40, width, "DejaVuSans", _INK)
    _centred(
        draw, y, f"Certificate No. {issued:%Y}-{zlib.crc32(name.encode()) % 10**6:06d}", 28, width, "DejaVuSans", _INK
    )
    for x in (200, width - 560):  # two signatures over their titles
        draw.line((x, height - 330, x + 360, height - 330), fill=_INK, width=2)
        draw.arc((x + 40, height - 420, x + 300, height - 335), 200, 340, fill=(40, 40, 110), width=4)
    small = _font(28, "DejaVuSans")
    draw.text((200, height - 310), "Programme Director", fill=_INK, font=small)
    draw.text((width - 560, height - 310), "Secretary General", fill=_INK, font=small)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 60, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(every)
    raise TimeoutError(f"timed out waiting for {what}")


def _say(text: str) -> None:
    print(text, flush=True)


def _stack() -> tuple[LocalStack, bool]:
    """The local stack, started unless it runs already (then it is left running)."""
    stack = LocalStack.attach(STACK_DIR) if (STACK_DIR / "stack.json").exists() else LocalStack(STACK_DIR)
    started = not stack_is_running(stack)
    if started:
        _say("starting the local stack (Apache Kafka KRaft on the JDK, SecantusDB) ...")
        stack.start(all_topic_names())
    _say(f"  kafka {stack.info.kafka_bootstrap}   mongo {stack.info.mongo_uri}")
    return stack, started


def _start_services(info: StackInfo, mail: MailCatcher, sms: SmsGatewayStandIn) -> ServiceGroup:
    """The four services as processes, each told where the stand-ins and the others are."""
    ports = {name: free_port() for name in SERVICES}
    group = ServiceGroup(
        env={
            **info.env(),
            "MUMARIS_SMTP_PORT": str(mail.port),
            "MUMARIS_SMS_GATEWAY_URL": sms.url,
            "MUMARIS_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
            "MUMARIS_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
            "MUMARIS_NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
        },
        log_dir=PROJECT_ROOT / ".mumaris" / "logs",
    )
    try:
        for name in SERVICES:
            group.start(name, ports[name])
        _say("starting intake, validator, review and notifier as four processes ...")
        group.wait_healthy()
    except BaseException:
        group.stop_all()
        raise
    for name, service in group.processes.items():
        _say(f"  {name:<9} {service.url}   (log: {service.log_path.relative_to(PROJECT_ROOT)})")
    return group


def _addresses(group: ServiceGroup) -> None:
    _say(f"\n  practitioner portal  {group.processes['intake'].url}/portal/")
    _say(f"  reviewer console     {group.processes['review'].url}/console/")


def _settings(info: StackInfo) -> Settings:
    return Settings.model_validate({k.removeprefix("MUMARIS_").lower(): v for k, v in info.env().items()})


def run_demo(keep: bool = False) -> int:
    stack, started_stack = _stack()
    group: ServiceGroup | None = None
    with MailCatcher() as mail, SmsGatewayStandIn() as sms:
        try:
            group = _start_services(stack.info, mail, sms)
            as_practitioner, practitioner_email = _open_an_account(group, mail, sms)
            as_reviewer = _staff_sign_in(group, _settings(stack.info))
            _drive_one_certificate(group, mail, as_practitioner, practitioner_email, as_reviewer)
            _addresses(group)
        finally:
            if group and not keep:
                group.stop_all()
            if started_stack and not keep:
                stack.stop()
    return 0


REVIEWER_PASSWORD = "Review#2026-desk"


def run_up() -> int:
    """The whole system for a person to try in a browser, until Ctrl-C: the services, the stand-in
    SMS gateway and mail catcher (what they receive is printed here: the codes and links a
    practitioner needs), and a reviewer account for the console. SIGTERM stops it as Ctrl-C does."""
    # Ctrl-C and SIGTERM stop everything, even when started from a shell that ignores SIGINT for
    # background jobs.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _interrupt)
    stack, started_stack = _stack()
    group: ServiceGroup | None = None
    with MailCatcher() as mail, SmsGatewayStandIn() as sms:
        try:
            group = _start_services(stack.info, mail, sms)
            reviewer = _reviewer_account(_settings(stack.info))
            _addresses(group)
            _say(f"  reviewer sign-in     {reviewer} / {REVIEWER_PASSWORD}")
            _say("\nSMS and e-mails the system sends are printed below. Ctrl-C stops everything.")
            _echo_messages(mail, sms)
        except KeyboardInterrupt:
            _say("\nstopping ...")
        finally:
            if group:
                group.stop_all()
            if started_stack:
                stack.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _echo_messages(mail: MailCatcher, sms: SmsGatewayStandIn) -> None:
    shown_sms = shown_mail = 0
    while True:
        for message in sms.messages[shown_sms:]:
            _say(f"[SMS to {message.get('to')}] {message.get('text')}")
        shown_sms = len(sms.messages)
        for email in mail.messages[shown_mail:]:
            body = email.get_body(preferencelist=("plain",))
            links = dict.fromkeys(re.findall(r"https?://\S+", body.get_content() if body else ""))
            _say(f"[e-mail to {email['To']}] {email['Subject']}" + "".join(f"\n    {link}" for link in links))
        shown_mail = len(mail.messages)
        time.sleep(0.5)


def _reviewer_account(settings: Settings, role: str = "supervisor") -> str:
    """A staff account as operations create it (`mumaris users create`); its e-mail address."""
    tag = uuid.uuid4().hex[:8]
    email = f"khalid.{tag}@scfhs.gov.sa"
    asyncio.run(
        create_staff_account(
            settings,
            role=role,
            email=email,
            first_name="Khalid",
            last_name="Al-Dosari",
            id_number=make_valid_id("1", f"{int(tag, 16) % 10**8:08d}"),
            password=REVIEWER_PASSWORD,
            locale="ar",
        )
    )
    return email


PASSWORD = "Sahha#2026-demo"


def _open_an_account(group: ServiceGroup, mail: MailCatcher, sms: SmsGatewayStandIn) -> tuple[dict[str, str], str]:
    """Sign-up → SMS code → e-mail link → login, as a practitioner would."""
    intake = group.processes["intake"].url
    tag = uuid.uuid4().hex[:8]
    email = f"noura.{tag}@example.sa"
    body = {
        "first_name": "نورة",  # her name in Arabic letters, and as her certificates print it
        "last_name": "القحطاني",
        "first_name_latin": "Noura",
        "last_name_latin": "Al-Qahtani",
        "id_number": make_valid_id("1", f"{int(tag, 16) % 10**8:08d}"),
        "email": email,
        "mobile": f"05{int(tag, 16) % 10**8:08d}",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "accept_terms": True,
        "locale": "ar",
    }
    _say(f"\n1. Noura signs up (POST /v1/accounts, {email})")
    created = httpx.post(f"{intake}/v1/accounts", json=body)
    created.raise_for_status()
    account_id = created.json()["account_id"]
    [message] = asyncio.run(sms.wait_for_messages(1, to="+966" + str(body["mobile"])[1:], timeout=60))
    _say(f"   notifier → SMS gateway → {message['to']}: {message['text'].splitlines()[0]}")
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)  # type: ignore[union-attr]
    httpx.post(f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": code}).raise_for_status()
    _say("2. she confirms her phone with the code; an e-mail link follows")
    confirmation = wait_for(
        "the confirmation e-mail", lambda: next((m for m in mail.messages if m["To"] == email), None)
    )
    link = re.search(
        r"https?://\S+confirm-email\?token=[\w.\-]+", confirmation.get_body(preferencelist=("plain",)).get_content()
    )
    # The link opens the portal's page; the API route behind it confirms the same token.
    token = urlsplit(link.group(0)).query  # type: ignore[union-attr]
    opened = httpx.get(f"{intake}/v1/accounts/confirm-email?{token}")
    opened.raise_for_status()
    _say(f"   link opened: account active, membership number {opened.json()['membership_number']}")
    tokens = httpx.post(f"{intake}/v1/auth/login", json={"email": email, "password": PASSWORD})
    tokens.raise_for_status()
    _say("3. she signs in (POST /v1/auth/login) and gets an access and a refresh token")
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}, email


def _staff_sign_in(group: ServiceGroup, settings: Settings) -> dict[str, str]:
    """A reviewer account as operations create it, then a normal login."""
    email = _reviewer_account(settings, role="reviewer")
    tokens = httpx.post(
        f"{group.processes['intake'].url}/v1/auth/login", json={"email": email, "password": REVIEWER_PASSWORD}
    )
    tokens.raise_for_status()
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def _drive_one_certificate(
    group: ServiceGroup,
    mail: MailCatcher,
    as_practitioner: dict[str, str],
    practitioner_email: str,
    as_reviewer: dict[str, str],
) -> None:
    intake = group.processes["intake"].url
    review = group.processes["review"].url

    metadata = {
        "name": "Family Medicine Residency Certificate",
        "obtained_on": "2025-06-30",
        "institution": "Saudi Commission for Health Specialties",
        "specialty": "Family Medicine",
        "degree": "Saudi Board",
    }
    scan = certificate_scan(
        "Dr. Noura Al-Qahtani",
        metadata["institution"],
        date.fromisoformat(metadata["obtained_on"]),
        course="Family Medicine Residency Programme",
    )
    _say(f"4. she uploads a certificate scan ({len(scan) // 1024} KiB JPEG)")
    answer = httpx.post(
        f"{intake}/v1/certificates",
        headers=as_practitioner,
        data={"metadata": json.dumps(metadata)},
        files={"file": ("certificate.jpg", scan, "image/jpeg")},
    )
    answer.raise_for_status()
    submission_id = answer.json()["submission_id"]
    _say(f"   intake answered {answer.status_code}: {answer.json()}")

    def status() -> dict[str, Any]:
        view: dict[str, Any] = httpx.get(f"{intake}/v1/certificates/{submission_id}", headers=as_practitioner).json()
        return view

    _say("5. the validator checks it (type, clarity, OCR of name/issuer/date), the review service queues it ...")
    reached = wait_for("in review", lambda: (v := status())["status"] in ("in_review", "validation_failed") and v)
    if reached["status"] == "validation_failed":
        failed = [f"{f['rule']}: {f['code']}" for f in reached["findings"] if f["outcome"] == "fail"]
        raise RuntimeError(f"the validator refused the demo scan: {failed}")
    _say(f"   status: in_review  (timeline: {' → '.join(s['status'] for s in status()['timeline'])})")

    _say("6. reviewer Khalid claims it (a 30-minute lease nobody else can take) and approves it")
    item = httpx.post(f"{review}/v1/review/{submission_id}/claim", headers=as_reviewer).raise_for_status().json()
    _say(f"   claimed until {item['claim']['expires_at']}; service-level deadline {item['sla_due_at']}")
    read = {
        f["rule"]: f.get("evidence")
        for f in item["findings"]
        if f["rule"].startswith("content.") and f["outcome"] == "pass"
    }
    _say(f"   the reviewer sees what OCR read on the scan: {read}")
    decided = httpx.post(
        f"{review}/v1/review/{submission_id}/decision", headers=as_reviewer, json={"decision": "approve"}
    )
    decided.raise_for_status()
    history = httpx.get(f"{review}/v1/review/{submission_id}/history", headers=as_reviewer).json()["entries"]
    _say("   audit trail: " + ", ".join(f"{e['action']} by {e['actor']['name']}" for e in history))

    final = wait_for("approved", lambda: (s := status())["status"] == "approved" and s)
    _say("\nThe practitioner's timeline (GET /v1/certificates/{id}):")
    for step in final["timeline"]:
        _say(f"   {step['at']}  {step['status']}")

    email = wait_for(
        "the e-mail",
        lambda: next(
            (m for m in mail.messages[::-1] if m["To"] == practitioner_email and "confirm" not in m["Subject"].lower()),
            None,
        ),
    )
    _say("\nThe e-mail the practitioner received:")
    _say(f"   Subject: {email['Subject']}")
    body = email.get_body(preferencelist=("plain",))
    for line in (body.get_content() if body else "").strip().splitlines():
        _say(f"   | {line}")
    inbox = httpx.get(f"{group.processes['notifier'].url}/v1/inbox", headers=as_practitioner).json()
    _say(f"\nIn-platform inbox: {inbox['unread']} unread — “{inbox['items'][0]['title']}”")
    _say("\ndemo finished: received → validated → in review → approved")
