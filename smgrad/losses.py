"""Cross-entropy from logits, and its fused gradient.

For one row of logits ``x`` with targets ``t`` (a probability vector, or a class index
``c`` meaning the one-hot vector ``e_c``)::

    loss(x, t)   = -Σ_i t_i log softmax(x)_i          (through log_softmax, never log(softmax))
    ∂loss/∂x     = softmax(x) Σ_i t_i - t              = softmax(x) - t   when Σ t = 1

The second line is the fused softmax + cross-entropy backward: the softmax Jacobian has
been multiplied in already, which is why it looks like it is "missing" (chapter 2).

Reductions follow ``torch.nn.functional.cross_entropy``: ``"none"`` returns one loss per
row, ``"sum"`` their sum, ``"mean"`` their sum divided by the number of rows ``N``.
A target of 0 contributes 0 even where the logit is ``-inf`` (``0 · log 0 = 0``, the
limit), where PyTorch's probability-target path gives NaN.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ._arrays import Axis, Layout, as_float_array, same_shape
from .forward import log_softmax, softmax

__all__ = ["cross_entropy", "cross_entropy_grad"]

_REDUCTIONS = ("mean", "sum", "none")


def cross_entropy(logits: object, targets: object, axis: Axis = -1,
                  reduction: str = "mean") -> np.ndarray:
    """Cross-entropy ``-Σ t log softmax(logits)`` along ``axis``, reduced over rows.

    Args:
        logits: ``x``, any shape; ``axis`` runs over the classes.
        targets: class indices (an integer array of ``logits``' shape without ``axis``,
            values in ``[0, n)``), or probabilities (a float array of ``logits``' shape,
            one-hot or soft).
        axis: the class axis; tuple axes are allowed with probability targets only.
        reduction: ``"mean"`` (over the ``N`` rows), ``"sum"`` or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"``, one loss per row,
        shape ``logits.shape`` without ``axis``.
    """
    logits = as_float_array(logits, "logits")
    layout = Layout.of(logits, axis)
    _check_reduction(reduction)
    t = _targets_2d(targets, logits, layout)
    logp = layout.to_2d(log_softmax(logits, axis))
    with np.errstate(invalid="ignore"):
        per_row = -np.where(t != 0, t * logp, 0).sum(axis=1)
    if reduction == "none":
        return per_row.reshape(layout.batch_shape)
    total = per_row.sum()
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore"):  # no rows: the mean of nothing is NaN, as in torch
        return np.asarray(total / layout.rows, dtype=per_row.dtype)  # numpy 1: not f64


def cross_entropy_grad(logits: object, targets: object, axis: Axis = -1,
                       reduction: str = "mean", grad_out: Optional[object] = None
                       ) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to ``logits``, fused:
    ``(softmax(x) Σt - t) / N`` for ``"mean"`` (``(s - t) / N`` when each ``Σt = 1``).

    Args:
        logits, targets, axis, reduction: as in :func:`cross_entropy`.
        grad_out: the upstream gradient of the loss: a scalar for ``"mean"`` and
            ``"sum"``, one value per row for ``"none"``. Default 1: for ``"none"`` that
            stacks each row's gradient of its own loss.

    Returns:
        ``∂L/∂logits``, shape of ``logits``.
    """
    logits = as_float_array(logits, "logits")
    layout = Layout.of(logits, axis)
    _check_reduction(reduction)
    t = _targets_2d(targets, logits, layout)
    s = layout.to_2d(softmax(logits, axis))
    grad = s * t.sum(axis=1, keepdims=True) - t
    if reduction == "mean":
        grad = grad / layout.rows
    if grad_out is not None:
        grad = grad * _grad_out_column(grad_out, reduction, layout)
    return layout.from_2d(grad.astype(logits.dtype, copy=False))


def _check_reduction(reduction: object) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction={reduction!r} is not one of {_REDUCTIONS}")


def _targets_2d(targets: object, logits: np.ndarray, layout: Layout,
                logits_name: str = "logits") -> np.ndarray:
    """``targets`` as a ``(rows, n)`` array of probabilities in ``logits``' dtype.

    ``logits_name`` is what error messages call the array the targets go with."""
    if targets is None:
        raise TypeError("targets is None; pass class indices (integers) or "
                        f"probabilities (floats, same shape as {logits_name})")
    kind = np.asarray(targets).dtype.kind
    if kind == "b":
        raise TypeError("targets is boolean; pass class indices (integers) or "
                        f"probabilities (floats, same shape as {logits_name})")
    if kind not in "iu":
        probs = as_float_array(targets, "targets")
        same_shape(logits, probs, logits_name, "targets")
        return layout.to_2d(probs).astype(logits.dtype, copy=False)
    index = np.asarray(targets)
    if len(layout.axes) != 1:
        raise ValueError("targets are class indices, which need a single int axis; "
                         "for several class axes pass probability targets")
    if index.shape != layout.batch_shape:
        raise ValueError(f"targets has shape {index.shape}; class-index targets need "
                         f"{logits_name}' shape without the class axis, {layout.batch_shape}")
    if index.size and (index.min() < 0 or index.max() >= layout.n):
        raise ValueError(f"targets holds class indices from {index.min()} to "
                         f"{index.max()}, but {logits_name} has {layout.n} classes; indices "
                         f"must lie in [0, {layout.n})")
    onehot = np.zeros((layout.rows, layout.n), dtype=logits.dtype)
    onehot[np.arange(layout.rows), index.reshape(-1)] = 1
    return onehot


def _grad_out_column(grad_out: object, reduction: str, layout: Layout) -> np.ndarray:
    g = as_float_array(grad_out, "grad_out")
    if reduction == "none":
        if g.shape != layout.batch_shape:
            raise ValueError(f"grad_out has shape {g.shape}; with reduction='none' it "
                             f"needs one value per row, shape {layout.batch_shape}")
        return g.reshape(layout.rows, 1)
    if g.ndim != 0:
        raise ValueError(f"grad_out has shape {g.shape}; with reduction={reduction!r} "
                         f"the loss is a scalar, so grad_out must be a scalar")
    return g
