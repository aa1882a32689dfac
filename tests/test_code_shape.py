"""The house rules a newcomer can rely on (docs/architecture.md): no class over 200 lines and no
function over 60 in the product (`bot/`, `retrieval/`), so each part can be read in one sitting."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(path for package in ("bot", "retrieval") for path in (REPO / package).rglob("*.py"))


def spans(kind: type | tuple[type, ...]) -> list[tuple[str, int]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, kind):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                found.append((f"{path.relative_to(REPO)}:{node.lineno} {node.name}", length))  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize(("kind", "limit"), [(ast.ClassDef, 200), ((ast.FunctionDef, ast.AsyncFunctionDef), 60)],
                         ids=["classes", "functions"])
def test_no_class_or_function_is_longer_than_the_house_limit(kind, limit: int):
    assert SOURCES
    too_long = [(name, length) for name, length in spans(kind) if length > limit]
    assert not too_long, too_long
