"""smgrad.check: finite differences against closed-form derivatives, and gradcheck's
verdicts (including the documented trap: a ones upstream gradient hides a zero backward)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import smgrad
from oracles import FD_TOL, tolerance

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
moderate = st.floats(-3, 3, allow_subnormal=False)


@given(st.data(), shapes, shapes)
def test_numerical_jacobian_of_a_linear_map_is_the_matrix(data, in_shape, out_shape):
    """f(x) = A x (as tensors): the Jacobian is A, shape out_shape + in_shape."""
    a = data.draw(hnp.arrays(np.float64, out_shape + in_shape, elements=moderate))
    x = data.draw(hnp.arrays(np.float64, in_shape, elements=moderate))
    ndim = len(in_shape)

    def f(z):
        return np.tensordot(a, z, axes=ndim)

    jac = smgrad.numerical_jacobian(f, x)
    assert jac.shape == out_shape + in_shape
    np.testing.assert_allclose(jac, a, **FD_TOL)


@given(hnp.arrays(np.float64, shapes, elements=moderate))
def test_numerical_jacobian_of_sin_is_diagonal_cos(x):
    jac = smgrad.numerical_jacobian(np.sin, x)
    expected = np.diag(np.cos(x).reshape(-1)).reshape(x.shape + x.shape)
    np.testing.assert_allclose(jac, expected, **FD_TOL)


@given(st.data(), hnp.arrays(np.float64, shapes, elements=moderate))
def test_numerical_vjp_of_elementwise_and_reducing_functions(data, x):
    g = data.draw(hnp.arrays(np.float64, x.shape, elements=moderate))
    np.testing.assert_allclose(smgrad.numerical_vjp(np.sin, x, g), g * np.cos(x), **FD_TOL)
    # A scalar function: f(x) = Σ x³, gradient 3x², upstream gradient a 0-d array.
    g0 = np.float64(data.draw(moderate))
    np.testing.assert_allclose(smgrad.numerical_vjp(lambda z: np.sum(z ** 3), x, g0),
                               g0 * 3 * x ** 2, **FD_TOL)


def test_fixed_step_is_used():
    """Central differences of x³ with step h are exactly 3x² + h²."""
    x = np.array([0.5, -2.0, 3.0])
    for h in (0.1, 0.25):
        jac = smgrad.numerical_jacobian(lambda z: z ** 3, x, eps=h)
        np.testing.assert_allclose(np.diag(jac), 3 * x ** 2 + h ** 2, **tolerance(np.float64))


def test_default_step_is_relative_for_large_x():
    """The step is ε^(1/3)·max(1, |x|): at x = 1e6 an absolute step of 6e-6 would lose
    every digit of (x+h)³ - (x-h)³ to rounding; the relative step keeps ~10 digits."""
    x = np.array([1e6, 1.0])
    jac = np.diag(smgrad.numerical_jacobian(lambda z: z ** 3, x))
    np.testing.assert_allclose(jac, 3 * x ** 2, **FD_TOL)


def test_numerical_jacobian_shapes_and_dtypes():
    assert smgrad.numerical_jacobian(np.sin, np.float64(0.3)).shape == ()
    assert smgrad.numerical_jacobian(lambda z: np.sum(z), np.ones((2, 3))).shape == (2, 3)
    empty = smgrad.numerical_jacobian(lambda z: np.ones(4) * np.sum(z), np.zeros((0, 2)))
    assert empty.shape == (4, 0, 2)
    # Integer and float32 points are evaluated in float64.
    seen = []
    smgrad.numerical_jacobian(lambda z: seen.append(z.dtype) or z, np.arange(3))
    smgrad.numerical_jacobian(lambda z: seen.append(z.dtype) or z, np.ones(2, np.float32))
    assert set(seen) == {np.dtype(np.float64)}


def test_numerical_vjp_checks_grad_out_shape():
    with pytest.raises(ValueError, match=r"\bgrad_out\b"):
        smgrad.numerical_vjp(np.sin, np.zeros(3), np.zeros(4))


def test_inputs_are_not_mutated():
    x = np.array([0.1, 0.2, 0.3])
    g = np.array([1.0, -1.0, 2.0])
    smgrad.numerical_jacobian(np.sin, x)
    smgrad.numerical_vjp(np.sin, x, g)
    smgrad.gradcheck(np.sin, lambda z, gg: gg * np.cos(z), x, g)
    np.testing.assert_array_equal(x, [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(g, [1.0, -1.0, 2.0])


# --- gradcheck --------------------------------------------------------------------------

def test_gradcheck_passes_a_right_backward():
    x = np.linspace(-1, 2, 6).reshape(2, 3)
    result = smgrad.gradcheck(np.tanh, lambda z, g: g * (1 - np.tanh(z) ** 2), x)
    assert result.ok and bool(result)
    assert result.max_abs_error < 1e-8
    assert "passed" in str(result) and "passed" in repr(result)
    assert result.analytic.shape == result.numeric.shape == x.shape


def test_gradcheck_fails_a_wrong_backward_and_says_where():
    x = np.linspace(-1, 2, 6).reshape(2, 3)
    g = np.ones((2, 3))

    def wrong(z, gg):                     # right except at (1, 2)
        out = gg * np.cos(z)
        out[1, 2] += 0.5
        return out

    result = smgrad.gradcheck(np.sin, wrong, x, g)
    assert not result.ok and not bool(result)
    assert result.where == (1, 2)
    assert abs(result.max_abs_error - 0.5) < 1e-7
    assert "FAILED" in str(result) and "(1, 2)" in str(result)


def test_a_ones_upstream_gradient_hides_a_zero_backward():
    """The module's warning, verified: softmax's rows sum to 1, so a backward returning
    zeros passes a check through out.sum(), and fails gradcheck's random grad_out."""
    x = np.random.default_rng(0).standard_normal((3, 4))

    def zeros(z, g):
        return np.zeros_like(z)

    assert smgrad.gradcheck(smgrad.softmax, zeros, x, grad_out=np.ones((3, 4))).ok
    assert not smgrad.gradcheck(smgrad.softmax, zeros, x).ok


def test_gradcheck_default_grad_out_is_seeded_standard_normal():
    x = np.zeros((2, 3))
    seen = []

    def record(z, g):
        seen.append(g.copy())
        return g

    smgrad.gradcheck(lambda z: z, record, x, seed=7)
    smgrad.gradcheck(lambda z: z, record, x, seed=7)
    smgrad.gradcheck(lambda z: z, record, x, seed=8)
    np.testing.assert_array_equal(seen[0], np.random.default_rng(7).standard_normal((2, 3)))
    np.testing.assert_array_equal(seen[0], seen[1])
    assert not np.array_equal(seen[0], seen[2])


def test_gradcheck_tolerances_are_passed_through():
    x = np.linspace(0.5, 2, 4)

    def slightly_off(z, g):               # relative error 1e-4
        return g * np.cos(z) * (1 + 1e-4)

    assert not smgrad.gradcheck(np.sin, slightly_off, x).ok
    assert smgrad.gradcheck(np.sin, slightly_off, x, rtol=1e-3).ok


def test_gradcheck_rejects_a_vjp_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"\bvjp\b"):
        smgrad.gradcheck(np.sin, lambda z, g: g.sum(axis=0), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\bgrad_out\b"):
        smgrad.gradcheck(np.sin, lambda z, g: g, np.zeros((2, 3)), grad_out=np.zeros(3))


# --- stable printing of errors ---------------------------------------------------------

@pytest.mark.parametrize("error, limit, text", [
    (3e-17, 1e-15, "< 1e-15"),
    (np.array([[1e-17, -4e-16]]), 1e-15, "< 1e-15"),   # the largest |error| counts
    (np.array([1e-17, -0.196]), 1e-15, "1.96e-01"),    # a real failure prints its size
    (1e-15, 1e-15, "1.00e-15"),                         # the limit itself is not below it
    (np.array([]), 1e-15, "< 1e-15"),
])
def test_below_prints_a_bound_or_the_failure(error, limit, text):
    assert smgrad.printing.below(error, limit) == text


def test_tidy_rounds_away_round_off_and_negative_zero():
    out = smgrad.printing.tidy(np.array([-1e-17, 2.5e-9, -0.0, 0.1234567]))
    assert out.dtype == np.float64
    assert out.tolist() == [0.0, 0.0, 0.0, 0.123457]
    assert not np.signbit(out[:3]).any()  # no -0.0 left: it would print as "-0."
    assert smgrad.printing.tidy([0.123456789], decimals=8).tolist() == [0.12345679]
