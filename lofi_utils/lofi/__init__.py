"""Neural LoFi: deep learning as iterated low-degree spectral filtering, layer by layer.

Each layer ``l`` (with ``h_0 = x``) does, without any back-propagation {cite}`dandi2026lofi`:

1. **scale**  ``c_l^2 = (1/n) sum_i |h_{l-1}(x_i)|^2`` (training set; frozen for test points);
2. **lift**   ``z_l(x) = p_l^{-1/2} sigma(W_l^T h_{l-1}(x) / c_l + b_l)``, ``W_l`` frozen with N(0, 1) entries
   (``b_l = 0`` as in the official code, or frozen N(0, bias^2) offsets);
3. **signed covariance** ``C_l = (1/n) Z_l^T diag(w) Z_l`` with ``w = y`` or ``w = y - mean(y)``;
4. **filter** ``V_l`` = the ``k_l`` eigenvectors of ``C_l`` of largest ``|lambda|`` (both signs count);
   optionally the degree-1 direction ``v_0 = Z_l^T w / |Z_l^T w|`` first, with ``C_l`` deflated against it;
5. **next representation** ``h_l(x) = V_l^T z_l(x)`` (``k_l = None``: no filter, ``h_l = z_l``: a
   random-feature layer).

A ridge readout with intercept, its penalty chosen on held-out data, is fitted on ``h_L``.

The *kernel form* (``p -> infinity``) replaces ``Z Z^T`` by the NNGP Gram matrix ``G`` of the layer:
the filter is the top-``k`` eigenvectors ``B`` of ``M = G^{1/2} diag(w) G^{1/2}``, the dual coefficients
``A = G^{-1/2} B`` and the features ``F = G A = G^{1/2} B`` (train) and ``K(x, X) A`` (test). With
``G = Z Z^T`` this is an exact identity with the finite-width filter: ``Z V = G^{1/2} B`` column by
column up to sign, and ``eig(C) = eig(M) / n``. Without any filter the recursion is the deep NNGP
kernel, the lazy limit of a random-feature network.

Scale: the filter can be applied matrix-free, ``v -> Z^T (w * (Z v)) / n`` in row chunks, so a layer of
width ``p`` never forms a ``p x p`` matrix; the top-``k`` eigenpairs then come from block subspace
iteration with Rayleigh--Ritz (:func:`top_k_abs`, ``method="subspace"``). Everything runs in PyTorch
on the given device; kernels (the ``p -> infinity`` form) are float64 NumPy.

Modules (every public name is also importable from this package, e.g.
``from lofi_utils.lofi import NeuralLoFi``):

* :mod:`~lofi_utils.lofi.lift`        -- the random lift :class:`RandomLift`, its activations (the registry's).
* :mod:`~lofi_utils.lofi.filtering`   -- the signed covariance :class:`SignedCovariance` and the top-``k``
  filter :func:`top_k_abs` (dense, subspace iteration, ARPACK); :func:`subspace_distance`.
* :mod:`~lofi_utils.lofi.ridge`       -- the ridge and kernel-ridge readouts, the Gram-matrix centring.
* :mod:`~lofi_utils.lofi.model`       -- :class:`NeuralLoFi`, the finite-width model of any depth.
* :mod:`~lofi_utils.lofi.kernel_form` -- NNGP Gram matrices, the dual filter and :class:`KernelLoFi`.
* :mod:`~lofi_utils.lofi.conv`        -- patches, the signed patch covariance and :class:`ConvLoFi`.
* :mod:`~lofi_utils.lofi.targets`     -- the hierarchical Gaussian target and the overlap measures.
* :mod:`~lofi_utils.lofi.tensors`     -- tensor placement and the input checks the modules share.

Activations: ``"relu"`` is ``sqrt(2) max(z, 0)`` as everywhere in the book, ``"sigmoid"`` the
logistic function, ``"erf"`` and ``"tanh"`` as in :mod:`lofi_utils.kernels` (one registry,
:mod:`lofi_utils.activations`). The kernel form has closed forms for ``relu`` and ``erf`` only.
"""

from .conv import ConvLoFi, patch_signed_covariance, patches
from .filtering import SOLVERS, EigenResult, SignedCovariance, order_by_abs, subspace_distance, top_k_abs
from .kernel_form import (
    KERNEL_ACTIVATIONS,
    KernelFilter,
    KernelLoFi,
    deep_nngp,
    deep_ntk,
    dual_gram,
    dual_gram_dot,
    kernel_filter,
    lofi_features_dual,
    nngp_gram,
)
from .lift import ACTIVATIONS, RandomLift, check_activation, torch_activation
from .model import LayerState, NeuralLoFi
from .ridge import (
    DEFAULT_LAMS,
    RidgeFit,
    center_gram,
    center_gram_eval,
    check_penalties,
    fit_kernel_ridge,
    fit_ridge,
    loo_mse,
    ridge_closed_form,
)
from .targets import HierarchicalTarget, hidden_overlap, hierarchical_target, span_r2

__all__ = [
    "ACTIVATIONS",
    "KERNEL_ACTIVATIONS",
    "DEFAULT_LAMS",
    "SOLVERS",
    "check_activation",
    "torch_activation",
    "RandomLift",
    "SignedCovariance",
    "EigenResult",
    "order_by_abs",
    "top_k_abs",
    "subspace_distance",
    "RidgeFit",
    "check_penalties",
    "ridge_closed_form",
    "fit_ridge",
    "center_gram",
    "center_gram_eval",
    "fit_kernel_ridge",
    "loo_mse",
    "LayerState",
    "NeuralLoFi",
    "dual_gram",
    "nngp_gram",
    "deep_nngp",
    "deep_ntk",
    "dual_gram_dot",
    "KernelFilter",
    "kernel_filter",
    "KernelLoFi",
    "lofi_features_dual",
    "patches",
    "patch_signed_covariance",
    "ConvLoFi",
    "HierarchicalTarget",
    "hierarchical_target",
    "hidden_overlap",
    "span_r2",
]
