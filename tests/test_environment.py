"""The environment is pinned exactly, and its three descriptions agree."""

import re
import tomllib

import yaml
from conftest import ROOT


def _lock():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not an exact pin"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_lock_is_exact_and_complete():
    pins = _lock()
    for needed in (
        "torch",
        "numpy",
        "scipy",
        "jupyter-book",
        "jupytext",
        "papermill",
        "matplotlib",
        "ipywidgets",
        "sphinx-exercise",
        "scikit-learn",
        "scikit-image",
        "pytest",
    ):
        assert needed in pins, f"{needed} missing from requirements.txt"
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1."), "the book is built with Jupyter Book 1.x"


def test_pyproject_pins_match_lock():
    pins = _lock()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(meta["dependencies"]) + [d for ds in meta["optional-dependencies"].values() for d in ds]
    for dep in deps:
        name, _, version = dep.partition("==")
        assert version, f"pyproject.toml: {dep!r} is not an exact pin"
        assert pins[re.sub(r"[-_.]+", "-", name).lower()] == version, dep


def test_environment_yml_matches_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {}
    for line in pip_section:
        name, _, version = line.partition("==")
        listed[re.sub(r"[-_.]+", "-", name).lower()] = version
    assert listed == _lock()
    assert "python=3.11" in env["dependencies"]


def test_version_lives_in_one_place():
    import importlib.metadata

    import lofi_utils

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lofi_utils.__version__"}
    assert importlib.metadata.version("lofi_utils") == lofi_utils.__version__
