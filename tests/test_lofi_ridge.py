"""The ridge readout (lofi_utils.lofi.ridge): closed form, primal and dual paths, Gram-matrix centring."""

import numpy as np
import pytest
import torch
from lofi_testing import data, features, one_torch_thread

from lofi_utils.lofi.ridge import (
    DEFAULT_LAMS,
    center_gram,
    center_gram_eval,
    check_penalties,
    fit_kernel_ridge,
    fit_ridge,
    ridge_closed_form,
)


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_ridge_closed_form_matches_sklearn():
    from sklearn.linear_model import Ridge

    X, y = data(n=120, d=15)
    for lam in (1e-4, 1e-1):
        beta, b = ridge_closed_form(X, y, lam)
        sk = Ridge(alpha=len(y) * lam).fit(X, y)
        assert np.abs(sk.coef_ - beta).max() < 1e-10 and abs(sk.intercept_ - b) < 1e-10


@pytest.mark.parametrize("p", [30, 400])  # primal (p <= n) and dual (p > n) branches
def test_fit_ridge_equals_closed_form_and_kernel_ridge(p):
    X, y = data(n=150)
    Xv, yv = data(n=60, seed=5)
    lift, Z = features(X, p)
    Zv = lift(torch.as_tensor(Xv))
    lams = [1e-5, 1e-3, 1e-1]
    fit = fit_ridge(Z, y, F_val=Zv, y_val=yv, lams=lams)
    beta, b = ridge_closed_form(Z.numpy(), y, fit.lam)
    assert np.abs(fit.predict(Zv).numpy() - (Zv.numpy() @ beta + b)).max() < 1e-9
    # the held-out MSE of every penalty equals that of the closed form
    for lam, mse in zip(lams, fit.val_mse):
        bb, b0 = ridge_closed_form(Z.numpy(), y, lam)
        assert abs(mse - np.mean((Zv.numpy() @ bb + b0 - yv) ** 2)) < 1e-9
    kfit = fit_kernel_ridge(Z @ Z.T, y, K_val=Zv @ Z.T, y_val=yv, lams=lams)
    assert kfit.lam == fit.lam
    assert np.abs(kfit.predict_kernel(Zv @ Z.T).numpy() - fit.predict(Zv).numpy()).max() < 1e-8


def test_kernel_ridge_cholesky_path_equals_eigen_path():
    X, y = data(n=90)
    Xv, yv = data(n=30, seed=2)
    lift, Z = features(X, 300)
    Zv = lift(torch.as_tensor(Xv))
    lams = [1e-4, 1e-2, 1.0]
    a = fit_kernel_ridge(Z @ Z.T, y, K_val=Zv @ Z.T, y_val=yv, lams=lams)
    b = fit_kernel_ridge(Z @ Z.T, y, K_val=Zv @ Z.T, y_val=yv, lams=lams, eig_max=10, overwrite=True)
    assert a.lam == b.lam and np.allclose(a.val_mse, b.val_mse, atol=1e-10)
    assert torch.allclose(a.predict_kernel(Zv @ Z.T), b.predict_kernel(Zv @ Z.T), atol=1e-9)


def test_bad_parameters_raise_value_error():
    with pytest.raises(ValueError, match="penalties"):
        fit_ridge(torch.ones(5, 2), np.ones(5), F_val=torch.ones(2, 2), y_val=np.ones(2), lams=[-1.0])
    for bad in ([], [np.nan], [1.0, -1.0]):
        with pytest.raises(ValueError, match="ridge penalties must be a non-empty list of finite numbers >= 0"):
            check_penalties(bad)
    assert check_penalties(0.1).tolist() == [0.1] and len(check_penalties(DEFAULT_LAMS)) == 17


def test_center_gram_is_the_gram_matrix_of_the_centred_features():
    X, _ = data(n=40)
    Xe, _ = data(n=7, seed=1)
    lift, Z = features(X, 30)
    Ze = lift(torch.as_tensor(Xe))
    Kc, (r, a) = center_gram(Z @ Z.T)
    mu = Z.mean(0)
    assert torch.allclose(Kc, (Z - mu) @ (Z - mu).T, atol=1e-13, rtol=0)
    # test rows against the training points: the inner products of the features centred by the *training* mean
    assert torch.allclose(center_gram_eval(Ze @ Z.T, r, a), (Ze - mu) @ (Z - mu).T, atol=1e-13, rtol=0)


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = data(n=20, d=8)
_T = dict(dtype=torch.float64)


BAD_INPUTS = [
    (
        lambda: fit_ridge(torch.full((5, 2), float("nan")), np.ones(5), F_val=torch.ones(3, 2), y_val=np.ones(3)),
        "F must be finite, got 10 NaN or inf entries",
    ),
    (
        lambda: fit_ridge(torch.ones(5, 2), np.arange(5.0), F_val=torch.ones(3, 3), y_val=np.ones(3)),
        r"F_val must have d = 2 columns",
    ),
    (
        lambda: fit_kernel_ridge(np.eye(5), np.arange(5.0), K_val=np.ones((3, 4)), y_val=np.ones(3)),
        r"K_val must be \(n_val, n\) with n = 5 training points, got shape \(3, 4\)",
    ),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- leave-one-out penalty (the default)
@pytest.mark.parametrize("p", [30, 400])  # primal (p <= n) and dual (p > n) branches
def test_leave_one_out_matches_sklearn_ridgecv_and_refits(p):
    """The leave-one-out MSE per penalty equals scikit-learn's RidgeCV (alpha = n lambda, its own code path) and,
    at two penalties, the MSE of n refits without point i; the primal, dual and kernel paths pick the same
    penalty. The alternative, a held-out or in-sample criterion, gives different numbers."""
    from sklearn.linear_model import RidgeCV

    X, y = data(n=60)
    lift, Z = features(X, p)
    n = len(y)
    lams = [1e-5, 1e-3, 1e-1, 1.0]
    fit = fit_ridge(Z, y, lams=lams)
    assert fit.criterion == "loo"
    sk = RidgeCV(alphas=n * np.array(lams), store_cv_results=True).fit(Z.numpy(), y)
    assert np.allclose(fit.val_mse, sk.cv_results_.mean(0), rtol=1e-7, atol=0)
    assert fit.lam == pytest.approx(sk.alpha_ / n)
    for j in (0, 2):
        refit = [
            ridge_closed_form(np.delete(Z.numpy(), i, 0), np.delete(y, i), lams[j] * n / (n - 1)) for i in range(n)
        ]
        loo = np.mean([(Z.numpy()[i] @ b + b0 - y[i]) ** 2 for i, (b, b0) in enumerate(refit)])
        assert fit.val_mse[j] == pytest.approx(loo, rel=1e-8)
    kfit = fit_kernel_ridge(Z @ Z.T, y, lams=lams)
    assert kfit.criterion == "loo" and kfit.lam == fit.lam
    assert np.allclose(kfit.val_mse, fit.val_mse, rtol=1e-6, atol=0)
    assert np.abs(kfit.predict_kernel(Z @ Z.T).numpy() - fit.predict(Z).numpy()).max() < 1e-8
    # a held-out set switches the criterion
    Xv, yv = data(n=20, seed=5)
    held = fit_ridge(Z, y, F_val=lift(torch.as_tensor(Xv)), y_val=yv, lams=lams)
    assert held.criterion == "held-out" and not np.allclose(held.val_mse, fit.val_mse)


def test_leave_one_out_interpolation_is_infinite():
    """At lambda = 0 with p > n the fit interpolates (H_ii = 1): its leave-one-out error is inf, never chosen."""
    X, y = data(n=30)
    _, Z = features(X, 200)
    fit = fit_ridge(Z, y, lams=[0.0, 1e-2])
    assert np.isinf(fit.val_mse[0]) and fit.lam == 1e-2


def test_leave_one_out_arguments():
    with pytest.raises(ValueError, match="give both F_val and y_val .held-out penalty. or neither"):
        fit_ridge(torch.ones(5, 2), np.arange(5.0), F_val=torch.ones(3, 2))
    with pytest.raises(ValueError, match="give both K_val and y_val"):
        fit_kernel_ridge(np.eye(5), np.arange(5.0), y_val=np.ones(3))
    with pytest.raises(ValueError, match=r"leave-one-out needs n <= eig_max = 3 training points, got n = 5"):
        fit_kernel_ridge(np.eye(5), np.arange(5.0), eig_max=3)
