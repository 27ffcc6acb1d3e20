"""Import layers: no module imports from a layer above its own (architecture.md)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hdr_iqa"
LAYERS = [
    {"errors", "utils"},
    {"io", "photometry", "metrics", "losses", "optim", "loggers"},
    {"data", "models"},
    {"pipeline"},
    {"module", "callbacks"},
    {"inference"},
    {"api"},
    {"results", "bench", "train", "eval", "predict", "export", "inspect", "aggregate", "__init__"},
]
"""Top-level parts of the package from the lowest layer to the entry points."""


def layer_of(part: str) -> int:
    return next(i for i, parts in enumerate(LAYERS) if part in parts)


def imported_parts(path: Path) -> set[str]:
    """The package's top-level parts ``path`` imports (also inside functions and TYPE_CHECKING)."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "hdr_iqa":
                parts.add(pieces[1] if len(pieces) > 1 else "__init__")
    return parts


def test_every_part_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists())}  # fmt: skip
    assert parts <= set().union(*LAYERS), parts - set().union(*LAYERS)


def test_no_import_runs_up_the_layers():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        part = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for imported in imported_parts(path):
            if layer_of(imported) > layer_of(part):
                upward.append(f"{path.relative_to(PACKAGE)} imports hdr_iqa.{imported}")
    assert not upward, upward
