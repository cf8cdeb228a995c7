"""Section 7: Tancik et al.'s 1-D experiment, a network fitting a power-law signal with and without Fourier features.

:func:`train_fourier_features` trains one :func:`lofi_utils.training1d.mlp` per mapping
(:func:`lofi_utils.fourier_features.tancik_mapping` ``(p)``, or the raw input) on every ``subsample``-th point
of a :func:`lofi_utils.data.power_law_signal`, and records the train and test errors and the training
residual's amplitude at a few frequencies (:func:`lofi_utils.spectral1d.fourier_amplitudes`).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from ...data import power_law_signal, unit_grid
from ...fourier_features import fourier_features, tancik_mapping
from ...runtime import show_progress
from ...spectral1d import check_frequencies, fourier_amplitudes
from ...tables import Table
from ...training1d import OPTIMIZERS, resolve_device, seeded_mlp
from ...validation import check_choice, check_int, check_positive

__all__ = ["FourierFeatureResult", "train_fourier_features"]


def _variant_label(p) -> str:
    if p is None:
        return "no mapping"
    return "p = inf" if math.isinf(float(p)) else f"p = {float(p):g}"


@dataclass
class FourierFeatureResult:
    """Result of :func:`train_fourier_features`.

    ``labels`` (V,) and ``p_values`` (V,) name the variants (``None`` = raw input ``x - 1/2``);
    ``x`` (N,) and ``signal`` (N,) the dense grid and target; ``train_idx`` (n_train,) the training
    points (every ``subsample``-th); ``steps`` (R,); ``train_mse`` / ``test_mse`` (V,) after the last
    step (test = the N - n_train held-out grid points); ``train_history`` / ``test_history`` (V, R);
    ``residual_freqs`` (F,) and ``residual`` (V, R, F) the amplitudes ``2|FFT|_k/n_train`` of the
    training residual ``f(x_i) - y_i``; ``target_components`` (F,) the same for the targets ``y_i``;
    ``predictions`` (V, N) the final networks on the grid; ``seconds`` (V,).
    """

    labels: list
    p_values: list
    x: np.ndarray
    signal: np.ndarray
    train_idx: np.ndarray
    steps: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray
    train_history: np.ndarray
    test_history: np.ndarray
    residual_freqs: np.ndarray
    residual: np.ndarray
    target_components: np.ndarray
    predictions: np.ndarray
    seconds: np.ndarray
    config: dict = field(default_factory=dict)

    @property
    def best_index(self) -> np.ndarray:
        """(V,) the record at which each variant's training MSE was lowest (full-batch Adam near machine precision
        can spike at a late step: the best fit reached within the budget is what a variant can fit)."""
        return np.argmin(self.train_history, axis=1)

    @property
    def best_train_mse(self) -> np.ndarray:
        """(V,) the lowest training MSE of each variant over the recorded steps."""
        return self.train_history[np.arange(len(self.labels)), self.best_index]

    def best_residual(self, freq: int) -> np.ndarray:
        """(V,) the training residual's amplitude at ``freq`` (one of ``residual_freqs``), at each variant's
        best record (:attr:`best_index`)."""
        j = list(self.residual_freqs).index(freq)
        return self.residual[np.arange(len(self.labels)), self.best_index, j]

    def table(self) -> Table:
        """Per variant: the lowest train MSE over training, the train and test MSE after the last step."""
        rows = [
            [
                lab,
                f"{self.best_train_mse[i]:.3g}",
                f"{self.train_mse[i]:.3g}",
                f"{self.test_mse[i]:.3g}",
                f"{self.seconds[i]:.1f}",
            ]
            for i, lab in enumerate(self.labels)
        ]
        return Table(["variant", "best train MSE", "final train MSE", "test MSE", "seconds"], rows)

    def index(self, p: float | None) -> int:
        """Position of the variant with exponent ``p`` (``None`` for no mapping)."""
        for i, q in enumerate(self.p_values):
            if (p is None and q is None) or (p is not None and q is not None and float(p) == float(q)):
                return i
        raise ValueError(f"no variant p={p!r}; have {self.labels}")


def train_fourier_features(
    *,
    p_values: Sequence[float | None] = (None, 0.0, 1.0, math.inf),
    n_train: int = 32,
    subsample: int = 8,
    signal_exponent: float = 1.0,
    max_freq: int = 64,
    n_features: int = 16,
    width: int = 256,
    depth: int = 3,
    lr: float = 1e-3,
    steps: int = 2000,
    record_every: int = 20,
    residual_freqs: Sequence[int] = (1, 5, 15),
    seed: int = 0,
    optimizer: str = "adam",
    device: torch.device | str | None = None,
    progress: bool | None = None,
) -> FourierFeatureResult:
    """The reduced Tancik et al. 1-D experiment: an MLP with and without Fourier features.

    Target: :func:`lofi_utils.data.power_law_signal` on ``N = n_train * subsample`` grid points (exponent
    ``signal_exponent``, content up to ``max_freq``); training set every ``subsample``-th point, test set
    the others. For each ``p`` in ``p_values`` the input is ``gamma(x)`` of
    :func:`lofi_utils.fourier_features.tancik_mapping` ``(p, n_features)`` -- or ``x - 1/2`` for
    ``p = None`` -- followed by :func:`lofi_utils.training1d.mlp` ``(., width, depth, "plain_relu")``
    (PyTorch's ``nn.ReLU``); loss: train MSE, full batch, Adam(``lr``) (or gradient descent,
    ``optimizer="gd"``), float32. Every network starts from the seed ``seed`` (the signal too).

    Tancik et al. use 4 x 1024 dense layers (``depth=3, width=1024``), gradient descent with lr 1e-5
    on half the *summed* squared error and 50k steps -- the same as ``optimizer="gd"`` on the MSE
    with ``lr = 1e-5 * n_train / 2``; the reduced defaults (4 x 256, Adam 1e-3, 2000 steps) run in
    seconds.

    Parameters
    ----------
    p_values : the V mappings' exponents (``None``: no mapping, the raw input ``x - 1/2``).
    n_train, subsample : training points and grid refinement (``N = n_train * subsample`` grid points).
    signal_exponent, max_freq : the target's amplitude decay ``f^-p`` and its highest frequency.
    n_features : ``m`` of the mappings. width, depth : the network (``depth`` hidden layers).
    lr, steps, record_every, optimizer : the training. residual_freqs : the F frequencies of the training
        residual to record (``1 <= k < n_train / 2``).
    seed : seeds the signal and every network's init. device : ``None`` (auto), a name or a ``torch.device``.
    progress : show ``tqdm`` bars; ``None``: :func:`~lofi_utils.runtime.progress_default`.

    Returns
    -------
    :class:`FourierFeatureResult`
    """
    n_train = check_int(n_train, "n_train", minimum=4)
    subsample = check_int(subsample, "subsample", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    lr = check_positive(lr, "lr")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    rf = check_frequencies(residual_freqs, n_train)
    pv = list(p_values)
    if not pv:
        raise ValueError("need at least one variant in p_values")
    maps = [None if p is None else tancik_mapping(p, n_features) for p in pv]
    dev = resolve_device(device)

    N = n_train * subsample
    x = unit_grid(N)
    s = power_law_signal(N, exponent=signal_exponent, max_freq=max_freq, rng=np.random.default_rng(seed))
    train_idx = np.arange(0, N, subsample)
    test_mask = np.ones(N, bool)
    test_mask[train_idx] = False
    Xall = torch.tensor(x, dtype=torch.float32, device=dev)
    Yall = torch.tensor(s, dtype=torch.float32, device=dev)
    tr = torch.as_tensor(train_idx, device=dev)

    V = len(pv)
    rec_steps = list(range(0, steps, record_every)) + [steps]
    R = len(rec_steps)
    train_hist = np.zeros((V, R))
    test_hist = np.zeros((V, R))
    residual = np.zeros((V, R, rf.size))
    preds = np.zeros((V, N))
    secs = np.zeros(V)
    y_train_np = s[train_idx]
    for i, (p, ab) in enumerate(zip(pv, maps)):
        feats = (Xall[:, None] - 0.5) if ab is None else fourier_features(Xall, ab[1], ab[0])
        model = seeded_mlp(seed, feats.shape[1], width, depth, activation="plain_relu").to(dev)
        opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
        Ftr, Ytr = feats[tr], Yall[tr]
        outs: list[torch.Tensor] = []
        t0 = time.perf_counter()
        for t in tqdm(range(steps), desc=_variant_label(p), disable=not show_progress(progress), leave=False):
            if t % record_every == 0:
                with torch.no_grad():
                    outs.append(model(feats).view(-1))
            out = model(Ftr).view(-1)
            loss = torch.mean((out - Ytr) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            outs.append(model(feats).view(-1))
        f_all = torch.stack(outs).cpu().numpy().astype(np.float64)  # (R, N)
        secs[i] = time.perf_counter() - t0
        res_tr = f_all[:, train_idx] - y_train_np
        train_hist[i] = np.mean(res_tr**2, axis=1)
        test_hist[i] = np.mean((f_all[:, test_mask] - s[test_mask]) ** 2, axis=1)
        residual[i] = fourier_amplitudes(res_tr, rf)
        preds[i] = f_all[-1]
    config = dict(
        n_train=n_train,
        subsample=subsample,
        signal_exponent=float(signal_exponent),
        max_freq=int(max_freq),
        n_features=int(n_features),
        width=int(width),
        depth=int(depth),
        lr=lr,
        steps=steps,
        record_every=record_every,
        seed=seed,
        optimizer=optimizer,
        device=str(dev),
    )
    if not np.all(np.isfinite(preds)):
        warnings.warn(
            f"training diverged (non-finite outputs) with {optimizer} lr={lr:g}; lower the learning rate",
            RuntimeWarning,
            stacklevel=2,
        )
    return FourierFeatureResult(
        labels=[_variant_label(p) for p in pv],
        p_values=pv,
        x=x,
        signal=s,
        train_idx=train_idx,
        steps=np.asarray(rec_steps),
        train_mse=train_hist[:, -1].copy(),
        test_mse=test_hist[:, -1].copy(),
        train_history=train_hist,
        test_history=test_hist,
        residual_freqs=rf,
        residual=residual,
        target_components=fourier_amplitudes(y_train_np, rf),
        predictions=preds,
        seconds=secs,
        config=config,
    )
