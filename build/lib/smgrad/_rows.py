"""The row formulas, on 2-D ``(rows, n)`` arrays: what every public function runs once
its input is validated and flattened (``forward``, ``derivatives``, ``losses`` and
``autograd`` flatten once, call one of these, and unflatten once).

Each ``*_rows`` function goes through :func:`smgrad._arrays.rowwise` (blocks of rows,
float16 computed in float32, the special values' warnings silenced); ``block_elems`` is
its block size. The three forward formulas share one first step, :func:`_shift` (as
tinygrad's ``_softmax`` and JAX's ``_logsumexp``): ``m``, the row maximum, and ``x - m``.
"""

from __future__ import annotations

import numpy as np

from ._arrays import BLOCK_ELEMS, row_dot, rowwise

__all__ = ["softmax_rows", "log_softmax_rows", "logsumexp_rows", "softmax_vjp_rows",
           "log_softmax_vjp_rows"]


def softmax_rows(x: np.ndarray, block_elems: int = BLOCK_ELEMS) -> np.ndarray:
    """``exp(x - m) / Σ exp(x - m)`` for each row of ``x``."""
    return rowwise(_softmax, x, block_elems=block_elems)


def log_softmax_rows(x: np.ndarray, block_elems: int = BLOCK_ELEMS) -> np.ndarray:
    """``(x - m) - log Σ exp(x - m)`` for each row of ``x``."""
    return rowwise(_log_softmax, x, block_elems=block_elems)


def logsumexp_rows(x: np.ndarray, block_elems: int = BLOCK_ELEMS) -> np.ndarray:
    """``m + log Σ exp(x - m)`` for each row of ``x``, shape ``(rows,)``; ``-inf`` for
    rows of length 0 (the log of an empty sum)."""
    return rowwise(_logsumexp, x, width=1, block_elems=block_elems)[:, 0]


def softmax_vjp_rows(s: np.ndarray, g: np.ndarray,
                     block_elems: int = BLOCK_ELEMS) -> np.ndarray:
    """``s ⊙ (g - ⟨g, s⟩)`` for each row (softmax's VJP, and its JVP: J is symmetric)."""
    return rowwise(_softmax_vjp, s, g, block_elems=block_elems)


def log_softmax_vjp_rows(s: np.ndarray, g: np.ndarray,
                         block_elems: int = BLOCK_ELEMS) -> np.ndarray:
    """``g - s Σ g`` for each row (log-softmax's VJP)."""
    return rowwise(_log_softmax_vjp, s, g, block_elems=block_elems)


# --- the kernels: one block of rows in, ``out`` written ----------------------------------

def _shift(x: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """Write the shifted logits ``x - m`` into ``out`` and return ``m``, the row maxima as
    a column. Every ``exp(x - m)`` is then at most 1: nothing overflows.

    An all ``-inf`` row (or a row of length 0) gets ``m = 0``, so that its shifted logits
    stay ``-inf`` instead of ``-inf - (-inf) = NaN``; a ``+inf`` maximum stays, and its
    row becomes NaN (``inf - inf``), as documented.
    """
    m = x.max(axis=1, keepdims=True, initial=-np.inf)
    m[np.isneginf(m)] = 0
    np.subtract(x, m, out=out)
    return m


def _log_sum_exp_shifted(shifted: np.ndarray) -> np.ndarray:
    """``log Σ_j exp(shifted_j)`` for each row, as a column (pairwise sums)."""
    return np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax(x: np.ndarray, *, out: np.ndarray) -> None:
    _shift(x, out=out)  # out=: exp and division then work in place
    np.exp(out, out=out)
    out /= row_dot(out, np.ones(out.shape[1], out.dtype))  # row sums via BLAS: 2x .sum()


def _log_softmax(x: np.ndarray, *, out: np.ndarray) -> None:
    _shift(x, out=out)
    out -= _log_sum_exp_shifted(out)


def _logsumexp(x: np.ndarray, *, out: np.ndarray) -> None:
    shifted = np.empty_like(x)
    m = _shift(x, out=shifted)
    np.add(m, _log_sum_exp_shifted(shifted), out=out)
    out[np.isposinf(m)] = np.inf  # a +inf logit: log Σ exp = +inf, not inf - inf


def _softmax_vjp(s: np.ndarray, g: np.ndarray, *, out: np.ndarray) -> None:
    np.subtract(g, row_dot(g, s), out=out)  # g - ⟨g, s⟩ written straight into out
    out *= s


def _log_softmax_vjp(s: np.ndarray, g: np.ndarray, *, out: np.ndarray) -> None:
    np.multiply(s, g.sum(axis=1, keepdims=True), out=out)
    np.subtract(g, out, out=out)
