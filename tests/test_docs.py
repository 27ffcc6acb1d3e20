"""Docstrings: every module of the package, and every public class, function and method in it."""

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hdr_iqa"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def modules() -> list[Path]:
    """Every ``.py`` file of the package, sorted."""
    return sorted(PACKAGE.rglob("*.py"))


def public_definitions(node: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    """``(qualified name, node)`` of the public classes and functions defined directly in
    ``node``'s body, and of the public methods of those classes (recursively); names starting
    with ``_`` are private, and so is everything inside a private class."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, DEFINITIONS) and not child.name.startswith("_"):
            yield prefix + child.name, child
            if isinstance(child, ast.ClassDef):
                yield from public_definitions(child, f"{prefix}{child.name}.")


def missing_docstrings(path: Path) -> list[str]:
    """``<file>:<line> <name>`` of each undocumented item of one module (``<module>`` for the
    module docstring)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    where = path.relative_to(PACKAGE.parent).as_posix()
    missing = [] if ast.get_docstring(tree) else [f"{where}:1 <module>"]
    for name, node in public_definitions(tree):
        if not ast.get_docstring(node):
            missing.append(f"{where}:{node.lineno} {name}")
    return missing


def test_the_package_is_found():
    assert len(modules()) > 10, f"no package modules under {PACKAGE}"


def test_every_public_item_has_a_docstring():
    missing = [item for path in modules() for item in missing_docstrings(path)]
    assert not missing, f"{len(missing)} without a docstring:\n" + "\n".join(missing)


def test_the_check_sees_undocumented_items():
    source = '''
def public(): pass
def _private(): pass
class Public:
    """Documented."""
    def method(self): pass
    @property
    def prop(self): return 1
    def _helper(self): pass
class _Private:
    def method(self): pass
'''
    tree = ast.parse(source)
    undocumented = [n for n, node in public_definitions(tree) if not ast.get_docstring(node)]
    assert undocumented == ["public", "Public.method", "Public.prop"]
