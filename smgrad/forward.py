"""Stable softmax, log-softmax and log-sum-exp on any axis.

For a row ``x`` of ``n`` logits (the entries along ``axis``)::

    logsumexp(x)   = m + log Σ_j exp(x_j - m),     m = max_j x_j
    softmax(x)_i   = exp(x_i - m) / Σ_j exp(x_j - m)
    log_softmax(x) = x - logsumexp(x)

Subtracting the maximum changes nothing mathematically (softmax is invariant to adding
a constant to every logit) but keeps every ``exp`` argument ≤ 0, so nothing overflows.

The logarithmic forms are accurate to a few ulps, relative, even when one logit dominates:
the sum ``Σ_j exp(x_j - m)`` holds the largest logit's ``exp(0) = 1``, and its log is
computed as ``log1p`` of the other terms (see :mod:`smgrad._rows`), so that
``logsumexp([0, -40])`` is ``e⁻⁴⁰`` (4.2e-18), not 0 as ``log(1 + e⁻⁴⁰)`` would give.

Special values, the same as PyTorch:

* a ``-inf`` logit gets probability exactly 0 (a mask);
* a row whose logits are all ``-inf`` has no defined softmax (0/0): its probabilities
  and log-probabilities are NaN, and its ``logsumexp`` is ``-inf`` (= log 0);
* a ``+inf`` or NaN logit makes its row NaN (``logsumexp`` gives ``+inf`` for ``+inf``).

float16 input is computed in float32 and returned as float16.
"""

from __future__ import annotations

import numpy as np

from ._arrays import Axis, Layout, as_float_array
from ._rows import log_softmax_rows, logsumexp_rows, softmax_rows

__all__ = ["softmax", "log_softmax", "logsumexp"]


def softmax(x: object, axis: Axis = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x - m) / Σ exp(x - m)`` with ``m`` the row maximum.

    Args:
        x: logits, any shape (0-d to n-d); integers are promoted to float64.
        axis: the axis (int), axes (tuple, flattened into one row) or ``None`` (all)
            that each probability distribution runs along. Default: the last axis.

    Returns:
        ``probs``, same shape and float dtype as ``x``; each row sums to 1.

    Examples:
        >>> import numpy as np
        >>> from smgrad import softmax
        >>> softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, -np.inf]]))
        array([[0.09003057, 0.24472847, 0.66524096],
               [0.5       , 0.5       , 0.        ]])
        >>> softmax(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)  # columns
        array([[0.11920292, 0.11920292],
               [0.88079708, 0.88079708]])
        >>> softmax(np.array([1000.0, 1000.0]))  # no overflow
        array([0.5, 0.5])
    """
    x = as_float_array(x, "x")
    layout = Layout.of(x, axis)
    return layout.from_2d(softmax_rows(layout.to_2d(x)))


def log_softmax(x: object, axis: Axis = -1) -> np.ndarray:
    """Log of the softmax along ``axis``, computed as ``x - logsumexp(x)``.

    Never ``log(softmax(x))``: a probability that underflows to 0 would give ``-inf``
    where the true value is a finite, very negative number.

    Returns:
        Same shape and float dtype as ``x``.

    Examples:
        >>> import numpy as np
        >>> from smgrad import log_softmax
        >>> log_softmax(np.array([1.0, 2.0, 3.0]))
        array([-2.40760596, -1.40760596, -0.40760596])
        >>> log_softmax(np.array([0.0, -800.0]))  # log(softmax(x)) would give -inf
        array([   0., -800.])
        >>> top = log_softmax(np.array([0.0, -40.0]))[0]  # -log(1 + e⁻⁴⁰), not 0
        >>> bool(abs(top + 4.2483542552915890e-18) < 1e-32)
        True
    """
    x = as_float_array(x, "x")
    layout = Layout.of(x, axis)
    return layout.from_2d(log_softmax_rows(layout.to_2d(x)))


def logsumexp(x: object, axis: Axis = -1, keepdims: bool = False) -> np.ndarray:
    """``log Σ exp(x)`` along ``axis``, computed as ``m + log Σ exp(x - m)``.

    Returns:
        ``x``'s shape without ``axis`` (with it as size 1 when ``keepdims``).
        An empty axis gives ``-inf`` (the log of an empty sum).

    Examples:
        >>> import numpy as np
        >>> from smgrad import logsumexp
        >>> logsumexp(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]]))
        array([   3.40760596, 1000.69314718])
        >>> logsumexp(np.zeros((2, 3)), axis=0, keepdims=True)  # log 2
        array([[0.69314718, 0.69314718, 0.69314718]])
    """
    x = as_float_array(x, "x")
    layout = Layout.of(x, axis)
    return np.asarray(layout.reduced(logsumexp_rows(layout.to_2d(x)), keepdims))
