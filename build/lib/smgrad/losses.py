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

from ._arrays import Axis, Layout, as_float_array
from ._rows import log_softmax_rows, softmax_rows
from ._targets import check_reduction, fused_gradient, neg_sum_t_log_p, reduce_rows, target_rows

__all__ = ["cross_entropy", "cross_entropy_grad"]


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

    Examples:
        >>> import numpy as np
        >>> from smgrad import cross_entropy
        >>> logits = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0]])
        >>> cross_entropy(logits, np.array([0, 1, 0]), reduction="none")  # log 2, ...
        array([0.69314718, 0.69314718, 0.12692801])
        >>> round(float(cross_entropy(logits, np.array([0, 1, 0]))), 6)   # the mean
        0.504407
        >>> soft = np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])   # probability targets
        >>> cross_entropy(logits, soft, reduction="none")
        array([0.69314718, 0.69314718, 0.12692801])
    """
    layout, x, t = _rows_of(logits, targets, axis, reduction)
    return reduce_rows(neg_sum_t_log_p(t, log_softmax_rows(x)), reduction, layout)


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

    Examples:
        >>> import numpy as np
        >>> from smgrad import cross_entropy_grad
        >>> logits = np.array([[0.0, 0.0], [0.0, 0.0]])
        >>> cross_entropy_grad(logits, np.array([0, 1]))   # (s - t) / N with N = 2
        array([[-0.25,  0.25],
               [ 0.25, -0.25]])
        >>> cross_entropy_grad(logits, np.array([0, 1]), reduction="none",
        ...                    grad_out=np.array([1.0, 2.0]))   # row i times grad_out[i]
        array([[-0.5,  0.5],
               [ 1. , -1. ]])
    """
    layout, x, t = _rows_of(logits, targets, axis, reduction)
    grad = fused_gradient(softmax_rows(x), t)
    if reduction == "mean":
        grad = grad / layout.rows
    if grad_out is not None:
        grad = grad * _grad_out_column(grad_out, reduction, layout)
    return layout.from_2d(grad.astype(x.dtype, copy=False))


def _rows_of(logits: object, targets: object, axis: Axis,
             reduction: object) -> tuple[Layout, np.ndarray, np.ndarray]:
    """The validated preamble of both functions: the layout, the logits as ``(rows, n)``
    and the targets as ``(rows, n)`` probabilities in the logits' dtype."""
    logits = as_float_array(logits, "logits")
    layout = Layout.of(logits, axis)
    check_reduction(reduction)
    return layout, layout.to_2d(logits), target_rows(targets, logits, layout)


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
