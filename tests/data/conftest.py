from pathlib import Path

import pytest

from tests.data.builders import BUILDERS

TINY_MODEL = ["~model.net", "+model.net={_target_:tests.data.tiny_model.TinyIQA}"]
"""Overrides that swap PieAPP for a ~200-parameter model: data tests train in a second."""


@pytest.fixture(autouse=True)
def _verification_cache(monkeypatch, tmp_path_factory) -> None:
    """data.verify remembers checked files under $XDG_CACHE_HOME: not the home directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg_cache"))


@pytest.fixture(scope="session")
def datasets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny copies of every dataset in their published layouts (read-only for the tests)."""
    root = tmp_path_factory.mktemp("datasets")
    for folder, build in BUILDERS.items():
        build(root / folder)
    return root


def roots(datasets_dir: Path, source: str | None = None, target: str | None = None) -> list[str]:
    """Overrides pointing data.source/target.root at tiny copies (folder names of BUILDERS)."""
    overrides = []
    for role, folder in (("source", source), ("target", target)):
        if folder:
            overrides.append(f"data.{role}.root={datasets_dir / folder}")
    return overrides
