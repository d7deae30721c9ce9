"""smgrad._twofold: double-double exp and the log-sum-exp of rows that nearly cancel,
against mpmath."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from smgrad._twofold import _exp, log_sum_exp_near_zero, two_sum


@given(st.floats(-1e10, 1e10), st.floats(-1e10, 1e10))
@example(1.0, 1e-70)
@example(1e10, 1e-300)
def test_two_sum_is_exact(a, b):
    """s + e equals a + b exactly (in rationals: no working precision to hide behind)."""
    s, e = two_sum(np.float64(a), np.float64(b))
    assert Fraction(float(s)) + Fraction(float(e)) == Fraction(a) + Fraction(b)


@pytest.mark.parametrize("x", [0.0, -1e-300, -0.3, -0.5, -math.log(6), -20.2, -70.0, -600.0])
def test_exp_keeps_about_100_bits(x):
    """Where its low part is a normal number (x > -650), exp is good to 2**-95."""
    hi, lo = _exp(np.array([x]))
    with mpmath.workdps(60):
        exact = mpmath.exp(mpmath.mpf(x))
        error = abs(mpmath.mpf(float(hi[0])) + mpmath.mpf(float(lo[0])) - exact) / exact
    assert error < 2.0 ** -95


@pytest.mark.parametrize("row", [
    [-math.log(2)] * 2, [-math.log(6)] * 6, [-0.7, -0.7], [-1.0, -1.5, -np.inf, -2.0],
    [-math.log(3) + 1e-9, -math.log(3), -math.log(3) - 1e-9],
], ids=str)
def test_log_sum_exp_near_zero_is_relatively_exact(row):
    x = np.array([row])
    with mpmath.workdps(80):
        exact = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row))
        error = abs(mpmath.mpf(float(log_sum_exp_near_zero(x)[0])) - exact) / abs(exact)
    assert float(error) <= 4 * np.finfo(np.float64).eps
