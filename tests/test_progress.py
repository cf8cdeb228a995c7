"""Progress bars show when a person runs a chapter and never in the built book (issue 15, item 5).

One decision (:func:`lofi_utils.runtime.progress_default`, read from ``$LOFI_PROGRESS``) gives every function of
the book that draws a ``tqdm`` bar its default; the book build and ``python -m lofi_utils run`` set
``LOFI_PROGRESS=0``. These tests run each such function for a few steps with the variable as the build sets it
(no bar may reach stderr) and unset, as in a person's session (the bar shows; the escape simulators, whose code
keys stored results, keep their bar off unless asked)."""

import ast
import os

import nbformat
import numpy as np
import pytest
from conftest import PROGRESS_BAR, ROOT, saved_progress_bars

from lofi_utils import escape_scans, runtime, sgd, sgd_chain
from lofi_utils.chapters.amplitude_phase import tracking
from lofi_utils.chapters.neural_lofi.depth import depth_study
from lofi_utils.chapters.spectral_bias.activation_comparison import compare_activations
from lofi_utils.chapters.spectral_bias.fourier_feature_fits import train_fourier_features
from lofi_utils.lofi.targets import hierarchical_target
from lofi_utils.phase_model import PhaseModel
from lofi_utils.runner import run_notebook
from lofi_utils.training1d import train_sum_of_sines_batch

#: functions whose ``progress`` is not a chapter's bar: papermill's bar of cells (in the terminal that runs
#: ``python -m lofi_utils run --progress``) and the ``reproduce`` command's bar of cells
NOT_CHAPTER_BARS = {"lofi_utils.runner:run_notebook", "lofi_utils.reproduce.engines:run_cells"}
#: the escape simulators keep ``progress=False`` (no bar unless asked, so none in the book either): their code is
#: hashed into the stored paper-scale results (``results/amplitude_phase/*.json``), which any change of it
#: (a default included) would make stale
OFF_BY_DEFAULT = {
    "lofi_utils.sgd:phase_sgd",
    "lofi_utils.sgd_chain:overlap_chain",
    "lofi_utils.escape_scans:escape_time_scan",
    "lofi_utils.escape_scans:powerlaw_scan",
}

_SINES = dict(freqs=(1, 3), n_points=32, width=8, depth=2, lr=1e-2, steps=3, record_every=1, device="cpu")
_FF = dict(
    p_values=(None, 1.0),
    n_train=16,
    subsample=2,
    max_freq=4,
    n_features=4,
    width=8,
    depth=2,
    steps=3,
    residual_freqs=(1, 5),
    device="cpu",
)


def _images(n=12, size=4, K=2):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 1, size, size)), np.arange(n) % K


def _phase_model():
    return PhaseModel.make(8, 1.0, rng=0)


#: a few steps of every function that draws a chapter's bar
CALLS = {
    "train_sum_of_sines_batch": lambda: train_sum_of_sines_batch([0], **_SINES),
    "train_fourier_features": lambda: train_fourier_features(**_FF),
    "compare_activations": lambda: compare_activations(("tanh",), run_seeds=(0,), **_SINES),
    "phase_sgd": lambda: sgd.phase_sgd(
        _phase_model().lam, _phase_model().u_fourier, eta=2 / 64, max_steps=20, runs=2, seed=0
    ),
    "overlap_chain": lambda: sgd_chain.overlap_chain(8, eta=2 / 64, max_steps=20, runs=2, seed=0),
    "escape_time_scan": lambda: escape_scans.escape_time_scan([8], seeds=2, c=2.0, cap=0.05),
    "powerlaw_scan": lambda: escape_scans.powerlaw_scan(8, [1.0], "flat", spikes=1, seeds=2, cap=0.05),
    "train_tracking": lambda: tracking.train_tracking(*_images(), steps=3, width=4),
    "depth_study": lambda: depth_study(
        hierarchical_target(8, 2, rng=np.random.default_rng(0)), [40], p1=8, p2=6, p_out=4, n_test=20, seeds=1
    ),
}


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_the_default_reads_lofi_progress(monkeypatch):
    monkeypatch.delenv("LOFI_PROGRESS", raising=False)
    assert runtime.progress_default() is True  # a person's session
    for off in ("0", "false", "No", " off "):
        monkeypatch.setenv("LOFI_PROGRESS", off)
        assert runtime.progress_default() is False
        assert runtime.show_progress(None) is False and runtime.show_progress(True) is True
    for on in ("1", "true", "YES", "on", ""):
        monkeypatch.setenv("LOFI_PROGRESS", on)
        assert runtime.progress_default() is True
        assert runtime.show_progress(None) is True and runtime.show_progress(False) is False
    monkeypatch.setenv("LOFI_PROGRESS", "sometimes")
    with pytest.raises(ValueError, match=r"\$LOFI_PROGRESS must be 0 or 1 .*got 'sometimes'"):
        runtime.show_progress(None)


def _progress_defaults() -> dict[str, object]:
    """``{"module:function": default}`` for every public function of ``lofi_utils`` with a ``progress`` keyword."""
    found = {}
    for path in sorted((ROOT / "lofi_utils").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            a = node.args
            pos = a.posonlyargs + a.args
            pairs = list(zip(pos[len(pos) - len(a.defaults) :], a.defaults)) + list(zip(a.kwonlyargs, a.kw_defaults))
            for arg, default in pairs:
                if arg.arg == "progress":
                    found[f"{module}:{node.name}"] = ast.literal_eval(default) if default is not None else "required"
    return found


def test_every_chapter_bar_defaults_to_the_one_decision():
    defaults = _progress_defaults()
    assert NOT_CHAPTER_BARS | OFF_BY_DEFAULT <= set(defaults), "the scan no longer finds the functions it exempts"
    assert {k: defaults[k] for k in OFF_BY_DEFAULT} == dict.fromkeys(OFF_BY_DEFAULT, False)
    chapter = {k: v for k, v in defaults.items() if k not in NOT_CHAPTER_BARS | OFF_BY_DEFAULT}
    assert len(chapter) >= len(CALLS) - len(OFF_BY_DEFAULT), f"functions with a progress keyword: {sorted(chapter)}"
    assert {k: v for k, v in chapter.items() if v is not None} == {}, "progress must default to None"
    assert {k.split(":")[1] for k in chapter} <= set(CALLS), "a function with a bar that this file does not run"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_no_bar_under_the_build_and_a_bar_for_a_person(name, monkeypatch, capsys):
    monkeypatch.setenv("LOFI_PROGRESS", "0")  # as the book build and `python -m lofi_utils run` set it
    CALLS[name]()
    err = capsys.readouterr().err
    assert not PROGRESS_BAR.search(err), f"{name} drew a progress bar under LOFI_PROGRESS=0:\n{err[-400:]}"
    monkeypatch.delenv("LOFI_PROGRESS")  # a person running the chapter
    if any(k.endswith(f":{name}") for k in OFF_BY_DEFAULT):
        return
    CALLS[name]()
    err = capsys.readouterr().err
    assert PROGRESS_BAR.search(err), f"{name} drew no progress bar in a person's session:\n{err[-400:]}"


def test_the_detector_finds_saved_bars():
    bar = "sum of sines (tanh, 3 networks):  98%|#########8| 2940/3000 [00:10<00:00, 280.1it/s]"
    widget = {"text/plain": "  0%|          | 0/3000 [00:00<?, ?it/s]", "application/vnd.jupyter.widget-view+json": {}}
    nb = {
        "cells": [
            {"outputs": [{"output_type": "stream", "name": "stderr", "text": ["\r", bar]}]},
            {"outputs": [{"output_type": "display_data", "data": widget}]},
            {"outputs": [{"output_type": "stream", "name": "stdout", "text": "ReLU: 98% of the grid | 3/4 runs\n"}]},
        ]
    }
    assert [s.split(":")[0] for s in saved_progress_bars(nb)] == ["cell 0", "cell 1"]
    for text in ("1.5s/it]", "[01:02<?,", "cells: 3%|"):
        assert PROGRESS_BAR.search(text), text
    for text in ("a 98% share", "the ratio 3/4 [see eq. 2]", "50 % | of them"):
        assert not PROGRESS_BAR.search(text), text


def test_the_runner_executes_without_bars_unless_asked(tmp_path, monkeypatch):
    """``python -m lofi_utils run`` exports ``LOFI_PROGRESS=0`` and ``LOFI_UNATTENDED=1`` to the kernel (a value
    already set wins) and restores the caller's environment."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("profile = None", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(
                "from lofi_utils.training1d import train_sum_of_sines_batch\n"
                "from lofi_utils.runtime import progress_default, unattended\n"
                "print('DEFAULT', progress_default(), 'UNATTENDED', unattended())\n"
                f"train_sum_of_sines_batch([0], **{_SINES!r})"
            ),
        ]
    )
    path = tmp_path / "bars.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("LOFI_PROGRESS", raising=False)
    monkeypatch.delenv("LOFI_UNATTENDED", raising=False)
    out = nbformat.read(run_notebook(path, profile="smoke", output_dir=tmp_path / "a").output, as_version=4)
    assert "LOFI_PROGRESS" not in os.environ and "LOFI_UNATTENDED" not in os.environ
    assert "DEFAULT False UNATTENDED True" in str(out) and saved_progress_bars(out) == []
    monkeypatch.setenv("LOFI_PROGRESS", "1")
    out = nbformat.read(run_notebook(path, profile="smoke", output_dir=tmp_path / "b").output, as_version=4)
    assert os.environ["LOFI_PROGRESS"] == "1"
    assert "DEFAULT True" in str(out) and saved_progress_bars(out)
