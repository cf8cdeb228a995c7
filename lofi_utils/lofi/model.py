"""Neural LoFi at finite width: lift -> signed covariance -> top-``k`` filter, layer by layer, then ridge.

The model of {cite}`dandi2026lofi` as an estimator (:class:`NeuralLoFi`, imported as
``from lofi_utils.lofi import NeuralLoFi``): every layer ``l`` (``h_0 = x``) scales and lifts its input with a
frozen :class:`~lofi_utils.lofi.lift.RandomLift`, forms the signed covariance
:class:`~lofi_utils.lofi.filtering.SignedCovariance` of the lifted features, keeps the ``k_l`` eigenvectors of
largest ``|lambda|`` (:func:`~lofi_utils.lofi.filtering.top_k_abs`) and passes ``h_l = V_l^T z_l`` on; a ridge
readout (:mod:`lofi_utils.lofi.ridge`) is fitted on ``h_L``. No back-propagation anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from numpy.typing import ArrayLike

from ..streams import int_seed
from ..validation import check_choice, check_int, check_nonnegative
from .filtering import SOLVERS, SignedCovariance, top_k_abs
from .lift import RandomLift, check_activation
from .ridge import DEFAULT_LAMS, RidgeFit, check_penalties, fit_kernel_ridge, fit_ridge
from .tensors import check_inputs, check_labels, default_dtype

__all__ = ["LayerState", "NeuralLoFi"]


@dataclass
class LayerState:
    """What one fitted layer keeps: its lift, its filter ``V`` (p, k) or ``None``, and the spectrum."""

    lift: RandomLift
    V: torch.Tensor | None
    eigvals: torch.Tensor | None
    all_eigvals: torch.Tensor | None = None
    solver: str = ""
    iterations: int = 0
    shift: torch.Tensor | None = None  # subtracted from V^T z when the layer whitens its output


def _norm_list(v: object, L: int, name: str) -> list:
    if isinstance(v, (list, tuple)):
        if len(v) != L:
            raise ValueError(f"{name} has {len(v)} entries for {L} layers")
        return list(v)
    return [v] * L


class NeuralLoFi:
    """Neural LoFi of any depth: lift -> signed covariance -> top-``k`` by ``|lambda|`` -> ..., then ridge.

    Layer ``l = 1..L`` maps ``h_{l-1}`` (n, m_{l-1}) (``h_0 = x``, ``m_0 = d``) to
    ``z_l = p_l^{-1/2} sigma_l(W_l^T h_{l-1} / c_l + b_l)`` (n, p_l), forms ``C_l = (1/n) Z_l^T diag(w) Z_l``
    and keeps ``h_l = V_l^T z_l`` (n, k_l), ``V_l`` (p_l, k_l) the eigenvectors of largest ``|lambda|``; an
    unfiltered layer (``k_l = None``) passes ``h_l = z_l`` on. A ridge readout with intercept is fitted on
    ``h_L``, its penalty chosen on held-out data. Import path: ``from lofi_utils.lofi import NeuralLoFi``.

    Parameters
    ----------
    widths : sequence of int, length L
        Lift widths ``p_l >= 1``.
    ranks : sequence of (int or None), length L
        Kept ranks ``1 <= k_l <= p_l``, or ``None`` for no filter (a random-feature layer).
    activation : str or sequence of str
        One name of :data:`~lofi_utils.lofi.lift.ACTIVATIONS` for every layer, or one per layer.
    center_y : bool
        Weights ``w = y - mean(y)`` in ``C`` (default); ``False``: ``w = y`` as in the official code.
    center_z : bool
        ``False`` (default, as in the authors' code): the signed covariance of the lifted features ``z`` as they
        are. ``True``: filtered layers use the centred features ``z - mean(z)``, so that the ReLU mean cannot
        take a filter slot or dominate the next layer's scale -- a variant of this book, which changes the best
        kept rank (chapter 3, section 4).
    prepend_linear : bool or sequence of bool
        Keep the degree-1 direction ``E[w z] / |E[w z]|`` as the first filter and deflate ``C`` against it; one
        flag or one per layer.
    whiten : bool or sequence of bool
        Whiten the filtered features with their training mean and covariance (the follow-up code
        standardises them); one flag or one per layer.
    bias : float or sequence of float
        Standard deviation ``>= 0`` of the lifts' frozen offsets ``b_l`` (see
        :class:`~lofi_utils.lofi.lift.RandomLift`); default ``0`` as in the official code. A positive bias
        matters when a filtered layer passes on only a few features.
    solver : {"auto", "dense", "subspace", "arpack"}
        The eigen-solver of :func:`~lofi_utils.lofi.filtering.top_k_abs`.
    seed : int
        Draws the lifts: layer ``l`` (from 0) uses the stream ``(seed, "lofi.lift", l)``, its subspace iteration
        ``(seed, "lofi.top_k", l)`` (:mod:`lofi_utils.streams`), so no two layers or seeds share a stream.
    device : torch.device or str, optional
        Where every tensor lives; default the CPU.
    dtype : torch.dtype, optional
        The working precision; default float64 on the CPU, float32 on an accelerator.
    lams : sequence of float
        The ridge penalty grid (default :data:`~lofi_utils.lofi.ridge.DEFAULT_LAMS`).
    cache_bytes : float
        Keep ``Z_l`` (n, p_l) whole when it takes at most ``|cache_bytes|`` bytes, else recompute it in row
        chunks at each product; negative: on CUDA use 40 % of the free memory instead (:meth:`cache_limit`).
    chunk : int
        Rows per block of the lifts (:meth:`~lofi_utils.lofi.lift.RandomLift.chunks`).
    tol : float
        Relative Ritz residual at which the subspace iteration stops.

    Attributes
    ----------
    layers : list of LayerState
        After :meth:`fit`: each layer's lift, filter ``V`` (p_l, k_l) or ``None``, eigenvalues (k_l,).
    readout : RidgeFit
        After :meth:`fit`: the ridge readout; kernel ridge on ``Z_L Z_L^T`` (accumulated over blocks of
        ``p_L``, no n x p_L matrix kept) when the last layer is unfiltered and wider than ``n``
        (:attr:`dual_readout`).

    Notes
    -----
    :meth:`fit` ``(X (n, d), y (n,))`` returns the fitted model, its ridge penalty chosen by leave-one-out
    (``X_val=(n_v, d), y_val=(n_v,)``: on a held-out set instead);
    :meth:`transform` ``(X (n_e, d))`` returns ``h_L`` (n_e, k_L or p_L), or ``h_l`` with ``upto=l``;
    :meth:`predict` returns the readout (n_e,) in float64; :meth:`mse` the test mean squared error.
    """

    def __init__(
        self,
        widths: Sequence[int],
        ranks: Sequence[int | None],
        *,
        activation: str | Sequence[str] = "relu",
        center_y: bool = True,
        center_z: bool = False,
        prepend_linear: bool | Sequence[bool] = False,
        whiten: bool | Sequence[bool] = False,
        bias: float | Sequence[float] = 0.0,
        solver: str = "auto",
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        lams: Sequence[float] = DEFAULT_LAMS,
        cache_bytes: float = -2e9,
        chunk: int = 8192,
        tol: float = 1e-10,
    ) -> None:
        """Check the options (see the class docstring) and set up an unfitted model."""
        widths = list(widths)
        if not widths:
            raise ValueError("need at least one layer")
        self.widths = [check_int(p, "width", minimum=1) for p in widths]
        self.ranks = _norm_list(list(ranks), len(widths), "ranks")
        for p, k in zip(self.widths, self.ranks):
            if k is not None:
                k = check_int(k, "rank k", minimum=1)
                if k > p:
                    raise ValueError(f"rank k={k} exceeds the width p={p}")
        self.activations = [check_activation(a) for a in _norm_list(activation, len(widths), "activation")]
        check_choice(solver, "solver", SOLVERS)
        self.prepend_linear = [bool(v) for v in _norm_list(prepend_linear, len(widths), "prepend_linear")]
        self.center_y, self.center_z, self.solver = bool(center_y), bool(center_z), solver
        self.whiten = [bool(v) for v in _norm_list(whiten, len(widths), "whiten")]
        self.biases = [
            check_nonnegative(v, "bias (a standard deviation)") for v in _norm_list(bias, len(widths), "bias")
        ]
        self.seed = check_int(seed, "seed", minimum=0)
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.dtype = dtype or default_dtype(self.device)
        chunk, tol = check_int(chunk, "chunk", minimum=1), check_nonnegative(tol, "tol")
        self.lams, self.cache_bytes = check_penalties(lams), float(cache_bytes)
        self.chunk, self.tol = int(chunk), float(tol)
        self.layers: list[LayerState] = []
        self.readout: RidgeFit | None = None
        self._H_train: torch.Tensor | None = None  # inputs of an unfiltered last layer read out in the dual

    def cache_limit(self) -> float:
        """The bytes up to which a filtered layer keeps its features ``Z`` (n, p) whole (``cache_bytes``)."""
        if self.device.type == "cuda" and self.cache_bytes < 0:
            free, _ = torch.cuda.mem_get_info(self.device)
            return 0.4 * free
        return abs(self.cache_bytes)

    @property
    def dual_readout(self) -> bool:
        """Whether the fitted readout is kernel ridge on the last lift's Gram matrix (an unfiltered last layer
        wider than ``n``)."""
        return self._H_train is not None

    def _wide_last_layer(self, n: int) -> bool:
        st = self.layers[-1]
        return st.V is None and st.lift.p > n

    # -- one layer
    def _filter(self, lift: RandomLift, H: torch.Tensor, w: torch.Tensor, k: int, layer: int):
        n, p = H.shape[0], lift.p
        cache = n * p * torch.finfo(self.dtype).bits / 8 <= self.cache_limit()
        if self.center_z:
            lift.fit_mean(H)
        Z = lift.features(H) if cache else None  # built block by block: no three n x p temporaries
        op = SignedCovariance(w, Z=Z) if cache else SignedCovariance(w, lift=lift, H=H)
        vecs, vals = [], []
        if self.prepend_linear[layer]:
            v0 = op.linear()
            nv = torch.linalg.vector_norm(v0)
            if nv > 0:
                v0 = v0 / nv
                vecs.append(v0[:, None])
                vals.append(float("nan"))
                op.u = v0[:, None]
        kk = k - len(vecs)
        res = None
        if kk > 0:
            res = top_k_abs(op, kk, method=self.solver, seed=int_seed(self.seed, "lofi.top_k", layer), tol=self.tol)
            vecs.append(res.vectors)
        V = torch.cat(vecs, dim=1)
        ev = torch.cat(
            [
                torch.as_tensor(vals, dtype=self.dtype, device=self.device),
                res.values if res is not None else torch.empty(0, dtype=self.dtype, device=self.device),
            ]
        )
        state = LayerState(
            lift=lift,
            V=V,
            eigvals=ev,
            all_eigvals=None if res is None else res.all_values,
            solver="" if res is None else res.method,
            iterations=0 if res is None else res.iterations,
        )
        Hn = torch.cat([Zc @ V for _, Zc in lift.chunks(H)]) if Z is None else Z @ V
        if self.whiten[layer]:
            # whiten the k filtered features on the training set: h <- S^{-1/2} (h - mean), S = Cov(h)
            m = Hn.mean(0)
            ev, U = torch.linalg.eigh(torch.cov(Hn.T).reshape(Hn.shape[1], Hn.shape[1]))
            T = U / ev.clamp_min(ev.max() * 1e-12).sqrt()
            state.V, state.shift = V @ T, m @ T
            Hn = (Hn - m) @ T
        return state, Hn

    def fit(
        self, X: ArrayLike, y: ArrayLike, *, X_val: ArrayLike | None = None, y_val: ArrayLike | None = None
    ) -> NeuralLoFi:
        """Fit the filters on ``(X, y)`` and the ridge readout, its penalty chosen by exact leave-one-out on
        ``(X, y)`` (the authors' algorithm, :func:`~lofi_utils.lofi.ridge.fit_ridge`), or on ``(X_val, y_val)``
        when given.

        Every filtered layer needs ``k_l <= n``: the signed covariance of ``n`` samples has rank at most ``n``
        (as in :class:`~lofi_utils.lofi.kernel_form.KernelLoFi`).

        Parameters
        ----------
        X : array_like or torch.Tensor
            Training inputs, shape (n, d), finite.
        y : array_like
            Training labels, shape (n,).
        X_val : array_like or torch.Tensor, optional
            Held-out inputs, shape (n_v, d), for the penalty (give ``y_val`` too).
        y_val : array_like, optional
            Held-out labels, shape (n_v,).

        Returns
        -------
        NeuralLoFi
            ``self``, fitted (:attr:`layers`, :attr:`readout`).
        """
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val (held-out penalty) or neither (leave-one-out)")
        H = check_inputs(X, "X", self.device, self.dtype)
        n = H.shape[0]
        for l, k in enumerate(self.ranks):
            if k is not None and k > n:
                raise ValueError(f"rank k of layer {l + 1} must be <= the number of training samples n = {n}, got {k}")
        held = X_val is not None
        if held:
            X_val = check_inputs(X_val, "X_val", self.device, self.dtype, d=H.shape[1])
            check_labels(y_val, X_val.shape[0], self.device, torch.float64, "y_val")
        yt = check_labels(y, H.shape[0], self.device, self.dtype)
        w = yt - yt.mean() if self.center_y else yt
        self.layers = []
        for l, (p, k, act) in enumerate(zip(self.widths, self.ranks, self.activations)):
            lift = RandomLift(
                H.shape[1],
                p,
                activation=act,
                seed=int_seed(self.seed, "lofi.lift", l),
                bias=self.biases[l],
                device=self.device,
                dtype=self.dtype,
                chunk=self.chunk,
            ).fit_scale(H)
            if k is None:
                self.layers.append(LayerState(lift=lift, V=None, eigvals=None))
                if l < len(self.widths) - 1 or not self._wide_last_layer(H.shape[0]):
                    H = lift(H)
            else:
                state, H = self._filter(lift, H, w, k, l)
                self.layers.append(state)
        if self._wide_last_layer(H.shape[0]):
            # last layer wider than n: kernel ridge on Z Z^T accumulated over blocks of p
            self._H_train = H
            lift = self.layers[-1].lift
            Kv = lift.gram(self.transform(X_val, upto=len(self.layers) - 1), H) if held else None
            self.readout = fit_kernel_ridge(
                lift.gram(H), yt.to(torch.float64), K_val=Kv, y_val=y_val, lams=self.lams, overwrite=True
            )
        else:
            self._H_train = None
            Fv = self.transform(X_val) if held else None
            self.readout = fit_ridge(H, yt, F_val=Fv, y_val=y_val, lams=self.lams)
        return self

    def transform(self, X: ArrayLike, *, upto: int | None = None) -> torch.Tensor:
        """The representation ``h_l`` after layer ``l = upto`` (default: the last, ``h_L``).

        Parameters
        ----------
        X : array_like or torch.Tensor
            Inputs, shape (n_e, d).
        upto : int, optional
            The layer ``l`` (``0``: the inputs themselves).

        Returns
        -------
        torch.Tensor
            Shape (n_e, k_l) for a filtered layer, (n_e, p_l) for an unfiltered one, on :attr:`device`.
        """
        if not self.layers:
            raise ValueError("fit the model first")
        H = check_inputs(X, "X", self.device, self.dtype, d=self.layers[0].lift.m)
        for st in self.layers[: (len(self.layers) if upto is None else upto)]:
            if st.V is None:
                H = st.lift(H)
            else:
                H = torch.cat([Zc @ st.V for _, Zc in st.lift.chunks(H)])
                if st.shift is not None:
                    H = H - st.shift
        return H

    def predict(self, X: ArrayLike) -> torch.Tensor:
        """Readout predictions ``beta^T h_L(x) + b``.

        Parameters
        ----------
        X : array_like or torch.Tensor
            Inputs, shape (n_e, d).

        Returns
        -------
        torch.Tensor
            Predictions, shape (n_e,), float64, on :attr:`device`.
        """
        if self.readout is None:
            raise ValueError("fit the model first")
        if self._H_train is not None:
            He = self.transform(X, upto=len(self.layers) - 1)
            return self.readout.predict_kernel(self.layers[-1].lift.gram(He, self._H_train))
        return self.readout.predict(self.transform(X))

    def mse(self, X: ArrayLike, y: ArrayLike) -> float:
        """Test mean squared error ``mean((predict(X) - y)^2)`` of the readout.

        Parameters
        ----------
        X : array_like or torch.Tensor
            Test inputs, shape (n_e, d).
        y : array_like
            Test labels, shape (n_e,).

        Returns
        -------
        float
            The mean squared error.
        """
        pred = self.predict(X)
        yt = check_labels(y, pred.shape[0], pred.device, torch.float64)
        return float(((pred - yt) ** 2).mean())
