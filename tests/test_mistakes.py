"""smgrad.mistakes: each re-created learner mistake computes what its docstring says
(closed forms, the threads' own numbers), and is wrong where PyTorch is right."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oracles import assert_close, needs_torch, tensor, torch, torch_softmax, torch_vjp
from smgrad import mistakes
from strategies import cases, like

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

BACKWARD_MISTAKES = [mistakes.diagonal_only, mistakes.elementwise_chain_rule,
                     mistakes.summed_jacobian_rows, mistakes.flattened_batch_jacobian,
                     mistakes.flattened_jacobian_row_sums, mistakes.identity_sized_by_batch]

#: Thread 003's "What I expected" row (printed with 4 decimals), for x = arange(20)
#: reshaped (5, 4), a flattened 20 x 20 Jacobian and an upstream gradient of ones.
THREAD_003_EXPECTED_ROW = [-0.1282, -0.3486, -0.9475, -2.5757]
PRINTED_4_DECIMALS = dict(rtol=0, atol=0.5e-4)   # half a unit in the last printed digit


def probe(shape=(3, 5), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x, torch_softmax(x, (len(shape) - 1,)), rng.standard_normal(shape)


# --- each mistake computes what it says -------------------------------------------------

@needs_torch
@given(st.data(), cases(dtype=np.float64, min_dims=1, masks=False, extreme=False))
def test_diagonal_only_is_s_times_one_minus_s_times_g(data, case):
    grad_out = data.draw(like(case.x))
    s = torch_softmax(case.x, case.axes)
    expected = s * (1 - s) * grad_out
    assert_close(mistakes.diagonal_only(s, grad_out, case.axis), expected, np.float64,
                 scale=10.0)
    assert_close(mistakes.elementwise_chain_rule(s, grad_out, case.axis), expected,
                 np.float64, scale=10.0)


@needs_torch
def test_elementwise_chain_rule_thread_002():
    """With g = -t/s it gives -t(1 - s); the right answer (torch) is s - t."""
    x, s, _ = probe()
    t = np.eye(5)[[1, 4, 0]]
    g = -t / s
    assert_close(mistakes.elementwise_chain_rule(s, g), -t * (1 - s), np.float64,
                 scale=float(np.abs(g).max()))
    right = torch_vjp(torch.softmax, x, g, (1,))
    assert_close(right, s - t, np.float64, scale=float(np.abs(g).max()))
    assert not np.allclose(mistakes.elementwise_chain_rule(s, g), right)


@needs_torch
@given(st.data(), cases(dtype=np.float64, masks=False, extreme=False))
def test_summed_jacobian_rows_is_zero_whatever_g(data, case):
    grad_out = data.draw(like(case.x))
    s = torch_softmax(case.x, case.axes)
    assert_close(mistakes.summed_jacobian_rows(s, grad_out, case.axis),
                 np.zeros(case.x.shape), np.float64, scale=10.0)


@needs_torch
def test_flattened_batch_jacobian_reproduces_thread_003():
    x = np.arange(20.0).reshape(5, 4)
    s = torch_softmax(x, (1,))
    ones = np.ones((5, 4))
    wrong = mistakes.flattened_batch_jacobian(s, ones)
    # Closed form: f ⊙ (g - ⟨g, f⟩) over the whole batch; with g = 1, ⟨g, f⟩ = rows = 5.
    assert_close(wrong, s * (1 - 5), np.float64)
    for row in wrong:
        np.testing.assert_allclose(row, THREAD_003_EXPECTED_ROW, **PRINTED_4_DECIMALS)
    # What autograd computes (the thread's actual output): zeros.
    assert_close(torch_vjp(torch.softmax, x, ones, (1,)), np.zeros((5, 4)), np.float64)


@needs_torch
def test_flattened_batch_jacobian_closed_form_and_ignores_axis():
    _, s, g = probe((4, 3), seed=1)
    f, gf = s.reshape(-1), g.reshape(-1)
    expected = (f * (gf - gf @ f)).reshape(4, 3)
    for axis in (-1, 0, None):
        assert_close(mistakes.flattened_batch_jacobian(s, g, axis), expected, np.float64,
                     scale=10.0)


@needs_torch
def test_flattened_jacobian_row_sums_reproduces_thread_003():
    """The thread's recipe: flatten, one 20 x 20 Jacobian, sum its rows, reshape,
    multiply by the gradient of ones: every row is the thread's "what I expected"."""
    x = np.arange(20.0).reshape(5, 4)
    s = torch_softmax(x, (1,))
    wrong = mistakes.flattened_jacobian_row_sums(s, np.ones((5, 4)))
    for row in wrong:
        np.testing.assert_allclose(row, THREAD_003_EXPECTED_ROW, **PRINTED_4_DECIMALS)
    # The recipe written out independently, step by step, in torch.
    f = tensor(s).reshape(-1)
    jac = torch.diag(f) - torch.outer(f, f)
    assert_close(wrong, jac.sum(dim=1).reshape(5, 4).numpy() * 1.0, np.float64)


@needs_torch
@given(st.data(), st.integers(1, 5), st.integers(1, 5),
       st.sampled_from([np.float32, np.float64]))
def test_flattened_jacobian_row_sums_is_s_times_one_minus_rows_times_g(data, rows, n,
                                                                        dtype):
    """Row (b, i) of diag(f) - f fᵀ sums to s_bi (1 - Σf) = s_bi (1 - rows)."""
    x = data.draw(like(np.zeros((rows, n), dtype)))
    g = data.draw(like(x))
    s = torch_softmax(x, (1,))
    assert_close(mistakes.flattened_jacobian_row_sums(s, g), s * (1 - rows) * g, dtype,
                 scale=10.0 * rows * n)


@needs_torch
def test_the_two_flattened_variants_differ_except_for_a_ones_gradient():
    """gᵀJ̃ and (J̃ 1) ⊙ g agree for g of ones (both f (1 - rows)), not otherwise; axis is
    ignored by both."""
    _, s, g = probe((3, 4), seed=6)
    ones = np.ones((3, 4))
    assert_close(mistakes.flattened_jacobian_row_sums(s, ones),
                 mistakes.flattened_batch_jacobian(s, ones), np.float64)
    assert np.max(np.abs(mistakes.flattened_jacobian_row_sums(s, g)
                         - mistakes.flattened_batch_jacobian(s, g))) > 1e-2
    for axis in (0, None):
        assert_close(mistakes.flattened_jacobian_row_sums(s, g, axis),
                     mistakes.flattened_jacobian_row_sums(s, g), np.float64)


@pytest.mark.parametrize("backward", [mistakes.flattened_batch_jacobian,
                                      mistakes.flattened_jacobian_row_sums],
                         ids=lambda f: f.__name__)
def test_flattened_variants_refuse_huge_inputs_and_check_shapes(backward):
    big = np.full((1, 8193), 1 / 8193)
    with pytest.raises(ValueError, match=r"\bprobs\b.*8193 entries"):
        backward(big, big)
    with pytest.raises(ValueError, match=r"\bgrad_out\b"):
        backward(np.ones((2, 3)) / 3, np.ones((3, 2)))


@needs_torch
def test_identity_sized_by_batch_thread_001():
    """np.eye(batch) against (batch, classes): fails unless batch == classes, and then
    it is s ⊙ (I - s) ⊙ g, which mixes sample and class indices."""
    _, s, g = probe((3, 10))                   # MNIST-like: 10 classes, batch of 3
    with pytest.raises(ValueError):
        mistakes.identity_sized_by_batch(s, g)
    x, s, g = probe((4, 4), seed=2)
    assert_close(mistakes.identity_sized_by_batch(s, g), s * (np.eye(4) - s) * g, np.float64)
    assert not np.allclose(mistakes.identity_sized_by_batch(s, g),
                           torch_vjp(torch.softmax, x, g, (1,)))


# --- every mistake is wrong, the fused homework backward is right -----------------------

@needs_torch
@pytest.mark.parametrize("backward", BACKWARD_MISTAKES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (2, 6)])
def test_every_mistake_differs_from_autograd(backward, shape):
    x, s, g = probe(shape, seed=3)
    right = torch_vjp(torch.softmax, x, g, (1,))
    try:
        wrong = backward(s, g)
    except ValueError:
        assert backward is mistakes.identity_sized_by_batch and shape[0] != shape[1]
        return
    assert np.max(np.abs(wrong - right)) > 1e-2


def test_the_fused_homework_rule_is_not_a_mistake():
    """Thread 001's fused softmax + cross-entropy backward is right; chapter 2 re-creates
    it in its own code, so it is not among the mistakes."""
    assert not hasattr(mistakes, "homework_fused_backward")
    assert "homework_fused_backward" not in mistakes.__all__


# --- the table of known mistakes --------------------------------------------------------

def test_known_mistakes_table():
    names = [m.name for m in mistakes.KNOWN_MISTAKES]
    assert names == ["diagonal_only", "summed_jacobian_rows", "flattened_batch_jacobian",
                     "flattened_jacobian_row_sums", "identity_sized_by_batch"]
    for m in mistakes.KNOWN_MISTAKES:
        assert m.backward is getattr(mistakes, m.name)
        assert len(m.why) > 40
    by_name = {m.name: m for m in mistakes.KNOWN_MISTAKES}
    assert "element-wise chain rule" in by_name["diagonal_only"].why
    assert not hasattr(mistakes.KNOWN_MISTAKES[0], "aliases")   # read by nothing: dropped
    public = set(mistakes.__all__)
    assert {f.__name__ for f in BACKWARD_MISTAKES} <= public


@needs_torch
def test_mistakes_do_not_mutate_inputs():
    _, s, g = probe((4, 4), seed=5)
    before = s.copy(), g.copy()
    for backward in BACKWARD_MISTAKES:
        backward(s, g)
    np.testing.assert_array_equal(s, before[0])
    np.testing.assert_array_equal(g, before[1])
