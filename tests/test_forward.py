"""smgrad.forward: softmax, log_softmax, logsumexp against PyTorch and MXNet, and the
special values (masks, all -inf rows, +inf, extreme logits, dtypes) the module documents."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smgrad
from oracles import (LONG_ROW, MANY_ROWS, assert_close, mxnet_forward, needs_torch,
                     normalized_axes, to_rows, tolerance, torch_log_softmax, torch_logsumexp,
                     torch_softmax, use_blocks)
from strategies import cases

# Extreme and masked logits must never make numpy warn (no overflow, no 0/0 noise).
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# --- against PyTorch, every shape, axis and dtype ---------------------------------------

FORWARD = {  # smgrad's function and its PyTorch oracle, called alike
    "softmax": (smgrad.softmax, torch_softmax),
    "log_softmax": (smgrad.log_softmax, torch_log_softmax),
}


@needs_torch
@pytest.mark.parametrize("name", FORWARD)
@given(case=cases())
def test_forward_matches_torch(name, case):
    ours, oracle = FORWARD[name]
    assert_close(ours(case.x, case.axis), oracle(case.x, case.axes), case.dtype)


@needs_torch
@given(cases(), st.booleans())
def test_logsumexp_matches_torch(case, keepdims):
    expected = torch_logsumexp(case.x, case.axes, keepdims)
    assert_close(smgrad.logsumexp(case.x, case.axis, keepdims=keepdims), expected, case.dtype)


@given(cases())
def test_rows_are_distributions(case):
    """Every row sums to 1 (up to the rounding of its entries), entries in [0, 1],
    masked entries exactly 0."""
    probs = smgrad.softmax(case.x, case.axis)
    rows = to_rows(probs.astype(np.float64), case.axes)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, **tolerance(case.dtype))
    assert np.all((probs >= 0) & (probs <= 1))
    assert np.all(probs[np.isneginf(case.x)] == 0)


@given(cases())
def test_inputs_not_mutated(case):
    before = case.x.copy()
    smgrad.softmax(case.x, case.axis)
    smgrad.log_softmax(case.x, case.axis)
    smgrad.logsumexp(case.x, case.axis)
    np.testing.assert_array_equal(case.x, before)


# --- against MXNet (int axes, 1-d to 4-d: MXNet has no 0-d arrays) ----------------------

@pytest.mark.mxnet
@given(cases(axis_kind="int", min_dims=1))
def test_softmax_and_log_softmax_match_mxnet(mx, case):
    assert_close(smgrad.softmax(case.x, case.axis),
                 mxnet_forward(mx, "softmax", case.x, case.axis), case.dtype)
    assert_close(smgrad.log_softmax(case.x, case.axis),
                 mxnet_forward(mx, "log_softmax", case.x, case.axis), case.dtype)


# --- arrays the property tests do not draw ----------------------------------------------

@needs_torch
@pytest.mark.parametrize("shape, axis", [
    ((MANY_ROWS, 37), -1),  # many blocks of rows, the last one partial
    ((MANY_ROWS, 37), 0),   # rows that are columns
    ((2, LONG_ROW), -1),    # rows longer than a block
    ((5, 7, 300), 1),     # a middle axis
    ((6, 5, 4, 3), (0, 2)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_arrays_match_torch(shape, axis, dtype, monkeypatch):
    use_blocks(monkeypatch)  # many blocks of 2**17 entries, whatever this CPU's default
    x = (np.random.default_rng(0).standard_normal(shape) * 20).astype(dtype)
    axes = normalized_axes(axis, len(shape))
    assert_close(smgrad.softmax(x, axis), torch_softmax(x, axes), dtype)
    assert_close(smgrad.log_softmax(x, axis), torch_log_softmax(x, axes), dtype)
    assert_close(smgrad.logsumexp(x, axis), torch_logsumexp(x, axes, False), dtype)


@needs_torch
@pytest.mark.parametrize("layout", ["transposed", "strided", "fortran"])
def test_non_contiguous_input_matches_torch(layout):
    base = np.random.default_rng(1).standard_normal((6, 8))
    x = {"transposed": base.T, "strided": base[:, ::2],
         "fortran": np.asfortranarray(base)}[layout]
    for axis in (0, 1, -1):
        assert_close(smgrad.softmax(x, axis), torch_softmax(np.ascontiguousarray(x), (axis % 2,)),
                     np.float64)


@needs_torch
@pytest.mark.parametrize("shape, axis", [
    ((0,), -1), ((0, 3), -1), ((3, 0), -1), ((3, 0), 0), ((2, 0, 3), (0, 2)), ((2, 0, 3), 1),
])
def test_empty_arrays_match_torch(shape, axis):
    x = np.zeros(shape)
    axes = normalized_axes(axis, len(shape))
    assert_close(smgrad.softmax(x, axis), torch_softmax(x, axes), np.float64)
    assert_close(smgrad.log_softmax(x, axis), torch_log_softmax(x, axes), np.float64)
    for keepdims in (False, True):  # an empty sum: log 0 = -inf
        assert_close(smgrad.logsumexp(x, axis, keepdims=keepdims),
                     torch_logsumexp(x, axes, keepdims), np.float64)


@pytest.mark.parametrize("axis", [-1, 0, None, (0,), (-1,)])
def test_zero_d_input_is_one_class(axis):
    x = np.float64(-3.5)
    assert smgrad.softmax(x, axis) == 1.0
    assert smgrad.softmax(x, axis).shape == ()
    assert smgrad.log_softmax(x, axis) == 0.0
    assert smgrad.logsumexp(x, axis) == -3.5


# --- stability: extreme logits, masks, documented special values ------------------------

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_extreme_logits_no_warning_and_exact_results(dtype):
    """±1e4 overflows a naive exp in every float dtype; the stable forms give the
    closed-form answers, without any warning."""
    x = np.array([[1e4, -1e4, 0.0],
                  [-1e4, -1e4, -1e4],
                  [1e4, 1e4, -1e4]], dtype=dtype)
    third, half = 1 / 3, 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = smgrad.softmax(x)
        logp = smgrad.log_softmax(x)
        lse = smgrad.logsumexp(x)
    assert_close(probs, [[1, 0, 0], [third] * 3, [half, half, 0]], dtype)
    log2, log3 = np.log(2.0), np.log(3.0)
    assert_close(logp, [[0, -2e4, -1e4], [-log3] * 3, [-log2, -log2, -2e4 - log2]], dtype)
    assert_close(lse, [1e4, -1e4 + log3, 1e4 + log2], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_at_the_float_limit_no_warning(dtype):
    """With logits of ±(largest float)/1.2, x - max overflows to -inf: exp gives exactly 0
    and nothing warns, in every function (they share one error state)."""
    big = np.finfo(dtype).max / dtype(1.2)
    x = np.array([big, -big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = smgrad.softmax(x)
        lse = smgrad.logsumexp(x)
        logp = smgrad.log_softmax(x)
    assert probs.tolist() == [1.0, 0.0]
    assert lse == big
    assert logp[0] == 0 and logp[1] == -np.inf  # -2·big/1.2 is beyond the float range


@needs_torch
def test_log_softmax_is_not_log_of_softmax():
    """exp(-1e4) underflows to 0, but log_softmax keeps the finite value -1e4."""
    x = np.array([0.0, -1e4])
    logp = smgrad.log_softmax(x)
    assert np.all(np.isfinite(logp))
    assert_close(logp, [0.0, -1e4], np.float64)
    assert_close(logp, torch_log_softmax(x, (0,)), np.float64)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_masked_entries_get_exactly_zero(dtype, axis):
    x = np.array([[0.5, -np.inf, 2.0, -np.inf],
                  [-np.inf, 1.0, 3.0, 0.0],
                  [1.0, 2.0, -1.0, 4.0]], dtype=dtype)
    mask = np.isneginf(x)
    probs = smgrad.softmax(x, axis)
    logp = smgrad.log_softmax(x, axis)
    assert np.all(probs[mask] == 0.0)
    assert np.all(np.isneginf(logp[mask]))
    assert_close(probs, torch_softmax(x, (axis % 2,)), dtype)
    assert_close(logp, torch_log_softmax(x, (axis % 2,)), dtype)
    # A mask is the same as leaving the class out: closed form on the first row.
    kept = np.exp(np.array([0.5, 2.0]) - 2.0)
    if axis in (1, -1):
        assert_close(probs[0, [0, 2]], kept / kept.sum(), dtype)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_masked_row_is_nan_and_logsumexp_minus_inf(dtype):
    """Documented: a row of only -inf has no softmax (0/0): NaN probabilities and
    log-probabilities, logsumexp -inf (log 0). Other rows are unaffected. As PyTorch."""
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, -np.inf]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = smgrad.softmax(x)
        logp = smgrad.log_softmax(x)
        lse = smgrad.logsumexp(x)
    assert np.all(np.isnan(probs[0])) and np.all(np.isnan(logp[0]))
    assert lse[0] == -np.inf
    e = np.exp(-1.0)
    assert_close(probs[1], [e / (1 + e), 1 / (1 + e), 0.0], dtype)
    assert_close(probs, torch_softmax(x, (1,)), dtype)
    assert_close(logp, torch_log_softmax(x, (1,)), dtype)
    assert_close(lse, torch_logsumexp(x, (1,), False), dtype)


@needs_torch
def test_positive_inf_or_nan_logit_gives_nan_row():
    """Documented: +inf or NaN makes its row NaN; logsumexp is +inf for +inf. As PyTorch."""
    x = np.array([[np.inf, 0.0], [np.nan, 0.0], [1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = smgrad.softmax(x)
        lse = smgrad.logsumexp(x)
    assert np.all(np.isnan(probs[:2]))
    assert lse[0] == np.inf and np.isnan(lse[1])
    assert_close(probs, torch_softmax(x, (1,)), np.float64)
    assert_close(lse, torch_logsumexp(x, (1,), False), np.float64)


@needs_torch
def test_float16_is_kept_and_accurate():
    x = (np.random.default_rng(2).standard_normal((4, 5)) * 5).astype(np.float16)
    probs = smgrad.softmax(x)
    assert probs.dtype == np.float16
    # Oracle: torch in float32 on the same (exactly representable) values, rounded once.
    expected = torch_softmax(x.astype(np.float32), (1,)).astype(np.float16)
    assert_close(probs, expected, np.float16)
    assert smgrad.log_softmax(x).dtype == np.float16
    assert smgrad.logsumexp(x).dtype == np.float16


@needs_torch
@pytest.mark.parametrize("x", [
    [1, 2, 3],
    np.arange(6, dtype=np.int32).reshape(2, 3),
    np.arange(6, dtype=np.uint8).reshape(3, 2),
    np.array([True, False, True]),
    7,
])
def test_integers_and_bools_promoted_to_float64(x):
    expected_probs = torch_softmax(np.asarray(x, dtype=np.float64), (np.ndim(x) - 1,)
                                   if np.ndim(x) else ())
    assert_close(smgrad.softmax(x), expected_probs, np.float64)
    assert smgrad.log_softmax(x).dtype == np.float64
    assert smgrad.logsumexp(x).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_every_function_keeps_the_dtype(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4)).astype(dtype)
    g = rng.standard_normal((3, 4)).astype(dtype)
    probs = smgrad.softmax(x)
    targets = np.array([0, 3, 1])
    outputs = {
        "softmax": probs,
        "log_softmax": smgrad.log_softmax(x),
        "logsumexp": smgrad.logsumexp(x),
        "softmax_jacobian": smgrad.softmax_jacobian(probs),
        "softmax_jacobian full": smgrad.softmax_jacobian(probs, full=True),
        "softmax_vjp": smgrad.softmax_vjp(probs, g),
        "softmax_jvp": smgrad.softmax_jvp(probs, g),
        "log_softmax_vjp": smgrad.log_softmax_vjp(probs, g),
        "cross_entropy": smgrad.cross_entropy(x, targets),
        "cross_entropy_grad": smgrad.cross_entropy_grad(x, targets),
        "cross_entropy probs": smgrad.cross_entropy(x, probs),
        "cross_entropy_grad probs": smgrad.cross_entropy_grad(x, probs),
    }
    wrong = {name: out.dtype for name, out in outputs.items() if out.dtype != dtype}
    assert not wrong, f"dtype {np.dtype(dtype)} not kept by {wrong}"


# --- accuracy: within a few ulps of the exact value (mpmath), one logit dominating too --

#: mpmath's working precision: log(1 + e⁻⁷⁰⁰) needs more than 300 digits to keep e⁻⁷⁰⁰.
DIGITS = 400
#: The largest relative error allowed, in units of the dtype's epsilon (issue 20).
MAX_ULPS = 8


def exact_logsumexp(row: np.ndarray) -> mpmath.mpf:
    """``log Σ exp(row)`` to :data:`DIGITS` digits, from the row's exact float values."""
    with mpmath.workdps(DIGITS):
        return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


def ulps_off(actual: float, exact: mpmath.mpf, dtype: np.dtype) -> float:
    """``actual``'s error in units of ``dtype``'s epsilon: relative where the exact value
    is a normal number of ``dtype``, else absolute in units of its smallest subnormal (as
    close as the dtype allows)."""
    info = np.finfo(dtype)
    with mpmath.workdps(DIGITS):
        error = abs(mpmath.mpf(float(actual)) - exact)
        if abs(exact) >= float(info.tiny):
            return float(error / (abs(exact) * float(info.eps)))
        return float(error / (float(info.tiny) * float(info.eps)))


def worst_ulps(x: np.ndarray) -> dict[str, float]:
    """The largest error in ulps of ``logsumexp``, of every ``log_softmax`` entry and of
    ``cross_entropy`` for every class of the row ``x``, against mpmath."""
    lse = exact_logsumexp(x)
    logp = smgrad.log_softmax(x)
    losses = smgrad.cross_entropy(np.tile(x, (x.size, 1)), np.arange(x.size), reduction="none")
    with mpmath.workdps(DIGITS):
        exact_logp = [mpmath.mpf(float(v)) - lse for v in x]
    return {"logsumexp": ulps_off(smgrad.logsumexp(x), lse, x.dtype),
            "log_softmax": max(ulps_off(a, e, x.dtype) for a, e in zip(logp, exact_logp)),
            "cross_entropy": max(ulps_off(a, -e, x.dtype) for a, e in zip(losses, exact_logp))}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("row", [
    [0.0, -40.0],                 # scipy gh-18295: log(1 + e⁻⁴⁰), not 0
    [0.0, -6.0, -7.0, -8.5],      # a gap of 6: 25-40 ulps with log of the whole sum
    [0.0, -17.0],                 # 1 + e⁻¹⁷ rounds to 1 in float32
    [1e4, 1e4 - 30.0],            # a dominant logit far from 0
    [5.0, -95.0],
    [0.0, 0.0, -20.0],            # tied maxima: the sum keeps the second 1
    [-0.7, -0.7],                 # m + log 2 nearly cancels
    [-0.6931471805599453] * 2,    # -ln 2 twice: logsumexp ≈ 1e-17, not a rounding of 0
    [-20.0, -20.0, -20.5, -19.0],
], ids=str)
def test_log_forms_are_exact_to_a_few_ulps(row, dtype):
    x = np.array(row, dtype)
    worst = worst_ulps(x)
    assert max(worst.values()) <= MAX_ULPS, worst


def test_logsumexp_scipy_gh18295():
    """scipy's regression value: log(1 + e⁻⁴⁰) = 4.2483542552915890e-18 (smgrad gave 0)."""
    expected = 4.2483542552915890e-18
    assert abs(smgrad.logsumexp(np.array([0.0, -40.0])) - expected) <= 2 * np.spacing(expected)
    assert abs(smgrad.log_softmax(np.array([0.0, -40.0]))[0] + expected) <= \
        2 * np.spacing(expected)


def test_logsumexp_keeps_e_to_the_minus_700():
    """log(1 + e⁻⁷⁰⁰) = e⁻⁷⁰⁰ (1 - e⁻⁷⁰⁰ / 2 ...): float64 has it, 1 + e⁻⁷⁰⁰ does not."""
    x = np.array([0.0, -700.0])
    worst = worst_ulps(x)
    assert smgrad.logsumexp(x) > 0
    assert max(worst.values()) <= MAX_ULPS, worst


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dominant_logit_along_any_axis(dtype):
    """The same accuracy along axis 0, along a tuple of axes, and in float16 (computed in
    float32, rounded once)."""
    row = np.array([0.0, -9.0, -10.0, -12.0], dtype)
    exact = exact_logsumexp(row)
    for x, axis in ((row[:, None], 0), (row.reshape(2, 2), (0, 1)), (row[None], -1)):
        lse = smgrad.logsumexp(x, axis)
        assert lse.dtype == dtype
        assert ulps_off(lse.reshape(-1)[0], exact, dtype) <= MAX_ULPS
        logp = smgrad.log_softmax(x, axis).reshape(-1)
        assert ulps_off(logp[0], -exact, dtype) <= MAX_ULPS


@pytest.mark.parametrize("row, lse", [
    ([-np.inf, -np.inf], -np.inf), ([np.inf, 0.0], np.inf), ([np.nan, 0.0], np.nan),
    ([-np.inf, 0.0, -np.inf], 0.0), ([0.0, -np.inf, -40.0], 4.2483542552915890e-18),
])
def test_special_rows_keep_their_values(row, lse):
    """A mask is left out of the sum, also in the accurate form; all -inf, +inf and NaN
    rows keep their documented values."""
    x = np.array(row)
    np.testing.assert_array_equal(smgrad.logsumexp(x), lse)
    assert smgrad.logsumexp(np.zeros((3, 0))).tolist() == [-np.inf] * 3


@st.composite
def dominated_rows(draw) -> np.ndarray:
    """A row with its largest logit anywhere, the others below it by gaps from 0 to past
    the dtype's underflow, around a maximum from -30 to 30 (near -log n too)."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    limit = 110.0 if dtype == np.float32 else 750.0
    n = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.one_of(st.floats(0, 3), st.floats(0, limit)),
                         min_size=n - 1, max_size=n - 1))
    top = draw(st.one_of(st.floats(-30, 30), st.just(-np.log(n)),
                         st.floats(-np.log(n) - 0.1, -np.log(n) + 0.1)))
    row = np.array([top] + [top - gap for gap in gaps], dtype)
    return row[np.argsort(draw(st.permutations(range(n))))]


@given(dominated_rows())
def test_log_forms_are_exact_to_a_few_ulps_on_any_row(x):
    worst = worst_ulps(x)
    assert max(worst.values()) <= MAX_ULPS, worst
