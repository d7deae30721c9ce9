"""Double-double arithmetic (a float64 pair ``hi + lo``, about 106 bits) for the one place
where float64 is not enough: a ``logsumexp`` whose value nearly cancels.

``logsumexp(x) = m + log1p(Σ_{j≠k} exp(x_j - m))`` adds a negative ``m`` to a positive
log; when the two nearly cancel (``[-ln 2, -ln 2]`` gives about 1e-17), the rounding of
the log, an ulp of ``|m|``, is most of the result. There the sum ``Σ exp(x_j) - 1`` is
computed in double-double instead, and its ``log1p`` is correct to a few ulps.
Only such rows take this path (:func:`smgrad._rows.logsumexp_rows` picks them); it is a
few dozen numpy passes over them.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["log_sum_exp_near_zero", "two_sum"]

_SPLIT = 134217729.0  # 2**27 + 1: Dekker's split of a float64 into two 26-bit halves
_LN2 = Fraction(
    "0.693147180559945309417232121458176568075500134360255254120680009493393621969694716")
# ln 2 in three parts, the first two of 42 bits (k·part is exact for |k| < 2**11)
_LN2_HI = float(Fraction(round(_LN2 * (1 << 42)), 1 << 42))
_LN2_MID = float(Fraction(round((_LN2 - Fraction(_LN2_HI)) * (1 << 84)), 1 << 84))
_LN2_LO = float(_LN2 - Fraction(_LN2_HI) - Fraction(_LN2_MID))
_TAYLOR = 27  # |r| ≤ ln 2 / 2: the terms after r**27 / 27! are below 2**-120


def _dd(value: Fraction) -> tuple[float, float]:
    hi = float(value)
    return hi, float(value - Fraction(hi))


_INV_FACTORIALS = [_dd(Fraction(1, math.factorial(i))) for i in range(_TAYLOR + 1)]


def two_sum(a, b):
    """``a + b`` rounded, and its rounding error: ``s + e == a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _split(a):
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def _add(a, b):
    s, e = two_sum(a[0], b[0])
    return two_sum(s, e + a[1] + b[1])


def _mul(a, b):
    p, e = _two_prod(a[0], b[0])
    return two_sum(p, e + a[0] * b[1] + a[1] * b[0])


def _exp(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``exp(x)`` for float64 ``x ≤ 0`` as a double-double: ``x = k ln 2 + r``, a Taylor
    series for ``exp(r)``, then ``2**k`` (exact)."""
    k = np.rint(x / _LN2_HI)
    hi, lo = two_sum(x - k * _LN2_HI, -k * _LN2_MID)  # x - k·hi: exact (Sterbenz)
    r = two_sum(hi, lo - k * _LN2_LO)
    total = _INV_FACTORIALS[_TAYLOR]
    for i in range(_TAYLOR - 1, -1, -1):  # Horner: (((c27 r + c26) r + ...) r + 1)
        total = _add(_mul(total, r), _INV_FACTORIALS[i])
    return np.ldexp(total[0], k.astype(int)), np.ldexp(total[1], k.astype(int))


def log_sum_exp_near_zero(x: np.ndarray) -> np.ndarray:
    """``log Σ_j exp(x_ij)`` for each row of float64 ``x`` whose entries are all ≤ 0
    (``-inf`` allowed), to a few ulps even where the result is near 0: shape ``(rows,)``.

    >>> lse = log_sum_exp_near_zero(np.full((1, 2), -math.log(2)))
    >>> bool(0 < lse[0] < 1e-16)   # exactly 2 exp(fl(-ln 2)) - 1, not a rounding of 0
    True
    """
    finite = ~np.isneginf(x)
    hi, lo = (np.where(finite, t, 0.0) for t in _exp(np.where(finite, x, 0.0)))
    while hi.shape[1] > 1:  # pairwise: halve the columns until one is left
        if hi.shape[1] % 2:
            hi, lo = (np.pad(a, ((0, 0), (0, 1))) for a in (hi, lo))
        half = hi.shape[1] // 2
        hi, lo = _add((hi[:, :half], lo[:, :half]), (hi[:, half:], lo[:, half:]))
    total = _add((hi[:, 0], lo[:, 0]), (-1.0, 0.0))
    return np.log1p(total[0]) + total[1] / (1 + total[0])
