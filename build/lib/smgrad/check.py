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
from ._compare import ATOL, RTOL, LargestError, compare

__all__ = ["numerical_jacobian", "numerical_vjp", "gradcheck", "GradcheckResult"]

_STEP = np.finfo(np.float64).eps ** (1 / 3)


def numerical_jacobian(f: Callable[[np.ndarray], object], x: object,
                       eps: Optional[float] = None) -> np.ndarray:
    """Jacobian of ``f`` at ``x`` by central differences in float64.

    Parameters
    ----------
    f : callable
        A function of one array, returning an array (or scalar).
    x : array_like
        The point, any shape.
    eps : float, optional
        A fixed step; default ``ε^(1/3) · max(1, |x_k|)`` per entry.

    Returns
    -------
    numpy.ndarray
        ``∂f(x)/∂x``, shape ``f(x).shape + x.shape`` (the layout of
        ``torch.autograd.functional.jacobian``). Costs ``2 · x.size`` calls of ``f``.

    Examples
    --------
    >>> import numpy as np, smgrad
    >>> smgrad.numerical_jacobian(lambda z: z ** 2, np.array([1.0, 3.0])).round(6)
    array([[2., 0.],
           [0., 6.]])
    """
    x = as_float_array(x, "x").astype(np.float64)
    columns = [d for d in _directional_differences(f, x, eps)]
    out_shape = np.shape(f(x))
    stacked = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
    return stacked.reshape(out_shape + x.shape)


def numerical_vjp(f: Callable[[np.ndarray], object], x: object, grad_out: object,
                  eps: Optional[float] = None) -> np.ndarray:
    """``grad_outᵀ · ∂f/∂x`` by central differences of ``φ(x) = Σ grad_out ⊙ f(x)``.

    ``φ`` is a scalar, so this never forms the Jacobian.

    Parameters
    ----------
    f : callable
        A function of one array.
    x : array_like
        The point, any shape.
    grad_out : array_like
        The upstream gradient, shape of ``f(x)``.
    eps : float, optional
        A fixed step, as in :func:`numerical_jacobian`.

    Returns
    -------
    numpy.ndarray
        The gradient of ``φ`` at ``x``, shape of ``x``. Costs ``2 · x.size`` calls of
        ``f``, as :func:`numerical_jacobian` does.

    Examples
    --------
    >>> import numpy as np, smgrad
    >>> smgrad.numerical_vjp(lambda z: z ** 2, np.array([1.0, 3.0]),
    ...                      np.array([1.0, -1.0])).round(6)
    array([ 2., -6.])
    """
    x = as_float_array(x, "x").astype(np.float64)
    g = as_float_array(grad_out, "grad_out").astype(np.float64)
    same_shape(np.asarray(f(x)), g, "f(x)", "grad_out")

    def phi(z: np.ndarray) -> float:
        return float(np.sum(g * np.asarray(f(z), dtype=np.float64)))

    return np.array(list(_directional_differences(phi, x, eps)),
                    dtype=np.float64).reshape(x.shape)


@dataclass(frozen=True)
class GradcheckResult(LargestError):
    """What :func:`gradcheck` found: ``ok``, the largest errors and where they occur.

    Attributes
    ----------
    ok : bool
        ``np.allclose(analytic, numeric, rtol, atol)``; also the truth value.
    max_abs_error, max_rel_error : float
        The largest ``|analytic - numeric|``, and relative to ``|numeric|``.
    where : tuple
        The index of the largest absolute error.
    analytic, numeric : numpy.ndarray
        The backward rule's gradient and the finite-difference one.
    rtol, atol : float
        The tolerances used.

    Examples
    --------
    >>> import numpy as np, smgrad
    >>> result = smgrad.gradcheck(np.sin, lambda z, g: g, np.array([0.5, 1.0]),
    ...                           grad_out=np.ones(2))      # forgot the cos
    >>> bool(result), result.where, round(result.max_abs_error, 4)
    (False, (1,), 0.4597)
    """

    analytic: np.ndarray
    numeric: np.ndarray

    rtol: float = RTOL
    atol: float = ATOL

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
              rtol: float = RTOL, atol: float = ATOL) -> GradcheckResult:
    """Compare an analytic backward ``vjp(x, grad_out)`` with finite differences of ``f``.

    Parameters
    ----------
    f : callable
        The forward function, evaluated in float64.
    vjp : callable
        The backward rule under test: ``vjp(x, grad_out) -> ∂(Σ grad_out ⊙ f)/∂x``.
    x : array_like
        The point to check at.
    grad_out : array_like, optional
        The upstream gradient; default a standard normal draw (``seed``), which, unlike
        a vector of ones, cannot hide a wrong backward for softmax.
    seed : int
        The seed of the default ``grad_out``.
    rtol, atol : float
        Passed to ``np.allclose(analytic, numeric, rtol, atol)``.

    Returns
    -------
    GradcheckResult
        Truthy when the check passed.

    Raises
    ------
    ValueError
        If ``grad_out`` does not have ``f(x)``'s shape, or ``vjp`` returns a shape
        other than ``x``'s.

    Examples
    --------
    >>> import numpy as np, smgrad
    >>> x = np.array([[0.5, -1.0, 2.0]])
    >>> smgrad.gradcheck(smgrad.softmax, lambda z, g: smgrad.softmax_vjp(
    ...     smgrad.softmax(z), g), x)
    gradcheck passed: analytic and numeric gradients agree within rtol=1e-05, atol=1e-08
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
    found = compare(analytic, numeric, rtol=rtol, atol=atol)
    return GradcheckResult(
        ok=found.ok,
        max_abs_error=found.max_abs_error,
        max_rel_error=found.max_rel_error,
        where=found.where,
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
