"""What each service's OpenAPI document promises, read without servers (the apps are only built):
every refusal in the shared error body with the codes it carries, the bearer scheme on protected
routes, a typed schema for every JSON answer, the uploads' parts, the downloads' file types, and
nothing of FastAPI's own error shape. Whether the services keep these promises is
tests/e2e/test_api_contracts.py's question."""

from typing import Any

import pytest

from mumaris.errors import MESSAGES
from services.intake.app import create_app as intake
from services.notifier.app import create_app as notifier
from services.review.app import create_app as review

BUILDERS = {"intake": intake, "review": review, "notifier": notifier}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    built: dict[str, Any] = BUILDERS[request.param]().openapi()
    return built


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_every_refusal_is_the_shared_error_body_with_the_codes_it_can_carry(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
            assert content["examples"], (method, path, status)
            for code, example in content["examples"].items():
                assert code in MESSAGES, (method, path, code)
                assert example["value"]["error"]["code"] == code
                assert example["value"]["error"]["message"] == dict(zip(("ar", "en"), MESSAGES[code], strict=True))
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])


def test_protected_routes_name_the_bearer_scheme_and_its_refusals(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": document["components"]["securitySchemes"]["bearer"]["description"],
        }
    }
    protected = [(method, path, op) for method, path, op in operations(document) if op.get("security")]
    assert protected
    for method, path, op in protected:
        assert op["security"] == [{"bearer": []}], (method, path)
        assert {"401", "403", "503"} <= set(op["responses"]), (method, path)


def test_every_answer_has_a_type_and_every_operation_a_name(document: dict[str, Any]) -> None:
    names = [op["operationId"] for _, _, op in operations(document)]
    assert len(names) == len(set(names))
    for method, path, op in operations(document):
        # pages (console, portal) stay out of the document; the card keys' standard address is in it
        assert path.startswith("/v1/") or path == "/.well-known/jwks.json", path
        for status, response in op["responses"].items():
            if int(status) >= 400 or status == "204":
                continue
            for media_type, body in response["content"].items():
                if media_type == "application/json":
                    assert body["schema"].get("$ref", "").startswith("#/components/schemas/"), (method, path, status)
                else:
                    assert body["schema"] == {"type": "string", "format": "binary"}, (method, path, media_type)


def test_uploads_describe_their_parts_and_downloads_their_file_types(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        body = op.get("requestBody", {}).get("content", {})
        if "multipart/form-data" in body:
            form = body["multipart/form-data"]
            properties = form["schema"]["properties"]
            files = [name for name, part in properties.items() if part.get("format") == "binary"]
            assert files and set(form["schema"]["required"]) <= set(properties), (method, path)
            for name in files:
                assert form["encoding"][name]["contentType"] == "application/pdf, image/jpeg"
            for name in set(properties) - set(files):
                assert form["encoding"][name]["contentType"] == "application/json"
                assert properties[name]["type"] == "object"
            assert {"400", "413", "415"} <= set(op["responses"]), (method, path)
        if path.endswith(("/document", "/documents/{submission_id}")):
            assert set(op["responses"]["200"]["content"]) == {"application/pdf", "image/jpeg"}, path


def test_the_three_uploads_are_documented() -> None:
    paths = intake().openapi()["paths"]
    for path in ("/v1/certificates", "/v1/certificates/{submission_id}/resubmissions", "/v1/classification-requests"):
        assert "multipart/form-data" in paths[path]["post"]["requestBody"]["content"], path
    assert paths["/v1/certificates"]["post"]["responses"]["202"]["headers"]["Location"]["required"] is True
