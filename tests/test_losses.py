"""smgrad.losses: cross-entropy and its fused gradient, against
``torch.nn.functional.cross_entropy`` (class indices and probability targets, every
reduction) and its autograd, MXNet's ``softmax_cross_entropy``, finite differences and
closed forms."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import smgrad
from smgrad import autograd
from oracles import (F, assert_close, assert_fd_close, batch_axes, from_rows, needs_torch,
                     tensor, to_rows, torch, torch_cross_entropy, torch_masked_cross_entropy)
from strategies import cases, floats

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

REDUCTIONS = ["mean", "sum", "none"]


def index_targets(case) -> st.SearchStrategy[np.ndarray]:
    """Class indices in [0, n), shape of the logits without the class axis."""
    batch_shape = tuple(case.x.shape[i] for i in batch_axes(case.x.ndim, case.axes))
    return hnp.arrays(np.int64, batch_shape, elements=st.integers(0, case.n - 1))


@st.composite
def prob_targets(draw, case, normalize=None) -> np.ndarray:
    """Non-negative targets of the logits' shape and dtype: soft labels, one-hot rows, or
    (when not normalized) any weights, for which the gradient is s·Σt - t."""
    t = draw(hnp.arrays(case.dtype, case.x.shape, elements=st.one_of(
        st.just(0.0), floats(case.dtype, 2.0).map(abs))))
    if normalize is None:
        normalize = draw(st.booleans())
    if normalize and t.ndim:
        rows = to_rows(t.astype(np.float64), case.axes)
        sums = rows.sum(axis=1, keepdims=True)
        rows = np.where(sums > 0, rows / np.where(sums > 0, sums, 1), rows)
        t = from_rows(rows, t.shape, case.axes).astype(case.dtype)
    return t


def grad_out_for(draw, loss_shape, dtype) -> np.ndarray:
    return draw(hnp.arrays(dtype, loss_shape, elements=floats(dtype, 3.0)))


def loss_scale(case, reduction: str) -> float:
    """A "sum" adds one loss per row, and their rounding errors: its scale is the number
    of rows (MXNet's float32 log_softmax alone is off by ~2e-6 per entry)."""
    return case.x.size / case.n if reduction == "sum" and case.n else 1.0


def gradient_scale(targets, axes) -> float:
    """The size of ``s·Σt`` and ``t`` in the gradient: the largest row sum of the targets."""
    if targets.dtype.kind in "iu":
        return 1.0
    return float(np.abs(to_rows(targets.astype(np.float64), axes)).sum(axis=1).max(initial=1))


# --- against torch.nn.functional.cross_entropy ------------------------------------------

@needs_torch
@given(st.data(), cases(axis_kind="int", min_dims=1), st.sampled_from(REDUCTIONS))
def test_index_targets_match_torch(data, case, reduction):
    """Class indices, -inf masks included (a masked target class gives an infinite loss
    in both), every int axis, all three reductions, with and without grad_out."""
    targets = data.draw(index_targets(case))
    loss = smgrad.cross_entropy(case.x, targets, case.axis, reduction)
    expected_loss, expected_grad = torch_cross_entropy(case.x, targets, case.axes, reduction)
    assert_close(loss, expected_loss, case.dtype, scale=loss_scale(case, reduction))
    assert_close(smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction),
                 expected_grad, case.dtype)
    grad_out = grad_out_for(data.draw, np.shape(expected_loss), case.dtype)
    _, expected_grad = torch_cross_entropy(case.x, targets, case.axes, reduction, grad_out)
    assert_close(smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction, grad_out),
                 expected_grad, case.dtype, scale=3.0)


@needs_torch
@given(st.data(), cases(masks=False), st.sampled_from(REDUCTIONS))
def test_probability_targets_match_torch(data, case, reduction):
    """Probability targets (soft, one-hot or unnormalized), every axis: ints, tuples
    (flattened into one class axis for torch) and None."""
    if case.x.ndim == 0:   # torch's cross_entropy needs a class dimension
        return
    targets = data.draw(prob_targets(case))
    loss = smgrad.cross_entropy(case.x, targets, case.axis, reduction)
    expected_loss, expected_grad = torch_cross_entropy(case.x, targets, case.axes, reduction)
    assert_close(loss, expected_loss, case.dtype, scale=loss_scale(case, reduction))
    scale = gradient_scale(targets, case.axes)
    assert_close(smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction),
                 expected_grad, case.dtype, scale=scale)
    grad_out = grad_out_for(data.draw, np.shape(expected_loss), case.dtype)
    _, expected_grad = torch_cross_entropy(case.x, targets, case.axes, reduction, grad_out)
    assert_close(smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction, grad_out),
                 expected_grad, case.dtype, scale=3.0 * scale)


@needs_torch
@given(st.data(), cases(min_dims=1), st.sampled_from(REDUCTIONS))
def test_masked_probability_targets_match_torch_log_softmax(data, case, reduction):
    """With -inf masks, a target 0 on a masked class contributes 0 (0·log 0 = 0, the
    documented convention; F.cross_entropy gives NaN there)."""
    targets = data.draw(prob_targets(case))
    targets = np.where(np.isneginf(case.x), 0, targets).astype(case.dtype)
    expected_loss, expected_grad = torch_masked_cross_entropy(case.x, targets, case.axes,
                                                              reduction)
    assert_close(smgrad.cross_entropy(case.x, targets, case.axis, reduction),
                 expected_loss, case.dtype, scale=loss_scale(case, reduction))
    assert_close(smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction),
                 expected_grad, case.dtype, scale=gradient_scale(targets, case.axes))


@needs_torch
def test_zero_target_on_masked_class_is_finite_where_torch_is_nan():
    x = np.array([[0.0, -np.inf, 1.0]])
    t = np.array([[0.5, 0.0, 0.5]])
    e = math.e
    expected = -(0.5 * math.log(1 / (1 + e)) + 0.5 * math.log(e / (1 + e)))
    assert_close(smgrad.cross_entropy(x, t), expected, np.float64)
    assert torch.isnan(F.cross_entropy(tensor(x), tensor(t)))   # the documented difference
    s = np.array([1 / (1 + e), 0.0, e / (1 + e)])
    assert_close(smgrad.cross_entropy_grad(x, t), (s - t[0])[None], np.float64)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_no_rows(reduction):
    """Zero rows: 'mean' is NaN (0/0), as in torch; 'sum' 0; 'none' empty."""
    x, t = np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    expected = F.cross_entropy(tensor(x), tensor(t), reduction=reduction).numpy()
    assert_close(smgrad.cross_entropy(x, t, reduction=reduction), expected, np.float64)
    assert smgrad.cross_entropy_grad(x, t, reduction=reduction).shape == (0, 3)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_no_warning(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    t = np.array([1, 2])
    loss, grad = torch_cross_entropy(x, t, (1,), "none")
    assert_close(smgrad.cross_entropy(x, t, reduction="none"), loss, dtype)
    assert_close(smgrad.cross_entropy(x, t, reduction="none"), [2e4, math.log(3)], dtype)
    assert_close(smgrad.cross_entropy_grad(x, t, reduction="none"), grad, dtype)


# --- closed forms -----------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 10])
def test_uniform_logits_closed_form(n):
    """Equal logits: loss log n for any target; gradient (1/n - e_c) / N."""
    x = np.zeros((3, n))
    t = np.array([0, n - 1, 0])
    assert_close(smgrad.cross_entropy(x, t), math.log(n), np.float64)
    onehot = np.eye(n)[t]
    assert_close(smgrad.cross_entropy_grad(x, t), (1 / n - onehot) / 3, np.float64)
    assert_close(smgrad.cross_entropy_grad(x, t, reduction="sum"), 1 / n - onehot, np.float64)


def test_index_and_one_hot_targets_agree_with_hand_computation():
    x = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    t = np.array([0, 2])
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    per_row = -np.log(p[[0, 1], t])
    assert_close(smgrad.cross_entropy(x, t, reduction="none"), per_row, np.float64)
    assert_close(smgrad.cross_entropy(x, np.eye(3)[t], reduction="none"), per_row, np.float64)
    assert_close(smgrad.cross_entropy_grad(x, t), (p - np.eye(3)[t]) / 2, np.float64)


def test_unnormalized_targets_gradient_is_s_sum_t_minus_t():
    x = np.array([[0.3, -0.2, 1.1]])
    t = np.array([[0.5, 1.0, 0.25]])
    s = np.exp(x) / np.exp(x).sum()
    assert_close(smgrad.cross_entropy_grad(x, t, reduction="sum"), s * t.sum() - t, np.float64)


# --- MXNet ------------------------------------------------------------------------------

@pytest.mark.mxnet
@given(st.data(), cases(axis_kind="int", min_dims=1), st.sampled_from(REDUCTIONS))
def test_index_targets_match_mxnet_autograd(mx, data, case, reduction):
    """MXNet: -pick(log_softmax(x, axis), targets, axis), reduced, backward with a head
    gradient; every int axis, masks and extreme logits."""
    from smgrad.frameworks import quiet_mxnet

    targets = data.draw(index_targets(case))
    loss_shape = np.shape(smgrad.cross_entropy(case.x, targets, case.axis, reduction))
    grad_out = grad_out_for(data.draw, loss_shape, case.dtype)
    with quiet_mxnet():
        xm = mx.nd.array(case.x, dtype=case.dtype)
        xm.attach_grad()
        with mx.autograd.record():
            logp = mx.nd.log_softmax(xm, axis=case.axis)
            per_row = -mx.nd.pick(logp, mx.nd.array(targets, dtype=case.dtype),
                                  axis=case.axis)
            loss = {"none": per_row, "sum": per_row.sum(),
                    "mean": per_row.sum() / max(1, targets.size)}[reduction]
        loss.backward(mx.nd.array(grad_out.reshape(loss.shape), dtype=case.dtype))
        expected_loss = loss.asnumpy().reshape(loss_shape)
        expected_grad = xm.grad.asnumpy()
    assert_close(smgrad.cross_entropy(case.x, targets, case.axis, reduction), expected_loss,
                 case.dtype, scale=loss_scale(case, reduction))
    assert_close(smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction, grad_out),
                 expected_grad, case.dtype, scale=3.0)


@pytest.mark.mxnet
@given(st.data(), st.sampled_from([np.float32, np.float64]))
def test_sum_reduction_matches_mxnet_softmax_cross_entropy(mx, data, dtype):
    """MXNet's fused op (2-D, classes last, sum over rows). It clips probabilities at
    1e-8 inside the log, so the logits stay in [-5, 5] (every probability > 1e-8)."""
    from smgrad.frameworks import quiet_mxnet

    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=6))
    x = data.draw(hnp.arrays(dtype, shape, elements=floats(dtype, 5.0)))
    targets = data.draw(hnp.arrays(np.int64, shape[:1], elements=st.integers(0, shape[1] - 1)))
    with quiet_mxnet():
        xm = mx.nd.array(x, dtype=dtype)
        xm.attach_grad()
        with mx.autograd.record():
            loss = mx.nd.softmax_cross_entropy(xm, mx.nd.array(targets, dtype=dtype))
        loss.backward()
        expected_loss, expected_grad = loss.asnumpy().reshape(()), xm.grad.asnumpy()
    assert_close(smgrad.cross_entropy(x, targets, reduction="sum"), expected_loss, dtype,
                 scale=shape[0])
    assert_close(smgrad.cross_entropy_grad(x, targets, reduction="sum"), expected_grad, dtype)


# --- finite differences in float64 ------------------------------------------------------

@given(st.data(), cases(dtype=np.float64, max_side=3, masks=False, extreme=False),
       st.sampled_from(REDUCTIONS), st.booleans())
def test_gradient_matches_finite_differences(data, case, reduction, use_index):
    if use_index and len(case.axes) == 1:
        targets = data.draw(index_targets(case))
    else:
        targets = data.draw(prob_targets(case))
    loss_shape = np.shape(smgrad.cross_entropy(case.x, targets, case.axis, reduction))
    grad_out = grad_out_for(data.draw, loss_shape, np.dtype(np.float64))
    numeric = smgrad.numerical_vjp(
        lambda z: smgrad.cross_entropy(z, targets, case.axis, reduction), case.x, grad_out)
    analytic = smgrad.cross_entropy_grad(case.x, targets, case.axis, reduction, grad_out)
    assert_fd_close(analytic, numeric)


# --- accuracy: a confident right prediction ---------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gap", [6.0, 20.0, 40.0])
def test_confident_right_prediction_loss_is_exact(dtype, gap):
    """The loss of a confident right prediction is log(1 + e^-gap) (issue 20): every form
    of it, class index, one-hot probabilities and the engine's fused node, within 8 ulps
    of the exact value (mpmath), where log of the rounded 1 + e^-gap is 25 ulps to 100% off."""
    logits = np.array([[0.0, -gap, -gap - 1.0]], dtype)
    with mpmath.workdps(60):
        exact = mpmath.log(1 + mpmath.exp(-gap) + mpmath.exp(-gap - 1))
    one_hot = np.array([[1.0, 0.0, 0.0]], dtype)
    losses = {"index": smgrad.cross_entropy(logits, np.array([0])),
              "probabilities": smgrad.cross_entropy(logits, one_hot),
              "engine": autograd.cross_entropy(logits, np.array([0])).data}
    eps = float(np.finfo(dtype).eps)
    with mpmath.workdps(60):
        ulps = {how: float(abs(mpmath.mpf(float(loss)) - exact) / exact) / eps
                for how, loss in losses.items()}
    assert max(ulps.values()) <= 8, ulps
