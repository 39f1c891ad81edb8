"""`mumaris demo`: the embedded stack, the four services as separate processes, a local SMTP
server standing in for the mail catcher, and one practitioner's certificate driven from upload to
approval, printed step by step as the services report it."""

import io
import json
import time
from collections.abc import Callable
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from PIL import Image, ImageDraw

from mumaris.auth import Principal, issue_token
from mumaris.cli import STACK_DIR, stack_is_running
from mumaris.launcher import SERVICES, ServiceGroup
from mumaris.settings import PROJECT_ROOT, Settings
from mumaris.stack import LocalStack, free_port
from schemas.topics import all_topic_names


class MailCatcher:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def __enter__(self) -> "MailCatcher":
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()


def certificate_scan(name: str, issuer: str = "Saudi Commission for Health Specialties",
                     issued: date | None = None, width: int = 1240, height: int = 1754) -> bytes:
    """A JPEG that looks like a scanned certificate: paper, a border, the holder's name, the
    issuer and the date in print the validator's OCR can read."""
    image = Image.new("RGB", (width, height), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, width - 40, height - 40), outline=(20, 60, 120), width=12)
    lines = ["CERTIFICATE OF TRAINING", name, issuer, f"Issued {issued or date.today():%Y-%m-%d}"]
    for i, line in enumerate(lines):
        draw.text((160, 260 + i * 140), line, fill=(10, 10, 10), font_size=64)
    for y in range(900, height - 200, 40):
        draw.line((160, y, width - 160, y), fill=(120, 120, 120), width=3)
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


def run_demo(keep: bool = False) -> int:
    stack = LocalStack.attach(STACK_DIR) if (STACK_DIR / "stack.json").exists() else LocalStack(STACK_DIR)
    started_stack = not stack_is_running(stack)
    if started_stack:
        _say("starting the local stack (Apache Kafka KRaft on the JDK, SecantusDB) ...")
        info = stack.start(all_topic_names())
    else:
        info = stack.info
    _say(f"  kafka {info.kafka_bootstrap}   mongo {info.mongo_uri}")

    settings = Settings(**{k.removeprefix("MUMARIS_").lower(): v for k, v in info.env().items()})
    group: ServiceGroup | None = None
    with MailCatcher() as mail:
        try:
            group = ServiceGroup(
                env={**info.env(), "MUMARIS_SMTP_PORT": str(mail.port),
                     "MUMARIS_JWT_SECRET": settings.jwt_secret.get_secret_value()},
                log_dir=PROJECT_ROOT / ".mumaris" / "logs",
            )
            for name in SERVICES:
                group.start(name, free_port())
            _say("starting intake, validator, review and notifier as four processes ...")
            group.wait_healthy()
            for name, service in group.processes.items():
                _say(f"  {name:<9} {service.url}   (log: {service.log_path.relative_to(PROJECT_ROOT)})")
            _drive_one_certificate(group, settings, mail)
        finally:
            if group and not keep:
                group.stop_all()
            if started_stack and not keep:
                stack.stop()
    return 0


def _drive_one_certificate(group: ServiceGroup, settings: Settings, mail: MailCatcher) -> None:
    practitioner = Principal(id="prac-1001", role="practitioner", name="Dr. Noura Al-Qahtani",
                             email="noura@example.sa", locale="ar")
    reviewer = Principal(id="rev-7", role="reviewer", name="Reviewer Khalid", email="khalid@scfhs.local")
    as_practitioner = {"Authorization": f"Bearer {issue_token(practitioner, settings)}"}
    as_reviewer = {"Authorization": f"Bearer {issue_token(reviewer, settings)}"}
    intake = group.processes["intake"].url
    review = group.processes["review"].url

    metadata = {"name": "Family Medicine Residency Certificate", "obtained_on": "2025-06-30",
                "institution": "Saudi Commission for Health Specialties", "specialty": "Family Medicine",
                "degree": "Saudi Board"}
    scan = certificate_scan(practitioner.name, metadata["institution"], date.fromisoformat(metadata["obtained_on"]))
    _say(f"\n1. {practitioner.name} uploads a certificate scan ({len(scan) // 1024} KiB JPEG)")
    answer = httpx.post(f"{intake}/v1/certificates", headers=as_practitioner,
                        data={"metadata": json.dumps(metadata)}, files={"file": ("certificate.jpg", scan, "image/jpeg")})
    answer.raise_for_status()
    submission_id = answer.json()["submission_id"]
    _say(f"   intake answered {answer.status_code}: {answer.json()}")

    def status() -> dict[str, Any]:
        return httpx.get(f"{intake}/v1/certificates/{submission_id}", headers=as_practitioner).json()

    _say("2. the validator checks it, the review service queues it ...")
    wait_for("in review", lambda: status()["status"] == "in_review")
    _say(f"   status: in_review  (timeline: {' → '.join(s['status'] for s in status()['timeline'])})")

    _say(f"3. {reviewer.name} approves it")
    queue = httpx.get(f"{review}/v1/review/queue", headers=as_reviewer).json()["items"]
    assert any(item["review_id"] == submission_id for item in queue)
    decided = httpx.post(f"{review}/v1/review/{submission_id}/decision", headers=as_reviewer,
                         json={"decision": "approve", "reason": ""})
    decided.raise_for_status()

    final = wait_for("approved", lambda: (s := status())["status"] == "approved" and s)
    _say("\nThe practitioner's timeline (GET /v1/certificates/{id}):")
    for step in final["timeline"]:
        _say(f"   {step['at']}  {step['status']}")

    email = wait_for("the e-mail", lambda: next((m for m in mail.messages if m["To"] == practitioner.email), None))
    _say("\nThe e-mail the practitioner received:")
    _say(f"   Subject: {email['Subject']}")
    body = email.get_body(preferencelist=("plain",))
    for line in (body.get_content() if body else "").strip().splitlines():
        _say(f"   | {line}")
    inbox = httpx.get(f"{group.processes['notifier'].url}/v1/inbox", headers=as_practitioner).json()
    _say(f"\nIn-platform inbox: {inbox['unread']} unread — “{inbox['items'][0]['title']}”")
    _say("\ndemo finished: received → validated → in review → approved")
