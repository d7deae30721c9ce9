"""Stable softmax, log-softmax and log-sum-exp on any axis.

For a row ``x`` of ``n`` logits (the entries along ``axis``)::

    logsumexp(x)   = m + log Σ_j exp(x_j - m),     m = max_j x_j
    softmax(x)_i   = exp(x_i - m) / Σ_j exp(x_j - m)
    log_softmax(x) = x - logsumexp(x)

Subtracting the maximum changes nothing mathematically (softmax is invariant to adding
a constant to every logit) but keeps every ``exp`` argument ≤ 0, so nothing overflows.

Special values, the same as PyTorch:

* a ``-inf`` logit gets probability exactly 0 (a mask);
* a row whose logits are all ``-inf`` has no defined softmax (0/0): its probabilities
  and log-probabilities are NaN, and its ``logsumexp`` is ``-inf`` (= log 0);
* a ``+inf`` or NaN logit makes its row NaN (``logsumexp`` gives ``+inf`` for ``+inf``).

float16 input is computed in float32 and returned as float16.
"""

from __future__ import annotations

import numpy as np

from ._arrays import (Axis, Layout, as_float_array, compute_dtype, row_dot, rowwise,
                      special_values_quietly)

__all__ = ["softmax", "log_softmax", "logsumexp"]


def softmax(x: object, axis: Axis = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x - m) / Σ exp(x - m)`` with ``m`` the row maximum.

    Args:
        x: logits, any shape (0-d to n-d); integers are promoted to float64.
        axis: the axis (int), axes (tuple, flattened into one row) or ``None`` (all)
            that each probability distribution runs along. Default: the last axis.

    Returns:
        ``probs``, same shape and float dtype as ``x``; each row sums to 1.
    """
    x = as_float_array(x, "x")
    layout = Layout.of(x, axis)
    return layout.from_2d(rowwise(_softmax_2d, layout.to_2d(x)))


def log_softmax(x: object, axis: Axis = -1) -> np.ndarray:
    """Log of the softmax along ``axis``, computed as ``x - logsumexp(x)``.

    Never ``log(softmax(x))``: a probability that underflows to 0 would give ``-inf``
    where the true value is a finite, very negative number.

    Returns:
        Same shape and float dtype as ``x``.
    """
    x = as_float_array(x, "x")
    layout = Layout.of(x, axis)
    return layout.from_2d(rowwise(_log_softmax_2d, layout.to_2d(x)))


def logsumexp(x: object, axis: Axis = -1, keepdims: bool = False) -> np.ndarray:
    """``log Σ exp(x)`` along ``axis``, computed as ``m + log Σ exp(x - m)``.

    Returns:
        ``x``'s shape without ``axis`` (with it as size 1 when ``keepdims``).
        An empty axis gives ``-inf`` (the log of an empty sum).
    """
    x = as_float_array(x, "x")
    layout = Layout.of(x, axis)
    x2 = layout.to_2d(x).astype(compute_dtype(x.dtype), copy=False)
    if layout.n == 0:
        out = np.full(layout.rows, -np.inf, dtype=x2.dtype)
    else:
        m = _safe_max(x2)
        with special_values_quietly():
            out = (m + np.log(np.exp(x2 - m).sum(axis=1, keepdims=True)))[:, 0]
        out[np.isposinf(m[:, 0])] = np.inf  # a +inf logit: log Σ exp = +inf, not inf - inf
    return np.asarray(layout.reduced(out.astype(x.dtype, copy=False), keepdims))


def _softmax_2d(x: np.ndarray, *, out: np.ndarray) -> None:
    np.subtract(x, _safe_max(x), out=out)  # out=: exp and division then work in place
    np.exp(out, out=out)
    out /= row_dot(out, np.ones(out.shape[1], out.dtype))  # row sums via BLAS: 2x .sum()


def _log_softmax_2d(x: np.ndarray, *, out: np.ndarray) -> None:
    np.subtract(x, _safe_max(x), out=out)
    out -= np.log(np.exp(out).sum(axis=1, keepdims=True))


def _safe_max(x: np.ndarray) -> np.ndarray:
    """Row maxima as a column, with the maxima of all ``-inf`` rows set to 0 (a ``+inf``
    maximum stays: ``inf - inf`` makes its whole row NaN, as documented)."""
    m = x.max(axis=1, keepdims=True)
    m[np.isneginf(m)] = 0
    return m
