"""smgrad.derivatives: Jacobians, VJPs and JVPs of softmax and log-softmax, against
PyTorch's and MXNet's autograd, finite differences (float64), and closed forms.

The derivative functions take ``probs``; the tests give them PyTorch's probabilities,
so each function is tested on its own, not through smgrad.softmax.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smgrad
from oracles import (LONG_ROW, MANY_ROWS, assert_close, assert_fd_close, blocks_of, mxnet_vjp,
                     needs_torch, normalized_axes, to_rows, torch, torch_jacobian, torch_jvp,
                     torch_softmax, torch_vjp, use_blocks)
from strategies import cases, like

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def row_scale(g: np.ndarray, axes) -> float:
    """The largest row sum of |g|: the size of the terms summed into a VJP entry."""
    return float(np.abs(to_rows(g.astype(np.float64), axes)).sum(axis=1).max(initial=1.0))


# --- Jacobian ---------------------------------------------------------------------------

@needs_torch
@given(cases(max_side=3))
def test_full_jacobian_matches_torch_autograd(case):
    probs = torch_softmax(case.x, case.axes)
    expected = torch_jacobian(case.x, case.axes)          # x.shape + x.shape
    assert_close(smgrad.softmax_jacobian(probs, case.axis, full=True), expected, case.dtype)


@needs_torch
@given(cases(max_side=3))
def test_jacobian_blocks_match_torch_autograd(case):
    """The blocks are the diagonal blocks of autograd's Jacobian, one per row, classes
    flattened in C order over the softmax axes in increasing order."""
    probs = torch_softmax(case.x, case.axes)
    expected = blocks_of(torch_jacobian(case.x, case.axes), case.x.shape, case.axes)
    assert_close(smgrad.softmax_jacobian(probs, case.axis), expected, case.dtype)


def test_jacobian_closed_form_one_row():
    """J = diag(s) - s sᵀ for s = softmax([0, 1, 2, 3]), entry by entry."""
    x = np.arange(4.0)
    s = np.exp(x) / np.exp(x).sum()
    expected = np.array([[s[i] * ((i == j) - s[j]) for j in range(4)] for i in range(4)])
    jac = smgrad.softmax_jacobian(s)
    assert_close(jac, expected, np.float64)
    assert_close(jac, jac.T, np.float64)                         # symmetric
    assert_close(jac.sum(axis=0), np.zeros(4), np.float64)       # 1ᵀJ = 0
    assert_close(jac.sum(axis=1), np.zeros(4), np.float64)       # J 1 = 0


def test_jacobian_of_uniform_probs():
    """s = 1/n: J = I/n - 1/n²."""
    n = 5
    expected = np.eye(n) / n - 1 / n ** 2
    assert_close(smgrad.softmax_jacobian(np.full(n, 1 / n)), expected, np.float64)


@needs_torch
def test_batched_jacobian_is_block_diagonal_not_flattened():
    """Thread 003: a (5, 4) batch has five 4 × 4 blocks; its full Jacobian (5, 4, 5, 4)
    is zero between different rows, which one 20 × 20 matrix of the flattened batch is not."""
    x = np.arange(20.0).reshape(5, 4)
    probs = torch_softmax(x, (1,))
    blocks = smgrad.softmax_jacobian(probs)
    assert blocks.shape == (5, 4, 4)
    full = smgrad.softmax_jacobian(probs, full=True)
    assert_close(full, torch_jacobian(x, (1,)), np.float64)
    for a in range(5):
        for b in range(5):
            if a != b:
                assert np.all(full[a, :, b, :] == 0)
    f = probs.reshape(-1)
    flattened = np.diag(f) - np.outer(f, f)
    assert not np.allclose(full.reshape(20, 20), flattened)


def test_full_jacobian_refuses_huge_inputs():
    probs = np.full((8193, 1), 1.0)
    with pytest.raises(ValueError, match=r"\bprobs\b.*full=False"):
        smgrad.softmax_jacobian(probs, full=True)


# --- VJP, JVP, log-softmax VJP against PyTorch ------------------------------------------

def softmax_scale(grad_out: np.ndarray, axes) -> float:
    return 10.0  # |g| ≤ 10 and Σ s = 1: each entry sums terms of at most 10


RULES = {  # smgrad's rule, its PyTorch oracle (x, vector, axes), the scale of its terms
    "softmax_vjp": (smgrad.softmax_vjp, lambda x, g, axes: torch_vjp(torch.softmax, x, g, axes),
                    softmax_scale),
    "softmax_jvp": (smgrad.softmax_jvp, torch_jvp, softmax_scale),
    "log_softmax_vjp": (smgrad.log_softmax_vjp,
                        lambda x, g, axes: torch_vjp(torch.log_softmax, x, g, axes), row_scale),
}


@needs_torch
@pytest.mark.parametrize("name", RULES)
@given(data=st.data(), case=cases())
def test_vjps_and_jvp_match_torch(name, data, case):
    """The VJPs against autograd's backward, the JVP against forward mode."""
    ours, oracle, scale = RULES[name]
    vector = data.draw(like(case.x))
    probs = torch_softmax(case.x, case.axes)
    assert_close(ours(probs, vector, case.axis), oracle(case.x, vector, case.axes),
                 case.dtype, scale=scale(vector, case.axes))


@needs_torch
@given(st.data(), cases())
def test_derivatives_do_not_mutate_inputs(data, case):
    grad_out = data.draw(like(case.x))
    probs = torch_softmax(case.x, case.axes)
    before = probs.copy(), grad_out.copy()
    smgrad.softmax_vjp(probs, grad_out, case.axis)
    smgrad.softmax_jvp(probs, grad_out, case.axis)
    smgrad.log_softmax_vjp(probs, grad_out, case.axis)
    smgrad.softmax_jacobian(probs, case.axis)
    np.testing.assert_array_equal(probs, before[0])
    np.testing.assert_array_equal(grad_out, before[1])


@needs_torch
@pytest.mark.parametrize("shape, axis", [
    ((MANY_ROWS, 37), -1), ((MANY_ROWS, 37), 0), ((2, LONG_ROW), -1), ((5, 7, 300), 1),
    ((6, 5, 4, 3), (2, 0)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_vjps_match_torch(shape, axis, dtype, monkeypatch):
    use_blocks(monkeypatch)  # many blocks of 2**17 entries, whatever this CPU's default
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 20).astype(dtype)
    grad_out = rng.uniform(-10, 10, shape).astype(dtype)
    axes = normalized_axes(axis, len(shape))
    probs = torch_softmax(x, axes)
    assert_close(smgrad.softmax_vjp(probs, grad_out, axis),
                 torch_vjp(torch.softmax, x, grad_out, axes), dtype, scale=10.0)
    assert_close(smgrad.log_softmax_vjp(probs, grad_out, axis),
                 torch_vjp(torch.log_softmax, x, grad_out, axes), dtype,
                 scale=row_scale(grad_out, axes))


@needs_torch
def test_vjp_of_non_contiguous_inputs_matches_torch():
    rng = np.random.default_rng(5)
    x, grad_out = rng.standard_normal((2, 8, 6))
    x, grad_out = x.T, grad_out[:, ::-1].T                 # (6, 8), strided, reversed
    probs = torch_softmax(np.ascontiguousarray(x), (0,))
    expected = torch_vjp(torch.softmax, np.ascontiguousarray(x),
                         np.ascontiguousarray(grad_out), (0,))
    assert_close(smgrad.softmax_vjp(probs, grad_out, axis=0), expected, np.float64)


@needs_torch
def test_vjp_of_ones_is_zero():
    """The gradient of probs.sum() is zero (each row sums to 1): thread 000's all-zero
    gradient is the right answer."""
    probs = torch_softmax(np.random.default_rng(6).standard_normal((3, 5)), (1,))
    assert_close(smgrad.softmax_vjp(probs, np.ones((3, 5))), np.zeros((3, 5)), np.float64)


@needs_torch
def test_vjp_closed_form_fused_cross_entropy():
    """With g = -t/s (the gradient of -Σ t log s), the softmax VJP is s - t when Σt = 1."""
    probs = torch_softmax(np.array([[0.2, -1.0, 2.5], [1.0, 1.0, 0.0]]), (1,))
    targets = np.array([[0.0, 1.0, 0.0], [0.3, 0.3, 0.4]])
    assert_close(smgrad.softmax_vjp(probs, -targets / probs), probs - targets, np.float64,
                 scale=float(np.max(targets / probs)))


# --- against MXNet's autograd (head gradient) -------------------------------------------

@needs_torch
@pytest.mark.mxnet
@given(st.data(), cases(axis_kind="int", min_dims=1))
def test_vjps_match_mxnet_backward(mx, data, case):
    grad_out = data.draw(like(case.x))
    probs = torch_softmax(case.x, case.axes)
    assert_close(smgrad.softmax_vjp(probs, grad_out, case.axis),
                 mxnet_vjp(mx, "softmax", case.x, grad_out, case.axis), case.dtype,
                 scale=10.0)
    assert_close(smgrad.log_softmax_vjp(probs, grad_out, case.axis),
                 mxnet_vjp(mx, "log_softmax", case.x, grad_out, case.axis), case.dtype,
                 scale=row_scale(grad_out, case.axes))


# --- finite differences in float64 (smgrad.check) ---------------------------------------

fd_cases = cases(dtype=np.float64, max_side=3, masks=False, extreme=False)


def fd_grad_out(case) -> st.SearchStrategy[np.ndarray]:
    return like(case.x, bound=2.0)


@given(fd_cases)
def test_jacobian_matches_finite_differences(case):
    numeric = smgrad.numerical_jacobian(lambda z: smgrad.softmax(z, case.axis), case.x)
    probs = smgrad.softmax(case.x, case.axis)
    assert_fd_close(smgrad.softmax_jacobian(probs, case.axis, full=True), numeric)


@given(st.data(), fd_cases)
def test_softmax_vjp_matches_finite_differences(data, case):
    grad_out = data.draw(fd_grad_out(case))
    numeric = smgrad.numerical_vjp(lambda z: smgrad.softmax(z, case.axis), case.x, grad_out)
    probs = smgrad.softmax(case.x, case.axis)
    assert_fd_close(smgrad.softmax_vjp(probs, grad_out, case.axis), numeric)


@given(st.data(), fd_cases)
def test_softmax_jvp_matches_finite_differences(data, case):
    tangent = data.draw(fd_grad_out(case))
    jac = smgrad.numerical_jacobian(lambda z: smgrad.softmax(z, case.axis), case.x)
    numeric = np.tensordot(jac, tangent, axes=case.x.ndim)   # J v
    probs = smgrad.softmax(case.x, case.axis)
    assert_fd_close(smgrad.softmax_jvp(probs, tangent, case.axis), numeric)


@given(st.data(), fd_cases)
def test_log_softmax_vjp_matches_finite_differences(data, case):
    grad_out = data.draw(fd_grad_out(case))
    numeric = smgrad.numerical_vjp(lambda z: smgrad.log_softmax(z, case.axis), case.x,
                                   grad_out)
    probs = smgrad.softmax(case.x, case.axis)
    assert_fd_close(smgrad.log_softmax_vjp(probs, grad_out, case.axis), numeric)


@given(st.data(), fd_cases, st.booleans())
def test_gradient_of_logsumexp_is_softmax(data, case, keepdims):
    """∂ logsumexp(x)/∂x = softmax(x): checked as a VJP with a random upstream gradient."""
    out_shape = np.shape(smgrad.logsumexp(case.x, case.axis, keepdims=keepdims))
    grad_out = data.draw(like(np.zeros(out_shape), bound=2.0))
    numeric = smgrad.numerical_vjp(
        lambda z: smgrad.logsumexp(z, case.axis, keepdims=keepdims), case.x, grad_out)
    # Broadcast each row's upstream gradient over its classes, then weight by softmax.
    g = grad_out if keepdims else np.expand_dims(grad_out, case.axes)
    assert_fd_close(smgrad.softmax(case.x, case.axis) * g, numeric)


@given(fd_cases)
def test_gradcheck_passes_for_softmax_vjp(case):
    result = smgrad.gradcheck(
        lambda z: smgrad.softmax(z, case.axis),
        lambda z, g: smgrad.softmax_vjp(smgrad.softmax(z, case.axis), g, case.axis),
        case.x)
    assert result.ok, str(result)
