"""The backward-pass mistakes from the course's four threads, re-created on purpose.

Each mistake has :func:`smgrad.softmax_vjp`'s signature, ``(probs, grad_out, axis=-1)``,
so it can stand in for a softmax node's backward rule, be compared with the right answer,
and be recognised by :func:`smgrad.diagnose`. The right rule, for reference::

    grad_x = s ⊙ (g - ⟨g, s⟩)          (= gᵀJ with J = diag(s) - s sᵀ)

:data:`KNOWN_MISTAKES` lists them with the reason each is wrong; :func:`smgrad.diagnose`
recognises these and the wider families of mistakes (a flipped sign, a constant factor,
the wrong axis, ...) under every rule it checks.

>>> import numpy as np, smgrad
>>> from smgrad import mistakes
>>> s = smgrad.softmax(np.array([[0.0, 1.0, 2.0]]))
>>> g = np.array([[1.0, 0.0, 0.0]])
>>> mistakes.diagonal_only(s, g).round(4)            # the right answer is below
array([[0.0819, 0.    , 0.    ]])
>>> smgrad.softmax_vjp(s, g).round(4)
array([[ 0.0819, -0.022 , -0.0599]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._arrays import Axis, Layout, float_pair
from .derivatives import softmax_jacobian

__all__ = [
    "diagonal_only",
    "elementwise_chain_rule",
    "summed_jacobian_rows",
    "flattened_batch_jacobian",
    "flattened_jacobian_row_sums",
    "identity_sized_by_batch",
    "Mistake",
    "KNOWN_MISTAKES",
]

# The flattened recipes build a (size × size) matrix: past this many entries (512 MiB of
# float64) they refuse, as smgrad.softmax_jacobian(full=True) does.
_FLAT_JACOBIAN_LIMIT = 1 << 26


def diagonal_only(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``s(1 - s) ⊙ g``, the Jacobian's diagonal used as if it were all of it.

    ``∂s_i/∂x_i = s_i(1 - s_i)`` is right, but logit ``x_j`` also moves every other
    probability (``∂s_i/∂x_j = -s_i s_j``), and those terms are dropped. Threads 001
    (the learner's own SoftMax node) and 002 (the element-wise chain rule).

    Parameters
    ----------
    probs : array_like
        ``s = softmax(x, axis)``.
    grad_out : array_like
        ``g = ∂L/∂s``, same shape as ``probs``.
    axis : int, tuple of int or None, optional
        Ignored: the diagonal does not depend on it.

    Returns
    -------
    numpy.ndarray
        ``s * (1 - s) * g``.

    Examples
    --------
    Entry ``i`` is ``s_i (1 - s_i) g_i``, here ``0.25 · 1`` and ``0.25 · 0``:

    >>> import numpy as np
    >>> from smgrad import mistakes
    >>> mistakes.diagonal_only(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))
    array([[0.25, 0.  ]])
    """
    s, g = float_pair(probs, grad_out, "probs", "grad_out")
    return s * (1 - s) * g


def elementwise_chain_rule(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: the chain rule applied entry by entry, ``∂L/∂x_i = ∂L/∂s_i · ∂s_i/∂x_i``.

    Thread 002: with ``g = -t/s`` it gives ``-t(1 - s)`` instead of ``s - t``. As a
    function of ``(probs, grad_out)`` it is the same computation as
    :func:`diagonal_only` (``g ⊙ s(1 - s)``), so the diagnosis names it that way. The
    chain rule for a vector function is a vector-Jacobian product: ``∂L/∂x_j =
    Σ_i ∂L/∂s_i · ∂s_i/∂x_j``, a sum over every output ``i``.

    Parameters
    ----------
    probs, grad_out, axis
        As in :func:`diagonal_only`.

    Returns
    -------
    numpy.ndarray
        ``grad_out * s * (1 - s)``.

    Examples
    --------
    Thread 002's upstream gradient of the cross-entropy, ``g = -t/s``:

    >>> import numpy as np
    >>> from smgrad import mistakes
    >>> s = np.array([[0.25, 0.75]])
    >>> t = np.array([[0.0, 1.0]])
    >>> mistakes.elementwise_chain_rule(s, -t / s)       # -t(1 - s), not s - t
    array([[-0.  , -0.25]])
    """
    return diagonal_only(probs, grad_out, axis)


def summed_jacobian_rows(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``(J 1) ⊙ g``: each Jacobian row summed, then multiplied by ``g`` entry-wise.

    Every row of ``J`` sums to 0 (``s_i - s_i Σ_j s_j = 0``), so this is zero up to
    round-off whatever ``g`` is. Threads 002 ("sum up all the elements in each row")
    and 003 ("compress" the Jacobian).

    Parameters
    ----------
    probs, grad_out : array_like
        ``s = softmax(x, axis)`` and ``g``, of one shape, as in :func:`diagonal_only`.
    axis : int, tuple of int or None, optional
        The softmax axis: one Jacobian block per row along it.

    Returns
    -------
    numpy.ndarray
        Zeros up to round-off, shape of ``probs``.

    Examples
    --------
    Whatever ``g`` is:

    >>> import numpy as np
    >>> from smgrad import mistakes
    >>> s = np.array([[0.25, 0.75]])
    >>> wrong = mistakes.summed_jacobian_rows(s, np.array([[3.0, -1.0]]))
    >>> bool(np.abs(wrong).max() < 1e-15)                # zeros, up to round-off
    True
    """
    s, g = float_pair(probs, grad_out, "probs", "grad_out")
    layout = Layout.of(s, axis)
    row_sums = softmax_jacobian(s, axis).sum(axis=-1).reshape(layout.rows, layout.n)
    return layout.from_2d(row_sums) * g


def flattened_batch_jacobian(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``gᵀJ̃`` with one Jacobian ``J̃ = diag(f) - f fᵀ`` for the whole batch
    flattened into ``f``.

    Thread 003's setting: a (5, 4) batch becomes one 20 × 20 matrix instead of five
    4 × 4 blocks. It couples entries of different rows (softmax never mixes rows) and
    treats the batch as one distribution, which sums to the number of rows instead of 1.
    The result is ``f ⊙ (g - ⟨g, f⟩)`` with the inner product over the *whole* batch;
    with ``g`` of ones it is ``f (1 - rows)``, as is :func:`flattened_jacobian_row_sums`
    (the thread's own recipe) for any ``g``. ``axis`` is ignored: that is the mistake.

    Parameters
    ----------
    probs, grad_out : array_like
        ``s = softmax(x, axis)`` and ``g``, of one shape (any shape).
    axis : int, tuple of int or None, optional
        Ignored.

    Returns
    -------
    numpy.ndarray
        ``(g.ravel() @ J̃).reshape(probs.shape)``.

    Raises
    ------
    ValueError
        If ``J̃`` would have more than 2**26 entries.

    Examples
    --------
    Two rows of two classes, with ``g`` of ones:

    >>> import numpy as np
    >>> from smgrad import mistakes
    >>> s = np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> mistakes.flattened_batch_jacobian(s, np.ones((2, 2)))     # f (1 - rows)
    array([[-0.5, -0.5],
           [-0.5, -0.5]])
    """
    s, g, jacobian = _flattened_jacobian(probs, grad_out)
    return (g.reshape(-1) @ jacobian).reshape(s.shape)


def flattened_jacobian_row_sums(probs: object, grad_out: object,
                                axis: Axis = -1) -> np.ndarray:
    """Wrong: thread 003's actual recipe, ``(J̃ 1) ⊙ g``: flatten the batch into one
    vector ``f``, build one Jacobian ``J̃ = diag(f) - f fᵀ``, sum its rows, reshape to
    the batch's shape, multiply entry-wise by ``g``.

    Row ``(b, i)`` of ``J̃`` sums to ``s_bi (1 - Σ f) = s_bi (1 - rows)``, because the
    flattened batch holds ``rows`` distributions and sums to ``rows``, not 1. So the
    result is ``s (1 - rows) ⊙ g``: with ``g`` of ones, the thread's "what I expected"
    numbers. Two mistakes compound: the flattened Jacobian couples different rows
    (softmax never mixes rows), and summing a Jacobian's rows then multiplying by ``g``
    is not the vector-Jacobian product ``gᵀJ`` (with the right per-row blocks it gives
    zeros, :func:`summed_jacobian_rows`). ``axis`` is ignored: that is the mistake.

    Parameters
    ----------
    probs, grad_out, axis
        As in :func:`flattened_batch_jacobian` (``axis`` is ignored).

    Returns
    -------
    numpy.ndarray
        ``J̃.sum(axis=1).reshape(probs.shape) * g``.

    Raises
    ------
    ValueError
        As :func:`flattened_batch_jacobian` does, past 2**26 entries in ``J̃``.

    Examples
    --------
    With two rows, ``s (1 - 2) ⊙ g = -s ⊙ g``:

    >>> import numpy as np
    >>> from smgrad import mistakes
    >>> s = np.array([[0.25, 0.75], [0.5, 0.5]])
    >>> mistakes.flattened_jacobian_row_sums(s, np.array([[1.0, 2.0], [1.0, 0.0]]))
    array([[-0.25, -1.5 ],
           [-0.5 , -0.  ]])
    """
    s, g, jacobian = _flattened_jacobian(probs, grad_out)
    return jacobian.sum(axis=1).reshape(s.shape) * g


def _flattened_jacobian(probs: object, grad_out: object
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(s, g, J̃)``: the inputs as arrays, and one Jacobian ``diag(f) - f fᵀ`` for the
    whole batch flattened into ``f``; refuses past 2**26 entries."""
    s, g = float_pair(probs, grad_out, "probs", "grad_out")
    if s.size ** 2 > _FLAT_JACOBIAN_LIMIT:
        raise ValueError(f"probs has {s.size} entries, so its flattened Jacobian would "
                         f"have {s.size ** 2}; this re-created mistake is for small "
                         f"examples")
    f = s.reshape(-1)
    return s, g, np.diag(f) - np.outer(f, f)


def identity_sized_by_batch(probs: object, grad_out: object, axis: Axis = -1) -> np.ndarray:
    """Wrong: ``s ⊙ (I_batch - s) ⊙ g``, an identity sized by the batch, not the classes.

    Thread 001's ``np.eye(batch)``: with ``batch ≠ classes`` numpy cannot broadcast a
    (batch, batch) identity against (batch, classes) probabilities and raises
    ``ValueError``; when they happen to be equal it runs and silently mixes sample and
    class indices (entry ``(b, i)`` gets ``s(1 - s) g`` only where ``b == i``).

    Parameters
    ----------
    probs, grad_out : array_like
        As in :func:`diagonal_only`.
    axis : int, tuple of int or None, optional
        The softmax axis (the classes).

    Returns
    -------
    numpy.ndarray
        ``s * (np.eye(batch) - s) * g``.

    Raises
    ------
    ValueError
        When ``batch != classes``, as the learner's code did.

    Examples
    --------
    Two rows of two classes, where ``np.eye(2)`` happens to broadcast:

    >>> import numpy as np
    >>> from smgrad import mistakes
    >>> s = np.array([[0.25, 0.75], [0.5, 0.5]])
    >>> mistakes.identity_sized_by_batch(s, np.ones((2, 2)))
    array([[ 0.1875, -0.5625],
           [-0.25  ,  0.25  ]])
    """
    s, g = float_pair(probs, grad_out, "probs", "grad_out")
    layout = Layout.of(s, axis)
    s2 = layout.to_2d(s)
    g2 = layout.to_2d(g)
    return layout.from_2d(s2 * (np.eye(s2.shape[0]) - s2) * g2)


@dataclass(frozen=True)
class Mistake:
    """A known wrong softmax backward rule: its name, the function, and why it is wrong.

    :func:`smgrad.diagnose` tries each on its probes, in the order of
    :data:`KNOWN_MISTAKES`, and reports ``why`` when one matches.

    Attributes
    ----------
    name : str
        The identifier :func:`smgrad.diagnose` reports (``Diagnosis.mistake``).
    backward : callable
        The mistake, ``backward(probs, grad_out, axis=-1)``.
    why : str
        What the code does and why that is wrong, one sentence.

    Examples
    --------
    >>> from smgrad.mistakes import KNOWN_MISTAKES
    >>> [m.name for m in KNOWN_MISTAKES][:2]
    ['diagonal_only', 'summed_jacobian_rows']
    """

    name: str
    backward: Callable[..., np.ndarray]
    why: str


KNOWN_MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "diagonal_only", diagonal_only,
        "it multiplies g by s(1 - s), the Jacobian's diagonal only, and drops the "
        "off-diagonal terms -s_i s_j: each logit moves every probability, not just its "
        "own (this is also the element-wise chain rule, g_i * ds_i/dx_i)"),
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
        "flattened_jacobian_row_sums", flattened_jacobian_row_sums,
        "it flattens the batch into one vector, builds one Jacobian for it, sums that "
        "Jacobian's rows and multiplies by g entry-wise (thread 003's recipe): the "
        "flattened batch sums to the number of rows, not 1, so each row sum is "
        "s (1 - rows) instead of 0, and a row sum times g is not the vector-Jacobian "
        "product g^T J anyway; softmax has one n x n block per row"),
    Mistake(
        "identity_sized_by_batch", identity_sized_by_batch,
        "it uses np.eye(batch) where the Jacobian needs the identity over the classes: "
        "it fails when batch != classes and mixes sample and class indices when they "
        "happen to be equal"),
)
"""The threads' mistakes, in the order :func:`smgrad.diagnose` tries them."""
