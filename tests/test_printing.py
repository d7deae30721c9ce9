"""smgrad.printing: round-off printed the same on every machine (a bound, or the failure
itself) and values rounded without negative zeros. Moved here from test_check.py with
the helpers (they were smgrad.check.below and tidy)."""

from __future__ import annotations

import numpy as np
import pytest

import smgrad

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
