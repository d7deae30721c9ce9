"""smgrad.frameworks: lazy imports, quiet MXNet, and the framework-side computations the
chapters show (checked against closed forms, and PyTorch against MXNet)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from oracles import assert_close, needs_torch
from smgrad import frameworks


def closed_form(x: np.ndarray, grad_out: np.ndarray, axis: int):
    """softmax by hand (float64), its VJP s ⊙ (g - ⟨g, s⟩) and, per row, diag(s) - s sᵀ."""
    e = np.exp(x.astype(np.float64) - x.max(axis=axis, keepdims=True))
    s = e / e.sum(axis=axis, keepdims=True)
    vjp = s * (grad_out - (grad_out * s).sum(axis=axis, keepdims=True))
    return s, vjp


def test_import_smgrad_imports_no_framework():
    code = ("import sys, smgrad, smgrad.frameworks, smgrad.plotting; "
            "print(sorted(m for m in ('torch', 'mxnet', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@needs_torch
def test_import_torch_returns_torch():
    import torch

    assert frameworks.import_torch() is torch


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [-1, 0])
def test_torch_softmax_vjp_closed_form(dtype, axis):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype(dtype)
    g = rng.standard_normal((3, 4)).astype(dtype)
    _, expected = closed_form(x, g.astype(np.float64), axis)
    assert_close(frameworks.torch_softmax_vjp(x, g, axis), expected, dtype, scale=4.0)


@needs_torch
def test_torch_softmax_jacobian_closed_form():
    x = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, -1.0]])
    s, _ = closed_form(x, np.zeros_like(x), -1)
    jac = frameworks.torch_softmax_jacobian(x)
    assert jac.shape == (2, 3, 2, 3)
    for a in range(2):
        assert_close(jac[a, :, a, :], np.diag(s[a]) - np.outer(s[a], s[a]), np.float64)
    assert np.all(jac[0, :, 1, :] == 0) and np.all(jac[1, :, 0, :] == 0)


@needs_torch
@pytest.mark.mxnet
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [-1, 0])
def test_mxnet_softmax_vjp_closed_form_and_torch(mx, dtype, axis):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4)).astype(dtype)
    g = rng.standard_normal((3, 4)).astype(dtype)
    _, expected = closed_form(x, g.astype(np.float64), axis)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # quiet: no DeprecationWarning escapes
        got = frameworks.mxnet_softmax_vjp(x, g, axis)
    assert_close(got, expected, dtype, scale=4.0)
    assert_close(got, frameworks.torch_softmax_vjp(x, g, axis), dtype, scale=4.0)


@pytest.mark.mxnet
def test_mxnet_all_zero_gradient_of_thread_000(mx):
    """softmax(a).backward() uses a head gradient of ones: the gradient of Σ softmax,
    which is zero."""
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    assert_close(frameworks.mxnet_softmax_vjp(x, np.ones_like(x)), np.zeros_like(x),
                 np.float64)


@pytest.mark.mxnet
def test_import_mxnet_emits_no_warning(mx):
    code = "import smgrad.frameworks as f; f.import_mxnet()"
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr == ""


def test_quiet_mxnet_hides_deprecation_warnings_only_inside():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with frameworks.quiet_mxnet():
            warnings.warn("old API", DeprecationWarning)
            warnings.warn("something else", UserWarning)
        warnings.warn("after", DeprecationWarning)
    assert [str(w.message) for w in caught] == ["something else", "after"]
