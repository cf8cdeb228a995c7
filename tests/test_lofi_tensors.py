"""Tensor placement and input checks of the Neural LoFi modules (lofi_utils.lofi.tensors)."""

import numpy as np
import pytest
import torch

from lofi_utils.lofi.tensors import as_tensor, check_inputs, check_labels, default_dtype


def test_default_dtype_is_float64_on_the_cpu():
    assert default_dtype(torch.device("cpu")) == torch.float64
    assert default_dtype(torch.device("meta")) == torch.float32  # any accelerator: float32


def test_as_tensor_places_arrays_and_tensors():
    t = as_tensor(np.arange(3), "cpu", torch.float64)
    assert t.dtype == torch.float64 and t.tolist() == [0.0, 1.0, 2.0]
    x = torch.ones(2, dtype=torch.float64)
    assert as_tensor(x, "cpu", torch.float64) is x  # no copy when nothing changes


def test_check_labels_flattens_and_checks_length_and_finiteness():
    assert check_labels(np.ones((4, 1)), 4, "cpu", torch.float64).shape == (4,)
    with pytest.raises(ValueError, match="y_val has 3 entries for 4 samples"):
        check_labels(np.ones(3), 4, "cpu", torch.float64, "y_val")
    with pytest.raises(ValueError, match="y has non-finite entries"):
        check_labels([1.0, np.nan], 2, "cpu", torch.float64)


def test_check_inputs_names_the_argument_in_one_line():
    assert check_inputs(np.ones((3, 2)), "X", "cpu", torch.float64, d=2).shape == (3, 2)
    for bad, match in (
        (np.ones(3), r"X must be an \(n, d\) array"),
        (np.ones((3, 2)), "X must have d = 4 columns"),
        (np.full((2, 4), np.inf), "X must be finite, got 8 NaN or inf entries"),
    ):
        with pytest.raises(ValueError, match=match) as err:
            check_inputs(bad, "X", "cpu", torch.float64, d=4)
        assert "\n" not in str(err.value)
