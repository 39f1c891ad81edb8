"""A check of our own for the schemathesis run (tests/e2e/test_api_contracts.py loads this module
as its hooks): every refusal carries an error code its route lists for that status (mumaris.openapi
documents each code as an example of its status). A code the document does not name is a contract
broken as surely as an undocumented status."""

from typing import Any

import schemathesis


@schemathesis.check
def error_code_is_documented(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    if response.status_code < 400:
        return None
    documented: dict[str, Any] | None = case.operation.definition.raw.get("responses", {}).get(
        str(response.status_code)
    )
    if documented is None:
        return None  # an undocumented status: status_code_conformance says so
    codes = set(documented.get("content", {}).get("application/json", {}).get("examples", {}))
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None  # not our error body: response_schema_conformance says so
    if code not in codes:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} with `{code}`, "
            f"which its document does not list for that status ({', '.join(sorted(codes))})"
        )
    return True
