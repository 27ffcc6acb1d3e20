"""The older command-line forms of aggregate and inspect become the Hydra overrides they mean."""

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from hdr_iqa.aggregate import LEGACY as AGGREGATE
from hdr_iqa.inspect import LEGACY as INSPECT
from hdr_iqa.utils.legacy_args import legacy_overrides, quote


def values(overrides: list[str]) -> dict[str, object]:
    """What Hydra reads from the overrides (flags left out)."""
    parsed = OverridesParser.create().parse_overrides([o for o in overrides if "=" in o])
    return {o.key_or_group: o.value() for o in parsed}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["logs/m/2024-01-01_10-00-00"], {"dirs": ["logs/m/2024-01-01_10-00-00"]}),
        (["a", "b", "--out", "comparison"], {"dirs": ["a", "b"], "out": "comparison"}),
        (["a", "--over", "seed", "data.fold", "--metric", "plcc"],
         {"dirs": ["a"], "over": ["seed", "data.fold"], "metric": "plcc"}),
        (["a", "--over"], {"dirs": ["a"], "over": []}),  # argparse's nargs="*": nothing
        (["a", "--over", "--metric=krocc"], {"dirs": ["a"], "over": [], "metric": "krocc"}),
        (["a", "--over", "seed", "out=x"], {"dirs": ["a"], "over": ["seed"], "out": "x"}),
        (["dirs=[a,b]", "over=[]"], {"dirs": ["a", "b"], "over": []}),  # canonical: unchanged
    ],
)  # fmt: skip
def test_aggregate_forms(argv, expected):
    assert values(legacy_overrides(argv, AGGREGATE)) == expected


def test_inspect_forms_and_hydra_flags_pass_through():
    assert legacy_overrides(["x.exr", "display=hdr_pq"], INSPECT) == [
        "image='x.exr'", "display=hdr_pq"
    ]  # fmt: skip
    assert values(legacy_overrides(["a.png", "b.png"], INSPECT)) == {"image": ["a.png", "b.png"]}
    argv = ["data=kadid", "~logger", "--cfg", "job", "-m", "--info", "defaults", "--help"]
    assert legacy_overrides(argv, INSPECT) == [
        "--cfg", "job", "-m", "--info", "defaults", "--help", "data=kadid", "~logger"
    ]  # fmt: skip


def test_an_existing_path_with_equals_sign_is_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "norm=pmax,seed=0").mkdir()  # hydra.job.override_dirname style
    assert values(legacy_overrides(["norm=pmax,seed=0"], AGGREGATE)) == {
        "dirs": ["norm=pmax,seed=0"]
    }


@pytest.mark.parametrize(
    "path", ["a b/c", "x,y", "[z]", "it's", "C:\\data\\", "end\\'quote", "norm=pmax", "~/x"]
)
def test_quoted_paths_reach_the_config_unchanged(path):
    (override,) = OverridesParser.create().parse_overrides([f"image={quote(path)}"])
    assert override.value() == path
