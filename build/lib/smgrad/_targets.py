"""Cross-entropy's targets, validated and converted once, and the row computations that
``losses`` and ``autograd`` share: the masked ``-Σ t log p`` and the fused gradient.

Targets are class indices (an integer array of the logits' shape without the class axis)
or probabilities (a float array of the logits' shape, one-hot or soft). Either way
:func:`target_rows` turns them into one ``(rows, n)`` array of probabilities, laid out
as :meth:`smgrad._arrays.Layout.to_2d` lays out the logits.
"""

from __future__ import annotations

import numpy as np

from ._arrays import Layout, as_float_array, same_shape

__all__ = ["REDUCTIONS", "check_reduction", "target_rows", "neg_sum_t_log_p",
           "fused_gradient", "reduce_rows"]

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: object) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r} is not one of {REDUCTIONS}")


def target_rows(targets: object, like: np.ndarray, layout: Layout,
                like_name: str = "logits") -> np.ndarray:
    """``targets`` as a ``(rows, n)`` array of probabilities in ``like``'s dtype.

    ``like`` is the array the targets go with (its ``layout``); ``like_name`` is what
    error messages call it."""
    if targets is None:
        raise TypeError("targets is None; pass class indices (integers) or "
                        f"probabilities (floats, same shape as {like_name})")
    kind = np.asarray(targets).dtype.kind
    if kind == "b":
        raise TypeError("targets is boolean; pass class indices (integers) or "
                        f"probabilities (floats, same shape as {like_name})")
    if kind not in "iu":
        probs = as_float_array(targets, "targets")
        same_shape(like, probs, like_name, "targets")
        return layout.to_2d(probs).astype(like.dtype, copy=False)
    index = np.asarray(targets)
    if len(layout.axes) != 1:
        raise ValueError("targets are class indices, which need a single int axis; "
                         "for several class axes pass probability targets")
    if index.shape != layout.batch_shape:
        raise ValueError(f"targets has shape {index.shape}; class-index targets need "
                         f"{like_name}' shape without the class axis, {layout.batch_shape}")
    if index.size and (index.min() < 0 or index.max() >= layout.n):
        raise ValueError(f"targets holds class indices from {index.min()} to "
                         f"{index.max()}, but {like_name} has {layout.n} classes; indices "
                         f"must lie in [0, {layout.n})")
    onehot = np.zeros((layout.rows, layout.n), dtype=like.dtype)
    onehot[np.arange(layout.rows), index.reshape(-1)] = 1
    return onehot


def neg_sum_t_log_p(t: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """``-Σ_i t_i log p_i`` for each row, shape ``(rows,)``; a target of 0 contributes
    0 even where ``log p = -inf`` (``0 · log 0 = 0``, the limit)."""
    with np.errstate(invalid="ignore"):
        return -np.where(t != 0, t * log_p, 0).sum(axis=1)


def fused_gradient(probs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``∂/∂x`` of each row's ``-Σ t log softmax(x)``, given ``probs = softmax(x)``:
    ``s Σ_i t_i - t`` (``s - t`` when ``Σ t = 1``)."""
    return probs * t.sum(axis=1, keepdims=True) - t


def reduce_rows(per_row: np.ndarray, reduction: str, layout: Layout) -> np.ndarray:
    """Per-row losses reduced as ``torch.nn.functional.cross_entropy`` does: ``"none"``
    (shape ``layout.batch_shape``), ``"sum"`` or ``"mean"`` (0-d arrays)."""
    if reduction == "none":
        return per_row.reshape(layout.batch_shape)
    total = per_row.sum()
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore"):  # no rows: the mean of nothing is NaN, as in torch
        return np.asarray(total / layout.rows, dtype=per_row.dtype)  # numpy 1: not f64
