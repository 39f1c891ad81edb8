"""Proof that intake's OpenAPI document is enough for another system: models generated from the
document the running service serves (datamodel-code-generator, pinned in pyproject.toml) and a
client that knows nothing but the document (each operation by its operationId: its method and
path, how its body is sent, which model answers each status) walk one practitioner through
sign-up, sign-in, a certificate upload and its status."""

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from datamodel_code_generator import DataModelType, Formatter, InputFileType, generate
from pydantic import BaseModel

from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.test_accounts import PASSWORD, e164, sign_up_body
from tests.e2e.test_pipeline import METADATA
from tests.support import eventually

pytestmark = pytest.mark.e2e


def generated_models(document: dict[str, Any], folder: Path) -> ModuleType:
    """The document's schemas as pydantic models, generated to a module and imported."""
    source = generate(
        document,
        input_file_type=InputFileType.OpenAPI,
        output_model_type=DataModelType.PydanticV2BaseModel,
        formatters=[Formatter.BUILTIN],  # no black or isort needed to read the models
    )
    assert isinstance(source, str)
    path = folder / "intake_models.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("intake_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' forward references through it
    spec.loader.exec_module(module)
    return module


@dataclass
class Answer:
    status: int
    body: Any  # the model the document names for this status, or None (no content)
    headers: httpx.Headers


class DocumentClient:
    """Calls operations as the document describes them, and reads each answer as the model the
    document gives for its status; nothing about the API is written here by hand."""

    def __init__(self, base_url: str, document: dict[str, Any], models: ModuleType, http: httpx.AsyncClient) -> None:
        self.base_url = base_url
        self.models = models
        self.http = http
        self.operations = {
            op["operationId"]: (method.upper(), path, op)
            for path, item in document["paths"].items()
            for method, op in item.items()
        }
        self.token: str | None = None

    async def call(
        self,
        operation_id: str,
        body: BaseModel | None = None,
        *,
        parts: dict[str, BaseModel] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        **parameters: str,
    ) -> Answer:
        method, path, operation = self.operations[operation_id]
        query = {}
        for parameter in operation.get("parameters", []):
            value = parameters[parameter["name"]]
            if parameter["in"] == "path":
                path = path.replace("{" + parameter["name"] + "}", value)
            elif parameter["in"] == "query":
                query[parameter["name"]] = value
        headers = {"Authorization": f"Bearer {self.token}"} if operation.get("security") and self.token else {}
        content = operation.get("requestBody", {}).get("content", {})
        request: dict[str, Any] = {}
        if "application/json" in content and body is not None:
            request["content"] = body.model_dump_json(exclude_none=True)
            headers["Content-Type"] = "application/json"
        elif "multipart/form-data" in content:
            form = content["multipart/form-data"]
            sent: list[tuple[str, tuple[str | None, bytes | str, str]]] = []
            for name, part in (parts or {}).items():
                declared = form["encoding"][name]["contentType"]
                assert declared == "application/json", (name, declared)
                sent.append((name, (None, part.model_dump_json(exclude_none=True), declared)))
            for name, (filename, data) in (files or {}).items():
                assert form["schema"]["properties"][name]["format"] == "binary", name
                sent.append((name, (filename, data, "image/jpeg")))
            request["files"] = sent
        answer = await self.http.request(method, self.base_url + path, params=query, headers=headers, **request)
        documented = operation["responses"][str(answer.status_code)]  # an undocumented status fails here
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        model = None if schema is None else getattr(self.models, schema["$ref"].rsplit("/", 1)[1])
        return Answer(answer.status_code, model and model.model_validate_json(answer.content), answer.headers)


async def test_a_client_generated_from_intakes_document_signs_up_signs_in_and_follows_a_certificate(
    pipeline: Pipeline, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    intake = pipeline.url("intake")
    document = (await http.get(f"{intake}/openapi.json")).json()
    models = generated_models(document, tmp_path)
    client = DocumentClient(intake, document, models, http)
    person = sign_up_body()

    created = await client.call("sign_up", models.SignUp(**person))
    assert created.status == 201 and isinstance(created.body, models.AccountCreated)
    [sms] = await pipeline.sms.wait_for_messages(1, to=e164(person["mobile"]), timeout=60)
    code = re.search(r"\b(\d{6})\b", sms["text"])
    assert code, sms
    confirmed = await client.call(
        "verify_phone", models.PhoneCode(account_id=created.body.account_id, code=code.group(1))
    )
    assert confirmed.status == 200 and confirmed.body.status == "pending_email"

    async def mail() -> list[Any]:
        return pipeline.mails_to(person["email"])

    [message] = await eventually(mail, what="the confirmation e-mail")
    link = re.search(r"https?://\S+confirm-email\?token=[\w.\-]+", message.get_body(("plain",)).get_content())
    assert link, "no confirmation link in the e-mail"
    [token] = parse_qs(urlparse(link.group(0)).query)["token"]
    active = await client.call("confirm_email", token=token)
    assert active.status == 200 and active.body.membership_number.startswith("MP-")

    signed_in = await client.call("login", models.Login(email=person["email"], password=PASSWORD))
    assert signed_in.status == 200 and isinstance(signed_in.body, models.TokensView)
    client.token = signed_in.body.access_token
    refused = await client.call("submit_certificate", parts={"metadata": models.CertificateMetadata(**METADATA)})
    assert refused.status == 400 and refused.body.error.code == "file.missing"  # the documented error body

    accepted = await client.call(
        "submit_certificate",
        parts={"metadata": models.CertificateMetadata(**METADATA)},
        files={"file": ("bls.jpg", jpeg_bytes(900, 700, seed=91))},
    )
    assert accepted.status == 202 and isinstance(accepted.body, models.SubmissionAccepted)
    assert accepted.headers["location"] == accepted.body.links.self

    async def in_review() -> Any:
        status = await client.call("get_certificate", submission_id=accepted.body.submission_id)
        assert status.status == 200 and isinstance(status.body, models.SubmissionView)
        return status.body if status.body.status.value == "in_review" else None

    view = await eventually(in_review, timeout=60, what="the certificate in review")
    assert [step.status for step in view.timeline] == ["received", "validated", "in_review"]
    assert view.certificate.name == METADATA["name"] and view.file.content_type == "image/jpeg"
