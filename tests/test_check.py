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


def test_gradcheck_messages_are_unchanged():
    """Notebooks print these: the wording and the number formats stay as they were."""
    x = np.linspace(-1, 2, 6).reshape(2, 3)
    passed = smgrad.gradcheck(np.sin, lambda z, g: g * np.cos(z), x)
    assert str(passed) == ("gradcheck passed: analytic and numeric gradients agree "
                           "within rtol=1e-05, atol=1e-08")
    assert passed.rtol == 1e-5 and passed.atol == 1e-8

    def wrong(z, g):
        out = g * np.cos(z)
        out[1, 2] += 0.5
        return out

    failed = smgrad.gradcheck(np.sin, wrong, x, np.ones((2, 3)))
    rel = 0.5 / abs(np.cos(2.0))
    assert str(failed) == (f"gradcheck FAILED: largest absolute error 0.5 at index (1, 2), "
                           f"largest relative error {rel:.3g}")
    assert repr(failed) == str(failed)
    assert str(smgrad.gradcheck(np.sin, lambda z, g: g * np.cos(z), x, rtol=1e-3,
                                atol=1e-4)).endswith("within rtol=0.001, atol=0.0001")


def test_gradcheck_nan_and_empty_inputs():
    x = np.array([0.1, 0.2])
    result = smgrad.gradcheck(np.sin, lambda z, g: np.full_like(z, np.nan), x)
    assert not result.ok and np.isnan(result.max_abs_error) and result.where == (0,)
    empty = smgrad.gradcheck(np.sin, lambda z, g: g * np.cos(z), np.zeros((0, 3)))
    assert empty.ok and empty.where == () and empty.max_abs_error == 0.0


# --- the comparison helper shared with diagnose and feedback ----------------------------

def test_one_comparison_helper_and_one_place_for_tolerances():
    from smgrad import _compare, check, diagnosis, feedback

    assert check.compare is diagnosis.compare is feedback.compare is _compare.compare
    assert diagnosis.tolerance is feedback.tolerance is _compare.tolerance
    assert _compare.tolerance(np.float64) == (check.gradcheck.__kwdefaults__["rtol"],
                                              check.gradcheck.__kwdefaults__["atol"])


@given(st.data(), shapes)
def test_compare_agrees_with_allclose_and_says_where(data, shape):
    from smgrad._compare import compare

    a = data.draw(hnp.arrays(np.float64, shape, elements=moderate))
    b = data.draw(hnp.arrays(np.float64, shape, elements=moderate))
    found = compare(a, b, 1e-5, 1e-8)
    assert found.ok == np.allclose(a, b, rtol=1e-5, atol=1e-8)
    err = np.abs(a - b)
    assert found.max_abs_error == err.max()
    assert err[found.where] == err.max()
    assert (found.expected, found.actual) == (b[found.where], a[found.where])
    wrong = ~np.isclose(a, b, rtol=1e-5, atol=1e-8)
    assert found.wrong_count == wrong.sum()
    if wrong.any():
        assert found.first_wrong == tuple(int(i) for i in np.argwhere(wrong)[0])
    else:
        assert found.first_wrong == ()


def test_tolerances_follow_the_dtype():
    from smgrad._compare import least_precise, precision_of, tolerance

    assert tolerance(np.float64) == (1e-5, 1e-8)
    rtol32, atol32 = tolerance(np.float32)
    rtol16, atol16 = tolerance(np.float16)
    assert rtol32 == 1e-5 and atol32 == 16 * np.finfo(np.float32).eps
    assert rtol16 == atol16 == 16 * np.finfo(np.float16).eps
    assert tolerance(np.int64) == tolerance(np.float64)
    assert least_precise(np.float64, np.float16, np.float32) == np.float16
    assert least_precise(np.int32) == np.float64
    assert precision_of(np.ones(3, np.float16)) == np.float16
    assert precision_of(np.array([0.1, 0.7])) == np.float64
    assert precision_of(np.float32([0.1, 0.7]).astype(np.float64)) == np.float32
    assert precision_of(np.zeros(3)) == np.float64      # nothing to tell from


def test_to_array_reads_results_and_says_what_it_cannot_read():
    from smgrad._compare import NotAnArray, kind_of, to_array

    assert to_array([[1, 2]]).dtype == np.float64
    assert to_array(np.ones(2, np.float16)).dtype == np.float16
    assert to_array(True).dtype == np.float64
    with pytest.raises(TypeError, match="returned None"):
        to_array(None)
    for value, words in [(["a"], "of text, not numbers"), ([[1], [1, 2]], "rectangular"),
                         (1j, "complex"), (object(), "an object, not numbers"),
                         ([object()], "list of Python objects")]:
        with pytest.raises(NotAnArray, match=words):
            to_array(value)
    assert kind_of(np.zeros((2, 1), np.float32)) == "an array of shape (2, 1) (float32)"
    assert kind_of([[1, 2]]) == "a list of shape (1, 2)"
    assert kind_of([[1], [1, 2]]) == "a list"
