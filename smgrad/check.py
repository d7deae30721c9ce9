"""Finite-difference checks of Jacobians and vector-Jacobian products.

Central differences in float64::

    ∂f/∂x_k ≈ (f(x + h e_k) - f(x - h e_k)) / 2h,      h = ε^(1/3) · max(1, |x_k|)

with ``ε`` float64's machine epsilon: the step that balances truncation error (∝ h²)
against round-off (∝ ε/h), giving about 10 correct digits.

Check a backward rule with a *random* ``grad_out``, never through ``out.sum()``: the
gradient of ``softmax(x).sum()`` is zero whatever the code does (the rows sum to 1), so
that check passes for any backward that returns zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ._arrays import as_float_array, same_shape

__all__ = ["numerical_jacobian", "numerical_vjp", "gradcheck", "GradcheckResult"]

_STEP = np.finfo(np.float64).eps ** (1 / 3)


def numerical_jacobian(f: Callable[[np.ndarray], object], x: object,
                       eps: Optional[float] = None) -> np.ndarray:
    """Jacobian of ``f`` at ``x`` by central differences in float64.

    Args:
        f: a function of one array, returning an array (or scalar).
        x: the point, any shape.
        eps: a fixed step; default ``ε^(1/3) · max(1, |x_k|)`` per entry.

    Returns:
        ``∂f(x)/∂x``, shape ``f(x).shape + x.shape`` (the layout of
        ``torch.autograd.functional.jacobian``). Costs ``2 · x.size`` calls of ``f``.
    """
    x = as_float_array(x, "x").astype(np.float64)
    columns = [d for d in _directional_differences(f, x, eps)]
    out_shape = np.shape(f(x))
    stacked = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
    return stacked.reshape(out_shape + x.shape)


def numerical_vjp(f: Callable[[np.ndarray], object], x: object, grad_out: object,
                  eps: Optional[float] = None) -> np.ndarray:
    """``grad_outᵀ · ∂f/∂x`` by central differences of ``φ(x) = Σ grad_out ⊙ f(x)``.

    Returns:
        The gradient of ``φ`` at ``x``, shape of ``x``; never forms the Jacobian.
    """
    x = as_float_array(x, "x").astype(np.float64)
    g = as_float_array(grad_out, "grad_out").astype(np.float64)
    same_shape(np.asarray(f(x)), g, "f(x)", "grad_out")

    def phi(z: np.ndarray) -> float:
        return float(np.sum(g * np.asarray(f(z), dtype=np.float64)))

    return np.array(list(_directional_differences(phi, x, eps)),
                    dtype=np.float64).reshape(x.shape)


@dataclass(frozen=True)
class GradcheckResult:
    """What :func:`gradcheck` found: ``ok``, the largest errors and where they occur."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    where: tuple
    analytic: np.ndarray
    numeric: np.ndarray

    rtol: float = 1e-5
    atol: float = 1e-8

    def __str__(self) -> str:
        if self.ok:  # the tolerance, not round-off-sized digits, which vary between CPUs
            return (f"gradcheck passed: analytic and numeric gradients agree within "
                    f"rtol={self.rtol:g}, atol={self.atol:g}")
        return (f"gradcheck FAILED: largest absolute error {self.max_abs_error:.3g} "
                f"at index {self.where}, largest relative error {self.max_rel_error:.3g}")

    __repr__ = __str__

    def __bool__(self) -> bool:
        return self.ok


def gradcheck(f: Callable[[np.ndarray], object],
              vjp: Callable[[np.ndarray, np.ndarray], object], x: object,
              grad_out: Optional[object] = None, *, seed: int = 0,
              rtol: float = 1e-5, atol: float = 1e-8) -> GradcheckResult:
    """Compare an analytic backward ``vjp(x, grad_out)`` with finite differences of ``f``.

    Args:
        f: the forward function, evaluated in float64.
        vjp: the backward rule under test: ``vjp(x, grad_out) -> ∂(Σ grad_out ⊙ f)/∂x``.
        x: the point to check at.
        grad_out: the upstream gradient; default a standard normal draw (``seed``),
            which, unlike a vector of ones, cannot hide a wrong backward for softmax.
        rtol, atol: passed to ``np.allclose(analytic, numeric, rtol, atol)``.

    Returns:
        A :class:`GradcheckResult`; it is truthy when the check passed.
    """
    x = as_float_array(x, "x").astype(np.float64)
    y = np.asarray(f(x), dtype=np.float64)
    if grad_out is None:
        grad_out = np.random.default_rng(seed).standard_normal(y.shape)
    g = as_float_array(grad_out, "grad_out").astype(np.float64)
    same_shape(y, g, "f(x)", "grad_out")
    analytic = np.asarray(vjp(x, g), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"vjp returned shape {analytic.shape}, but x has shape "
                         f"{x.shape}; a VJP returns one gradient entry per input entry")
    numeric = numerical_vjp(f, x, g)
    abs_err = np.abs(analytic - numeric)
    rel_err = abs_err / np.maximum(np.abs(numeric), np.finfo(np.float64).tiny)
    worst = np.unravel_index(np.argmax(abs_err), x.shape) if x.size else ()
    return GradcheckResult(
        ok=bool(np.allclose(analytic, numeric, rtol=rtol, atol=atol)),
        max_abs_error=float(abs_err.max(initial=0.0)),
        max_rel_error=float(rel_err.max(initial=0.0)),
        where=tuple(int(i) for i in worst),
        analytic=analytic,
        numeric=numeric,
        rtol=rtol,
        atol=atol,
    )


def _directional_differences(f, x: np.ndarray, eps: Optional[float]):
    """Yield ``(f(x + h e_k) - f(x - h e_k)) / 2h`` for each entry ``k`` of ``x``."""
    for k in range(x.size):
        h = eps if eps is not None else _STEP * max(1.0, abs(x.flat[k]))
        plus, minus = x.copy(), x.copy()
        plus.flat[k] += h
        minus.flat[k] -= h
        step = plus.flat[k] - minus.flat[k]  # the step actually taken, after rounding
        yield (np.asarray(f(plus), dtype=np.float64)
               - np.asarray(f(minus), dtype=np.float64)) / step
