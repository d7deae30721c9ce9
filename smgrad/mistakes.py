"""The backward-pass mistakes from the course's four threads, re-created on purpose.

Each mistake has :func:`smgrad.softmax_vjp`'s signature, ``(probs, grad_out, axis=-1)``,
so it can stand in for a softmax node's backward rule, be compared with the right answer,
and be recognised by :func:`smgrad.diagnose`. The right rule, for reference::

    grad_x = s ⊙ (g - ⟨g, s⟩)          (= gᵀJ with J = diag(s) - s sᵀ)

:func:`homework_fused_backward` is here too, although it is *correct*: it is the
homework code that looked as if it were missing the softmax derivative (chapter 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._arrays import Axis, Layout, as_float_array
from .derivatives import softmax_jacobian
from .forward import softmax

__all__ = [
    "diagonal_only",
    "elementwise_chain_rule",
    "summed_jacobian_rows",
    "flattened_batch_jacobian",
    "identity_sized_by_batch",
    "homework_fused_backward",
    "Mistake",
    "KNOWN_MISTAKES",
]


def diagonal_only(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``s(1 - s) ⊙ g``, the Jacobian's diagonal used as if it were all of it.

    ``∂s_i/∂x_i = s_i(1 - s_i)`` is right, but logit ``x_j`` also moves every other
    probability (``∂s_i/∂x_j = -s_i s_j``), and those terms are dropped. Threads 001
    (the learner's own SoftMax node) and 002 (the element-wise chain rule).
    """
    s = as_float_array(probs, "probs")
    return s * (1 - s) * as_float_array(grad_out, "grad_out")


def elementwise_chain_rule(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: the chain rule applied entry by entry, ``∂L/∂x_i = ∂L/∂s_i · ∂s_i/∂x_i``.

    Thread 002: with ``g = -t/s`` it gives ``-t(1 - s)`` instead of ``s - t``. As a
    function of ``(probs, grad_out)`` it is the same computation as
    :func:`diagonal_only` (``g ⊙ s(1 - s)``), so the diagnosis names it that way. The
    chain rule for a vector function is a vector-Jacobian product: ``∂L/∂x_j =
    Σ_i ∂L/∂s_i · ∂s_i/∂x_j``, a sum over every output ``i``.
    """
    return diagonal_only(probs, grad_out, axis)


def summed_jacobian_rows(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``(J 1) ⊙ g``: each Jacobian row summed, then multiplied by ``g`` entry-wise.

    Every row of ``J`` sums to 0 (``s_i - s_i Σ_j s_j = 0``), so this is zero up to
    round-off whatever ``g`` is. Threads 002 ("sum up all the elements in each row")
    and 003 ("compress" the Jacobian).
    """
    s = as_float_array(probs, "probs")
    layout = Layout.of(s, axis)
    row_sums = softmax_jacobian(s, axis).sum(axis=-1).reshape(layout.rows, layout.n)
    return layout.from_2d(row_sums) * as_float_array(grad_out, "grad_out")


def flattened_batch_jacobian(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: one Jacobian ``diag(f) - f fᵀ`` for the whole batch flattened into ``f``.

    Thread 003: a (5, 4) batch becomes one 20 × 20 matrix instead of five 4 × 4 blocks.
    It couples entries of different rows (softmax never mixes rows) and treats the batch
    as one distribution, which sums to the number of rows instead of 1. The result is
    ``f ⊙ (g - ⟨g, f⟩)`` with the inner product over the *whole* batch; with ``g`` of
    ones it is ``f (1 - rows)``, the thread's "what I expected" numbers. ``axis`` is
    ignored: that is the mistake.
    """
    s = as_float_array(probs, "probs")
    f = s.reshape(-1)
    jacobian = np.diag(f) - np.outer(f, f)
    return (as_float_array(grad_out, "grad_out").reshape(-1) @ jacobian).reshape(s.shape)


def identity_sized_by_batch(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``s ⊙ (I_batch - s) ⊙ g``, an identity sized by the batch, not the classes.

    Thread 001's ``np.eye(batch)``: with ``batch ≠ classes`` numpy cannot broadcast a
    (batch, batch) identity against (batch, classes) probabilities and raises
    ``ValueError``; when they happen to be equal it runs and silently mixes sample and
    class indices (entry ``(b, i)`` gets ``s(1 - s) g`` only where ``b == i``).
    """
    s = as_float_array(probs, "probs")
    layout = Layout.of(s, axis)
    s2 = layout.to_2d(s)
    g2 = layout.to_2d(as_float_array(grad_out, "grad_out"))
    return layout.from_2d(s2 * (np.eye(s2.shape[0]) - s2) * g2)


def homework_fused_backward(logits: object, labels: object, grad: float = 1.0) -> np.ndarray:
    """Correct: the homework's softmax + cross-entropy backward, ``grad · (s - t) / N``.

    Thread 001's "softmax loss": the loss is ``mean over rows of -Σ t log softmax(x)``
    for ``(N, classes)`` logits and one-hot ``labels``. Its gradient with respect to the
    logits is ``(softmax(x) - t) / N``: the softmax Jacobian is already multiplied in.
    Nothing is missing.
    """
    x = as_float_array(logits, "logits")
    return grad * (softmax(x, axis=1) - as_float_array(labels, "labels")) / x.shape[0]


@dataclass(frozen=True)
class Mistake:
    """A known wrong backward rule: its name, the function, and why it is wrong."""

    name: str
    backward: Callable[..., np.ndarray]
    why: str
    aliases: tuple[str, ...] = ()


KNOWN_MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "diagonal_only", diagonal_only,
        "it multiplies g by s(1 - s), the Jacobian's diagonal only, and drops the "
        "off-diagonal terms -s_i s_j: each logit moves every probability, not just its "
        "own (this is also the element-wise chain rule, g_i * ds_i/dx_i)",
        aliases=("elementwise_chain_rule",)),
    Mistake(
        "summed_jacobian_rows", summed_jacobian_rows,
        "it sums each Jacobian row and multiplies by g entry-wise; every row of J sums "
        "to 0 because the probabilities sum to 1, so it returns zeros whatever g is"),
    Mistake(
        "flattened_batch_jacobian", flattened_batch_jacobian,
        "it builds one Jacobian for the whole batch flattened into a single vector, "
        "which couples different rows (softmax never does) and treats the batch as one "
        "distribution; softmax has one n x n block per row"),
    Mistake(
        "identity_sized_by_batch", identity_sized_by_batch,
        "it uses np.eye(batch) where the Jacobian needs the identity over the classes: "
        "it fails when batch != classes and mixes sample and class indices when they "
        "happen to be equal"),
)
