"""Derivatives of softmax and log-softmax: Jacobians, VJPs and JVPs.

Notation, for one row of ``n`` probabilities ``s = softmax(x)``::

    J = ∂s/∂x = diag(s) - s sᵀ            J_ij = s_i (δ_ij - s_j)

``J`` is symmetric, every row and column sums to 0 (``1ᵀJ = 0``: the probabilities
always sum to 1; ``J 1 = 0``: adding a constant to every logit changes nothing).

Backpropagation never needs ``J`` itself, only its product with the upstream gradient
``g = ∂L/∂s``, the vector-Jacobian product (VJP)::

    gᵀJ = s ⊙ (g - ⟨g, s⟩)                 O(n) time and memory instead of O(n²)

Every function takes ``probs`` (the forward pass's output, not the logits) and an
``axis`` (int, tuple or ``None``) with the same meaning as in :func:`smgrad.softmax`.
"""

from __future__ import annotations

import numpy as np

from ._arrays import Axis, Layout, as_float_array, float_pair
from ._rows import log_softmax_vjp_rows, softmax_vjp_rows

__all__ = ["softmax_jacobian", "softmax_vjp", "softmax_jvp", "log_softmax_vjp",
           "MAX_JACOBIAN_ENTRIES"]

#: The most entries a full Jacobian may have (``softmax_jacobian(..., full=True)``, and
#: the flattened Jacobians of :mod:`smgrad.mistakes`): 2**26 float64 entries are 512 MiB,
#: almost all of them structural zeros. Past it they are refused, before anything is built.
MAX_JACOBIAN_ENTRIES = 1 << 26


def softmax_jacobian(probs: object, axis: Axis = -1, full: bool = False) -> np.ndarray:
    """The Jacobian of softmax, ``J = diag(s) - s sᵀ``, one ``n × n`` block per row.

    Args:
        probs: ``s = softmax(x, axis)``, any shape.
        axis: the softmax axis (or axes, flattened into rows of length ``n``).
        full: if False (default) return only the blocks; if True return the whole
            Jacobian ``∂s/∂x`` as autograd defines it, with the zero blocks between
            different rows (softmax never mixes rows). Only for small inputs.

    Returns:
        ``full=False``: shape ``batch_shape + (n, n)``, where ``batch_shape`` is
        ``probs.shape`` with the softmax axes removed and ``n`` their total size;
        ``out[b][i, j] = ∂s_i/∂x_j`` within row ``b``.
        ``full=True``: shape ``probs.shape + probs.shape``, equal to
        ``torch.autograd.functional.jacobian(lambda x: softmax(x, axis), x)``.

    Examples:
        >>> import numpy as np
        >>> from smgrad import softmax_jacobian
        >>> softmax_jacobian(np.array([0.25, 0.25, 0.5]))
        array([[ 0.1875, -0.0625, -0.125 ],
               [-0.0625,  0.1875, -0.125 ],
               [-0.125 , -0.125 ,  0.25  ]])
        >>> probs = np.array([[0.5, 0.5], [1.0, 0.0]])   # a batch of 2 rows
        >>> softmax_jacobian(probs).shape                # one 2 x 2 block per row
        (2, 2, 2)
        >>> softmax_jacobian(probs, full=True).shape     # ∂s/∂x with the zero blocks
        (2, 2, 2, 2)
    """
    probs = as_float_array(probs, "probs")
    layout = Layout.of(probs, axis)
    if full and probs.size ** 2 > MAX_JACOBIAN_ENTRIES:  # checked before anything is built
        raise ValueError(f"probs has {probs.size} entries, so full=True would build "
                         f"{probs.size ** 2} Jacobian entries; use full=False for the "
                         f"per-row blocks, or softmax_vjp to backpropagate")
    p = layout.to_2d(probs)
    blocks = p[:, :, None] * (np.eye(layout.n, dtype=p.dtype) - p[:, None, :])
    if not full:
        return blocks.reshape(layout.batch_shape + (layout.n, layout.n))
    # Put block b at rows (b, :) and columns (b, :); every other block is zero.
    dense = np.einsum("bij,bc->bicj", blocks, np.eye(layout.rows, dtype=p.dtype))
    moved = layout.batch_shape + layout.class_shape
    inverse = tuple(np.argsort(layout.perm))
    ndim = probs.ndim
    return dense.reshape(moved + moved).transpose(inverse + tuple(ndim + i for i in inverse))


def softmax_vjp(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Vector-Jacobian product of softmax: ``gᵀJ = s ⊙ (g - Σ g ⊙ s)``, sum along ``axis``.

    This is softmax's backward rule: given ``g = ∂L/∂s`` it returns ``∂L/∂x``, without
    forming the Jacobian.

    Args:
        probs: ``s = softmax(x, axis)`` from the forward pass.
        grad_out: ``g``, the gradient of a scalar loss with respect to ``probs``; same
            shape as ``probs``.

    Returns:
        ``∂L/∂x``, shape of ``probs``.

    Examples:
        >>> import numpy as np
        >>> from smgrad import softmax_vjp
        >>> probs = np.array([[0.25, 0.25, 0.5]])
        >>> softmax_vjp(probs, np.array([[1.0, 0.0, 0.0]]))  # row 0 of the Jacobian
        array([[ 0.1875, -0.0625, -0.125 ]])
        >>> softmax_vjp(probs, np.ones((1, 3)))   # the gradient of Σ s is zero
        array([[0., 0., 0.]])
    """
    return _rowwise_rule(softmax_vjp_rows, probs, grad_out, "grad_out", axis)


def softmax_jvp(probs: object, tangent: object, axis: Axis = -1) -> np.ndarray:
    """Jacobian-vector product of softmax: ``J v = s ⊙ (v - Σ v ⊙ s)``, sum along ``axis``.

    The forward-mode rule: how ``s`` moves when ``x`` moves along ``tangent`` (``v``).
    ``J`` is symmetric, so this is the same formula as :func:`softmax_vjp`.

    Returns:
        ``J v``, shape of ``probs``.

    Examples:
        >>> import numpy as np
        >>> from smgrad import softmax_jvp
        >>> softmax_jvp(np.array([0.25, 0.25, 0.5]), np.array([1.0, 0.0, 0.0]))
        array([ 0.1875, -0.0625, -0.125 ])
    """
    return _rowwise_rule(softmax_vjp_rows, probs, tangent, "tangent", axis)


def log_softmax_vjp(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Vector-Jacobian product of log-softmax: ``g - s Σ g``, sum along ``axis``.

    The Jacobian of ``log_softmax`` is ``I - 1 sᵀ``; ``gᵀ(I - 1 sᵀ) = g - s Σ_i g_i``.

    Args:
        probs: ``s = softmax(x, axis)`` (the exponential of log_softmax's output).
        grad_out: ``g``, the gradient with respect to ``log_softmax(x)``; same shape.

    Returns:
        ``∂L/∂x``, the gradient with respect to the logits; same shape as ``probs``.

    Examples:
        With ``g = -t`` (one-hot ``t``) this is ``s - t``: cross-entropy's gradient.

        >>> import numpy as np
        >>> from smgrad import log_softmax_vjp
        >>> log_softmax_vjp(np.array([0.25, 0.25, 0.5]), np.array([-1.0, 0.0, 0.0]))
        array([-0.75,  0.25,  0.5 ])
    """
    return _rowwise_rule(log_softmax_vjp_rows, probs, grad_out, "grad_out", axis)


def _rowwise_rule(rows_rule, probs: object, other: object, other_name: str,
                  axis: Axis) -> np.ndarray:
    probs, other = float_pair(probs, other, "probs", other_name)
    layout = Layout.of(probs, axis)
    return layout.from_2d(rows_rule(layout.to_2d(probs), layout.to_2d(other)))
