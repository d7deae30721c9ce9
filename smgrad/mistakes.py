"""The catalogue of mistakes: every known wrong backward rule, re-created on purpose.

One entry (:class:`Mistake`) per mistake and formula, in :data:`CATALOGUE`: its
identifier, the wrong rule as a function, the rules it is made in (``"softmax"``,
``"log_softmax"``, ``"cross_entropy"``), where it comes from (one of the course's four
threads, or a family learners make), what to tell the learner, why it is wrong and, apart,
the fix. :data:`FACTORS` (a flipped sign, a 1/N missing or doubled, the number of
classes, any other constant such as a forgotten 1/T) combine with the right rule and with
every entry. :func:`smgrad.diagnose` compares a rule with them; a new mistake is one entry
and one test case.

The identifiers, by rule (a test keeps this list equal to the catalogue):

* softmax: diagonal_only, summed_jacobian_rows, flattened_batch_jacobian,
  flattened_jacobian_row_sums, identity_sized_by_batch, missing_keepdims, wrong_axis,
  off_diagonal_only, identity, log_softmax_rule;
* log_softmax: diagonal_only, summed_jacobian_rows, flattened_batch_jacobian,
  missing_keepdims, wrong_axis, off_diagonal_only, identity, softmax_rule,
  transposed_jacobian;
* cross_entropy: diagonal_only, summed_jacobian_rows, wrong_axis, identity,
  grad_wrt_probs, grad_wrt_log_probs;
* the right rule times a factor: sign_flipped, extra_1_over_n, missing_1_over_n,
  divided_by_classes, times_classes, one_over_classes (cross_entropy), constant_factor.

The threads' mistakes are also plain functions with :func:`smgrad.softmax_vjp`'s
signature, ``(probs, grad_out, axis=-1)``, for any shape and axis, so that a chapter can
run them, or an engine can train with one. The right rule, for reference::

    grad_x = s ⊙ (g - ⟨g, s⟩)          (= gᵀJ with J = diag(s) - s sᵀ)

>>> import numpy as np, smgrad
>>> from smgrad import mistakes
>>> s = smgrad.softmax(np.array([[0.0, 1.0, 2.0]]))
>>> g = np.array([[1.0, 0.0, 0.0]])
>>> mistakes.diagonal_only(s, g).round(4)            # the right answer is below
array([[0.0819, 0.    , 0.    ]])
>>> smgrad.softmax_vjp(s, g).round(4)
array([[ 0.0819, -0.022 , -0.0599]])
>>> entry = mistakes.find("diagonal_only", "softmax")     # the catalogue's entry for it
>>> entry.origin, entry.backward is mistakes.diagonal_only
('thread 001', True)
>>> print(smgrad.printing.wrap(entry.says))
it multiplies grad_out by s(1 - s) entry by entry, which keeps only the diagonal
  of the softmax Jacobian (this is also the element-wise chain rule, g_i *
  ds_i/dx_i)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ._arrays import Axis, Layout, float_pair
from .derivatives import _FULL_JACOBIAN_LIMIT, softmax_jacobian
from .forward import softmax

__all__ = [
    "diagonal_only",
    "elementwise_chain_rule",
    "summed_jacobian_rows",
    "flattened_batch_jacobian",
    "flattened_jacobian_row_sums",
    "identity_sized_by_batch",
    "Mistake",
    "Factor",
    "CATALOGUE",
    "FACTORS",
    "RULES",
    "ORIGINS",
    "for_rule",
    "factors_for",
    "find",
]


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
    if s.size ** 2 > _FULL_JACOBIAN_LIMIT:  # as softmax_jacobian(full=True)
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


# --- the families learners make, as wrong rules on (batch, classes) arrays ------------------
# Each takes (probs, grad_out) for the softmax and log_softmax rules, (logits, targets) for
# cross_entropy; softmax along the last axis, as smgrad.diagnose's probes have it.

def _rowsum(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=-1, keepdims=True)


def _unchanged(probs: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """``grad_out`` itself: the function treated as the identity."""
    return np.asarray(grad_out, dtype=np.float64)


def _sm_missing_keepdims(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return s * (g - (g * s).sum(axis=-1))


def _sm_wrong_axis(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return s * (g - (g * s).sum(axis=0, keepdims=True))


def _sm_off_diagonal_only(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return -s * (_rowsum(g * s) - g * s)


def _sm_right(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return s * (g - _rowsum(g * s))


def _lsm_right(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - s * _rowsum(g)


def _lsm_transposed(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - _rowsum(g * s)


def _lsm_diagonal_only(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return (1 - s) * g


def _lsm_off_diagonal_only(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return -s * (_rowsum(g) - g)


def _lsm_missing_keepdims(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - s * g.sum(axis=-1)


def _lsm_wrong_axis(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - s * g.sum(axis=0, keepdims=True)


def _lsm_whole_batch(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - s * g.sum()


def _ce_grad_wrt_probs(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -t / softmax(x) / x.shape[0]


def _ce_diagonal_only(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -t * (1 - softmax(x)) / x.shape[0]


def _ce_grad_wrt_log_probs(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -t / x.shape[0]


def _zeros(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.zeros(np.shape(a))


def _ce_no_softmax(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (x - t) / x.shape[0]


def _ce_wrong_axis(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (softmax(x, axis=0) - t) / x.shape[0]


# --- the catalogue ----------------------------------------------------------------------

#: The rules a mistake can be made in: a softmax node's backward ``(probs, grad_out)``,
#: log_softmax's ``(probs, grad_out)``, and the fused loss's ``(logits, targets)``.
RULES = ("softmax", "log_softmax", "cross_entropy")
#: Where a mistake comes from: one of the four threads, or a family learners make.
ORIGINS = ("thread 000", "thread 001", "thread 002", "thread 003", "family")
_NODES = ("softmax", "log_softmax")


@dataclass(frozen=True)
class Mistake:
    """One known wrong backward rule: one entry of :data:`CATALOGUE`.

    An identifier may have several entries, one per formula (the diagonal of softmax's
    Jacobian is not log_softmax's); within one rule identifiers are unique.

    Attributes
    ----------
    name : str
        The identifier :func:`smgrad.diagnose` reports (``Diagnosis.mistake``).
    backward : callable
        The wrong rule: ``backward(probs, grad_out)`` for the ``"softmax"`` and
        ``"log_softmax"`` rules, ``backward(logits, targets)`` for ``"cross_entropy"``.
    rules : tuple of str
        The rules (:data:`RULES`) in which it is made.
    origin : str
        ``"thread 000"`` to ``"thread 003"``, or ``"family"`` (:data:`ORIGINS`).
    says : str
        What the code does, in the learner's terms (a clause: "it ...").
    why : str
        Why that is wrong.
    fix : str
        How to fix it: the solution, never shown to a learner.

    Examples
    --------
    >>> from smgrad import mistakes
    >>> entry = mistakes.find("diagonal_only", "softmax")
    >>> entry.origin, entry.backward is mistakes.diagonal_only
    ('thread 001', True)
    """

    name: str
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    rules: tuple[str, ...]
    origin: str
    says: str
    why: str
    fix: str

    def __post_init__(self) -> None:
        if not self.rules or not set(self.rules) <= set(RULES):
            raise ValueError(f"{self.name}: rules={self.rules!r} must name some of {RULES}")
        if self.origin not in ORIGINS:
            raise ValueError(f"{self.name}: origin={self.origin!r} is not one of {ORIGINS}")


@dataclass(frozen=True)
class Factor:
    """A constant factor that turns a rule into a wrong one: the right rule, or any
    entry of :data:`CATALOGUE`, times ``value(rows, n)`` on a probe of ``rows`` rows and
    ``n`` classes.

    Attributes
    ----------
    name : str
        Its short name, reported as ``Diagnosis.factor``: ``"sign"``, ``"1/N"``,
        ``"N"``, ``"1/n"``, ``"n"``, ``"N/n"`` (``N`` the batch size, ``n`` the number
        of classes) or ``"constant"`` (any other constant, such as a temperature's 1/T).
    identifier : str
        ``Diagnosis.mistake`` when the rule is otherwise right (``"sign_flipped"``, ...).
    value : callable or None
        ``value(rows, n)``, the factor on a probe; None for ``"constant"``.
    rules : tuple of str
        The rules in which it is looked for.
    says : str
        The result it gives, described as the right result "..." (``"divided by the
        batch size N"``); for ``"constant"``, with ``{c}`` for the factor.
    why : str
        Why that is wrong.
    fix : str
        How to fix it.

    Examples
    --------
    >>> from smgrad import mistakes
    >>> [f.name for f in mistakes.factors_for("softmax")]
    ['sign', '1/N', 'N', '1/n', 'n', 'constant']
    """

    name: str
    identifier: str
    value: Optional[Callable[[int, int], float]]
    rules: tuple[str, ...]
    says: str
    why: str
    fix: str


_KEEPDIMS = dict(
    says="it sums over the classes without keepdims=True, so the (batch,) row sums line "
         "up with the classes instead of the rows",
    why="numpy raises when batch ≠ classes, and when they are equal each entry silently "
        "gets another row's sum",
    fix="keep the summed axis (keepdims=True)")
_PER_ROW = "each row is its own distribution, and softmax never mixes rows"

#: Every known mistake: the threads' and the families learners make, in the order
#: :func:`smgrad.diagnose` tries them.
CATALOGUE: tuple[Mistake, ...] = (
    Mistake(
        "diagonal_only", diagonal_only, ("softmax",), "thread 001",
        "it multiplies grad_out by s(1 - s) entry by entry, which keeps only the diagonal "
        "of the softmax Jacobian (this is also the element-wise chain rule, "
        "g_i * ds_i/dx_i)",
        "each logit moves every probability, not just its own, so the off-diagonal "
        "terms -s_i s_j belong in the sum too",
        "sum over every output: grad_x_j = Σ_i g_i ds_i/dx_j, off-diagonal terms included"),
    Mistake(
        "diagonal_only", _lsm_diagonal_only, ("log_softmax",), "family",
        "it multiplies grad_out by 1 - s entry by entry, which keeps only the diagonal of "
        "log_softmax's Jacobian",
        "each logit moves every log-probability (through the log-sum-exp), not just its "
        "own, so the off-diagonal terms -s_j belong in the sum too",
        "put the off-diagonal terms back"),
    Mistake(
        "diagonal_only", _ce_diagonal_only, ("cross_entropy",), "thread 002",
        "it chains dL/ds through s(1 - s) only, the diagonal of the softmax Jacobian "
        "(the element-wise chain rule), which gives -t(1 - s) where t is one",
        "every logit moves every probability, so the off-diagonal terms -s_i s_j belong "
        "in the chain too",
        "chain through the whole softmax Jacobian (a vector-Jacobian product)"),
    Mistake(
        "summed_jacobian_rows", summed_jacobian_rows, _NODES, "thread 002",
        "it returns zeros whatever grad_out is, as summing each row of the Jacobian and "
        "then multiplying by grad_out entry by entry does",
        "every row of the Jacobian sums to 0, because the probabilities sum to 1",
        "weight each row of the Jacobian by g_i and add them up, the vector-Jacobian "
        "product gᵀJ"),
    Mistake(
        "summed_jacobian_rows", _zeros, ("cross_entropy",), "thread 002",
        "it returns zeros, as chaining through the row sums of the softmax Jacobian does",
        "every row of the Jacobian sums to 0, because the probabilities sum to 1",
        "chain through the softmax Jacobian as a vector-Jacobian product"),
    Mistake(
        "flattened_batch_jacobian", flattened_batch_jacobian, ("softmax",), "thread 003",
        "it sums ⟨g, s⟩ over the whole batch, not per row, as one Jacobian for the "
        "flattened batch does",
        _PER_ROW,
        "take the inner product ⟨g, s⟩ of each row separately"),
    Mistake(
        "flattened_batch_jacobian", _lsm_whole_batch, ("log_softmax",), "thread 003",
        "it sums grad_out over the whole batch, not per row, as one Jacobian for the "
        "flattened batch does",
        _PER_ROW,
        "sum grad_out along the classes of each row only"),
    Mistake(
        "flattened_jacobian_row_sums", flattened_jacobian_row_sums, ("softmax",),
        "thread 003",
        "it returns s(1 - N) ⊙ grad_out, N the batch size: it flattens the batch into "
        "one vector, builds one Jacobian for it, sums that Jacobian's rows and "
        "multiplies by grad_out entry by entry",
        "the flattened batch sums to N, not 1, so each row sum is s(1 - N) instead of 0; "
        "and a row sum times g is not the vector-Jacobian product gᵀJ anyway: softmax "
        "has one n × n block per row",
        "use one n × n Jacobian block per row, and the product gᵀJ with each block"),
    Mistake(
        "identity_sized_by_batch", identity_sized_by_batch, ("softmax",), "thread 001",
        "it raises when batch ≠ classes, and when they are equal it mixes up sample "
        "and class indices, as an identity sized by the batch, np.eye(batch), does",
        "the identity matrix in the Jacobian runs over the classes of one row",
        "size the identity by the classes, np.eye(n), in diag(s) - s sᵀ"),
    Mistake("missing_keepdims", _sm_missing_keepdims, ("softmax",), "family",
            **_KEEPDIMS),
    Mistake("missing_keepdims", _lsm_missing_keepdims, ("log_softmax",), "family",
            **_KEEPDIMS),
    Mistake(
        "wrong_axis", _sm_wrong_axis, ("softmax",), "family",
        "it sums g * s down the batch (axis 0), not along the classes",
        "the inner product ⟨g, s⟩ runs over one row, one distribution: summing down "
        "the batch mixes different samples",
        "sum along the classes (the softmax axis, axis=-1)"),
    Mistake(
        "wrong_axis", _lsm_wrong_axis, ("log_softmax",), "family",
        "it sums grad_out down the batch (axis 0), not along the classes",
        "the sum runs over one row, one distribution: summing down the batch mixes "
        "different samples",
        "sum along the classes (the softmax axis, axis=-1)"),
    Mistake(
        "wrong_axis", _ce_wrong_axis, ("cross_entropy",), "family",
        "it takes the softmax down the batch (axis 0), not along the classes",
        "each row of logits is one distribution",
        "take the softmax along the classes (axis=-1)"),
    Mistake(
        "off_diagonal_only", _sm_off_diagonal_only, ("softmax",), "family",
        "it keeps only the off-diagonal terms -s_i s_j of the Jacobian and drops the "
        "diagonal s_i(1 - s_i)",
        "each probability depends on its own logit too",
        "put the diagonal terms back"),
    Mistake(
        "off_diagonal_only", _lsm_off_diagonal_only, ("log_softmax",), "family",
        "it keeps only the off-diagonal terms -s_j of log_softmax's Jacobian and drops "
        "the diagonal 1 - s_i",
        "each log-probability depends on its own logit too",
        "put the diagonal terms back"),
    Mistake(
        "identity", _unchanged, _NODES, "family",
        "it returns grad_out unchanged, as if the function were the identity",
        "the function's Jacobian is missing from the chain rule: every logit moves "
        "every output",
        "multiply grad_out by the function's Jacobian (a vector-Jacobian product)"),
    Mistake(
        "identity", _ce_no_softmax, ("cross_entropy",), "family",
        "it uses the logits where the probabilities belong, as if softmax were the "
        "identity",
        "the loss is computed from softmax(logits), not from the logits",
        "take the softmax of the logits first"),
    Mistake(
        "log_softmax_rule", _lsm_right, ("softmax",), "family",
        "it is log_softmax's backward rule, used for softmax",
        "softmax's Jacobian diag(s) - s sᵀ is not log_softmax's I - 1 sᵀ",
        "use softmax's Jacobian, not log_softmax's"),
    Mistake(
        "softmax_rule", _sm_right, ("log_softmax",), "family",
        "it is softmax's backward rule, used for log_softmax",
        "here grad_out is the gradient with respect to log_softmax(x), whose Jacobian "
        "I - 1 sᵀ is not softmax's",
        "use log_softmax's Jacobian, not softmax's"),
    Mistake(
        "transposed_jacobian", _lsm_transposed, ("log_softmax",), "family",
        "it subtracts the same number ⟨g, s⟩ from every entry of grad_out: it "
        "multiplies by the transposed Jacobian, J g instead of gᵀJ",
        "log_softmax's Jacobian I - 1 sᵀ is not symmetric, so the two products differ",
        "multiply from the left, gᵀJ"),
    Mistake(
        "grad_wrt_probs", _ce_grad_wrt_probs, ("cross_entropy",), "family",
        "it returns the gradient with respect to the probabilities s = softmax(logits), "
        "where the gradient with respect to the logits was asked",
        "the softmax's Jacobian has yet to be multiplied in",
        "chain it through softmax's backward"),
    Mistake(
        "grad_wrt_log_probs", _ce_grad_wrt_log_probs, ("cross_entropy",), "family",
        "it returns the gradient with respect to the log-probabilities "
        "log_softmax(logits), where the gradient with respect to the logits was asked",
        "log_softmax's backward has yet to be applied",
        "chain it through log_softmax's backward"),
)

_NO_BATCH = ("a node's backward rule has no batch factor (a mean loss's 1/N is already "
             "in grad_out)")
_NO_CLASSES = "nothing in this gradient divides or multiplies by the number of classes"

#: The factors, in the order :func:`smgrad.diagnose` tries them (each also with its sign
#: flipped); ``"constant"`` is tried last.
FACTORS: tuple[Factor, ...] = (
    Factor("sign", "sign_flipped", lambda rows, n: -1.0, RULES,
           "with its sign flipped",
           "a step along it would increase the loss (the minus sign belongs to the "
           "update, x -= lr * grad, not to the gradient)",
           "remove the extra minus sign"),
    Factor("1/N", "extra_1_over_n", lambda rows, n: 1.0 / rows, _NODES,
           "divided by the batch size N", _NO_BATCH, "remove the division by N"),
    Factor("1/N", "extra_1_over_n", lambda rows, n: 1.0 / rows, ("cross_entropy",),
           "divided by the batch size N once too often (1/N twice)",
           "the gradient of the batch mean has one 1/N only", "divide by N once"),
    Factor("N", "missing_1_over_n", lambda rows, n: float(rows), _NODES,
           "multiplied by the batch size N", _NO_BATCH, "remove the factor N"),
    Factor("N", "missing_1_over_n", lambda rows, n: float(rows), ("cross_entropy",),
           "without the 1/N of the batch mean (N the batch size)",
           "the loss is the mean over the rows, not their sum",
           "divide by N, the number of rows"),
    Factor("1/n", "divided_by_classes", lambda rows, n: 1.0 / n, RULES,
           "divided by the number of classes n", _NO_CLASSES,
           "remove the division by the number of classes"),
    Factor("n", "times_classes", lambda rows, n: float(n), RULES,
           "multiplied by the number of classes n", _NO_CLASSES,
           "remove the factor n"),
    Factor("N/n", "one_over_classes", lambda rows, n: rows / n, ("cross_entropy",),
           "divided by the number of classes n where the mean divides by the batch "
           "size N",
           "the loss is the mean over the rows (the samples), not over the classes",
           "divide by the number of rows, not of classes"),
    Factor("constant", "constant_factor", None, RULES,
           "scaled by {c}",
           "a constant factor crept in or went missing, such as a temperature (the "
           "gradient of softmax(x / T) carries a factor 1/T) or a learning rate",
           "find where the factor {c} comes from and remove it"),
)


def for_rule(rule: str) -> tuple[Mistake, ...]:
    """The entries of :data:`CATALOGUE` made in ``rule``, in order.

    >>> [m.name for m in for_rule("cross_entropy")][:2]
    ['diagonal_only', 'summed_jacobian_rows']
    """
    return tuple(m for m in CATALOGUE if rule in m.rules)


def factors_for(rule: str) -> tuple[Factor, ...]:
    """The :data:`FACTORS` looked for in ``rule``, in order.

    >>> [f.identifier for f in factors_for("cross_entropy")][-2:]
    ['one_over_classes', 'constant_factor']
    """
    return tuple(f for f in FACTORS if rule in f.rules)


def find(name: str, rule: str) -> Mistake:
    """The entry ``name`` of :data:`CATALOGUE` for ``rule``.

    Raises
    ------
    KeyError
        If there is none, naming the identifiers known for ``rule``.

    Examples
    --------
    >>> find("grad_wrt_probs", "cross_entropy").origin
    'family'
    """
    for m in for_rule(rule):
        if m.name == name:
            return m
    known = ", ".join(sorted({m.name for m in for_rule(rule)}))
    raise KeyError(f"no mistake {name!r} for rule {rule!r}; known: {known}")
