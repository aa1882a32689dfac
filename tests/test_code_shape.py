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


STAGES = (
    ("settings", "text"),
    ("language", "models"),
    ("index",),
    ("ingest", "search"),
    ("answer",),
    ("generation",),
    ("conversation", "catalog"),
    ("service",),
    ("composition", "evaluation"),
)
"""The retrieval layer's stages from the ground up (docs/architecture.md): a stage imports only the
stages below it, never one beside it or above it, so each can be read knowing only what is under it."""


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every `from X import …` and `import X` of a file, inside functions and TYPE_CHECKING too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "retrieval" or len(parts) < 2:
        return None
    return next(rank for rank, names in enumerate(STAGES) if parts[1] in names)


def test_every_retrieval_module_belongs_to_a_stage():
    tops = {path.relative_to(REPO / "retrieval").parts[0].removesuffix(".py")
            for path in SOURCES if path.is_relative_to(REPO / "retrieval")}
    assert tops - {"__init__"} == {name for names in STAGES for name in names}


def test_no_import_in_retrieval_runs_back_up_or_sideways():
    wrong = []
    for path in SOURCES:
        if not path.is_relative_to(REPO / "retrieval") or path == REPO / "retrieval" / "__init__.py":
            continue
        own = path.relative_to(REPO / "retrieval").parts[0].removesuffix(".py")
        rank = next(r for r, names in enumerate(STAGES) if own in names)
        for line, module in _imports(path):
            target = _stage(module)
            if target is not None and module.split(".")[1] != own and target >= rank:
                wrong.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not wrong, wrong


def test_the_bot_imports_only_the_retrieval_layers_public_surface():
    private = [f"{path.relative_to(REPO)}:{line} imports {module}"
               for path in SOURCES if path.is_relative_to(REPO / "bot")
               for line, module in _imports(path) if module.startswith("retrieval.")]
    assert not private, private


@pytest.mark.parametrize(("folder", "forbidden"), [("tests", "bench"), ("bench", "tests"), ("harness", "tests"),
                                                   ("harness", "bench")])
def test_tests_and_benches_share_only_the_harness(folder: str, forbidden: str):
    crossing = [f"{path.relative_to(REPO)}:{line} imports {module}"
                for path in sorted((REPO / folder).rglob("*.py"))
                for line, module in _imports(path) if module.split(".")[0] == forbidden]
    assert not crossing, crossing
