"""Who may do what: the staff roles are one ladder (mumaris/auth.py), and no route or page keeps a
role list of its own (that is how a supervisor came to be refused what a reviewer could read)."""

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from mumaris.auth import (
    OVERSEER_ROLES,
    STAFF_LADDER,
    STAFF_ROLES,
    Principal,
    Role,
    issue_token,
    principal_from,
)
from mumaris.errors import ApiError
from tests.unit.test_auth_tokens import SETTINGS, request_with

SERVICES = Path(__file__).resolve().parents[2] / "services"
ROLES = frozenset(get_args(Role))


def test_each_staff_group_holds_every_role_above_its_least() -> None:
    assert STAFF_ROLES == ("reviewer", "supervisor", "admin")
    assert OVERSEER_ROLES == ("supervisor", "admin")
    for group in (STAFF_ROLES, OVERSEER_ROLES):
        least = STAFF_LADDER.index(group[0])
        assert group == STAFF_LADDER[least:]


@pytest.mark.parametrize("role", ["reviewer", "supervisor", "admin"])
def test_every_staff_role_passes_a_staff_route(role: Role) -> None:
    who = Principal(id=f"{role}-1", role=role, name="Staff", email="staff@scfhs.gov.sa")
    assert principal_from(request_with(f"Bearer {issue_token(who, SETTINGS)}"), SETTINGS, *STAFF_ROLES) == who
    assert who.is_staff and who.oversees is (role != "reviewer")


def test_a_practitioner_is_neither_staff_nor_overseer() -> None:
    who = Principal(id="p-1", role="practitioner", name="Sara", email="sara@example.sa")
    assert not who.is_staff and not who.oversees
    with pytest.raises(ApiError) as refused:
        principal_from(request_with(f"Bearer {issue_token(who, SETTINGS)}"), SETTINGS, *STAFF_ROLES)
    assert refused.value.code == "auth.forbidden"


def _role_decisions(tree: ast.AST) -> list[ast.Constant]:
    """Staff role names a decision is made on: compared with, listed in a collection, or passed to
    principal_from. (A form field or an English word that happens to read "reviewer" is not one.)"""
    suspects: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            suspects += [node.left, *node.comparators]
        elif isinstance(node, ast.Tuple | ast.List | ast.Set) and all(
            isinstance(e, ast.Starred) or (isinstance(e, ast.Constant) and e.value in ROLES) for e in node.elts
        ):
            suspects += node.elts  # a list of roles (not, say, a pair of words in two languages)
        elif isinstance(node, ast.Call) and "principal_from" in (
            getattr(node.func, "id", None),
            getattr(node.func, "attr", None),
        ):
            suspects += node.args
    return [n for n in suspects if isinstance(n, ast.Constant) and n.value in STAFF_LADDER]


def test_no_service_decides_on_a_staff_role_list_of_its_own() -> None:
    """Routes take `*STAFF_ROLES` / `*OVERSEER_ROLES`; code and templates ask `.is_staff` / `.oversees`."""
    found = [
        f"{path.relative_to(SERVICES)}:{node.lineno} {node.value!r}"
        for path in SERVICES.rglob("*.py")
        for node in _role_decisions(ast.parse(path.read_text(encoding="utf-8")))
    ]
    found += [
        f"{path.relative_to(SERVICES)}:{number}"
        for path in SERVICES.rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\brole\s*(?:==|!=|in\b|not\s+in\b)", line)
    ]
    assert found == []


def test_the_scan_sees_the_mistake_it_guards_against() -> None:
    assert len(_role_decisions(ast.parse('principal_from(r, s, "practitioner", "reviewer", "admin")'))) == 2
    assert len(_role_decisions(ast.parse('ok = who.role in ("supervisor", "admin")'))) == 2
    assert _role_decisions(ast.parse('field_validator("kind", "reviewer")')) == []
    assert _role_decisions(ast.parse('TEXT = {"role.reviewer": ("مراجع", "reviewer")}')) == []
