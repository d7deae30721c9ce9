"""A tiny reverse-mode autograd engine, to train with the rules the chapters derive.

A :class:`Tensor` holds a numpy array (``.data``). Every operation on tensors records a
node: its inputs and its *local backward rule*, written right next to its forward
computation. ``loss.backward()`` visits the nodes from the loss back to the leaves (a
topological order) and applies each rule to the gradient that arrived there::

    >>> import numpy as np
    >>> from smgrad.autograd import Tensor, cross_entropy
    >>> W = Tensor(np.zeros((4, 3)), requires_grad=True)
    >>> x = np.ones((2, 4))
    >>> loss = cross_entropy(x @ W, np.array([0, 2]))   # one fused node
    >>> loss.backward()
    >>> W.grad.shape
    (4, 3)

Gradients accumulate, as in PyTorch: each ``backward()`` adds to ``.grad`` of the leaves
(tensors made with ``requires_grad=True``), and :meth:`Tensor.zero_grad` resets it. Only
leaves keep a ``.grad``. The graph is kept after ``backward()``, so calling it twice adds
the same gradient twice.

The softmax and cross-entropy rules come from smgrad, never from a Jacobian:

* ``Tensor.softmax``: :func:`smgrad.softmax_vjp`, ``s ⊙ (g - ⟨g, s⟩)``; the rule can be
  swapped (``backward=smgrad.mistakes.diagonal_only``) to train with a learner's rule;
* ``Tensor.log_softmax``: :func:`smgrad.log_softmax_vjp`, ``g - s Σ g``;
* :func:`cross_entropy`: one fused node on the logits, backward ``(s - t) / N``
  (:func:`smgrad.cross_entropy_grad`), the homework's "softmax loss";
* :func:`nll_of_probs`: cross-entropy as a separate node on probabilities,
  ``mean over rows of -Σ t log p``, backward ``-t / (N p)``. Chained after
  ``Tensor.softmax`` it gives the same gradient as :func:`cross_entropy` up to
  round-off, but ``log p`` is ``-inf`` once a probability underflows to 0.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ._arrays import Axis, Layout, as_float_array, normalize_axes, same_shape
from .derivatives import log_softmax_vjp, softmax_vjp
from .losses import _targets_2d, cross_entropy_grad
from .losses import cross_entropy as _cross_entropy_value
from .forward import log_softmax as _log_softmax
from .forward import softmax as _softmax

__all__ = ["Tensor", "cross_entropy", "nll_of_probs"]

# A local backward rule: the gradient arriving at a node's output -> one gradient per input.
BackwardRule = Callable[[np.ndarray], tuple]
# A softmax backward rule, with smgrad.softmax_vjp's signature.
SoftmaxRule = Callable[[np.ndarray, np.ndarray, Axis], object]


class Tensor:
    """A numpy array that remembers how it was computed, for reverse-mode gradients.

    Args:
        data: the values, any shape; copied, and made float (integers become float64).
        requires_grad: True for a leaf whose gradient ``backward()`` should compute
            (a parameter). Results of operations require grad when an input does.

    Attributes:
        data: the numpy array. Update parameters in place: ``W.data -= lr * W.grad``.
        grad: ``None`` until a ``backward()`` reaches this leaf; then ``∂L/∂data``,
            same shape as ``data``, summed over every ``backward()`` since the last
            :meth:`zero_grad`.
    """

    __array_ufunc__ = None  # numpy_array + tensor calls Tensor.__radd__, not numpy

    def __init__(self, data: object, requires_grad: bool = False) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False, "
                            f"got {type(requires_grad).__name__}")
        if isinstance(data, Tensor):
            raise TypeError("data is already a Tensor; pass data.data to copy its values")
        self.data: np.ndarray = np.array(as_float_array(data, "data"), copy=True)
        self.requires_grad = bool(requires_grad)
        self.grad: Optional[np.ndarray] = None
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Optional[BackwardRule] = None
        self._op = ""

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape "
                             f"{self.shape}")
        return float(self.data.reshape(()))

    def __repr__(self) -> str:
        grad_fn = f", op={self._op!r}" if self._op else ""
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad}{grad_fn})"

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes ``None``, as in PyTorch)."""
        self.grad = None

    # ------------------------------------------------------------------ backward
    def backward(self, grad_out: Optional[object] = None) -> None:
        """Accumulate ``∂L/∂leaf`` into ``.grad`` of every leaf this tensor depends on.

        Args:
            grad_out: ``g = ∂L/∂self``, same shape as ``self``. May be left out only
                for a one-element tensor (a scalar loss), where it is 1.

        Each node's rule runs once, after every consumer of its output has added its
        share of the gradient (reverse topological order).
        """
        if not self.requires_grad:
            raise RuntimeError("this tensor does not require grad: none of the tensors "
                               "it was computed from was made with requires_grad=True")
        grads = {id(self): self._seed_gradient(grad_out)}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node))
            if not node._parents:  # a leaf: keep (accumulate) its gradient
                node.grad = g.copy() if node.grad is None else node.grad + g
                continue
            for parent, grad in zip(node._parents, node._backward(g)):
                if parent.requires_grad:
                    key = id(parent)
                    grads[key] = grads[key] + grad if key in grads else grad

    def _seed_gradient(self, grad_out: Optional[object]) -> np.ndarray:
        if grad_out is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() without grad_out needs a one-element tensor (a scalar "
                    f"loss), but this tensor has shape {self.shape}. Filling grad_out "
                    f"with ones would give the gradient of the sum of its entries; for "
                    f"softmax's output every row sums to 1, so that gradient is zero "
                    f"everywhere (chapter 1's all-zero gradient). Pass grad_out, an array "
                    f"of shape {self.shape} holding dL/d(this tensor), or call backward() "
                    f"on a scalar loss")
            return np.ones_like(self.data)
        g = as_float_array(grad_out, "grad_out")
        same_shape(self.data, g, "this tensor", "grad_out")
        return g.astype(self.data.dtype, copy=False)

    def _topological_order(self) -> list[Tensor]:
        """The nodes that need a gradient, each after all of its inputs (no recursion)."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if p.requires_grad)
        return order

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: object) -> Tensor:
        other = _as_tensor(other, "other", like=self)
        a, b = self, other

        def backward(g):  # ∂(a + b)/∂a = ∂(a + b)/∂b = 1
            return _unbroadcast(g, a.shape), _unbroadcast(g, b.shape)
        return _result(_broadcasting(np.add, a, b, "+"), (a, b), backward, "add")

    def __sub__(self, other: object) -> Tensor:
        other = _as_tensor(other, "other", like=self)
        a, b = self, other

        def backward(g):  # ∂(a - b)/∂a = 1, ∂(a - b)/∂b = -1
            return _unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)
        return _result(_broadcasting(np.subtract, a, b, "-"), (a, b), backward, "sub")

    def __mul__(self, other: object) -> Tensor:
        other = _as_tensor(other, "other", like=self)
        a, b = self, other

        def backward(g):  # ∂(a b)/∂a = b, ∂(a b)/∂b = a
            return _unbroadcast(g * b.data, a.shape), _unbroadcast(g * a.data, b.shape)
        return _result(_broadcasting(np.multiply, a, b, "*"), (a, b), backward, "mul")

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __radd__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) + self

    def __rsub__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) - self

    def __rmul__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) * self

    def __matmul__(self, other: object) -> Tensor:
        other = _as_tensor(other, "other", like=self)
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"@ needs operands with at least one axis, got shapes "
                             f"{a.shape} and {b.shape}; use * to scale by a scalar")
        # A 1-D operand is a row (left) or a column (right), as in numpy.
        a2 = a.data if a.ndim > 1 else a.data[None, :]
        b2 = b.data if b.ndim > 1 else b.data[:, None]
        try:
            out2 = a2 @ b2
        except ValueError:
            raise ValueError(f"@ cannot multiply shapes {a.shape} and {b.shape}: the last "
                             f"axis of the left operand must match the second-to-last "
                             f"of the right one") from None

        def backward(g):  # C = A B:  ∂L/∂A = G Bᵀ,  ∂L/∂B = Aᵀ G
            g2 = g.reshape(out2.shape)
            grad_a = _unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape)
            grad_b = _unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
            return grad_a.reshape(a.shape), grad_b.reshape(b.shape)
        out = out2
        if a.ndim == 1:
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return _result(out, (a, b), backward, "matmul")

    def __rmatmul__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (int, tuple or ``None`` for all), as ``numpy.sum``."""
        axes = _reduction_axes(axis, self.ndim)
        x = self

        def backward(g):  # every summed entry receives the gradient of the sum
            kept = g if keepdims else np.expand_dims(g, axes)
            return (np.broadcast_to(kept, x.shape),)
        return _result(np.asarray(self.data.sum(axis=axes, keepdims=keepdims)), (x,),
                       backward, "sum")

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of entries summed."""
        axes = _reduction_axes(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        if count == 0:
            raise ValueError(f"mean over axis={axis!r} of shape {self.shape} averages no "
                             f"entries; choose an axis of non-zero length")
        return self.sum(axes, keepdims) * (1.0 / count)

    # ------------------------------------------------------------------ element-wise
    def relu(self) -> Tensor:
        x = self

        def backward(g):  # 1 where x > 0, else 0 (0 at x = 0, as PyTorch)
            return (g * (x.data > 0),)
        return _result(np.maximum(self.data, 0), (x,), backward, "relu")

    def exp(self) -> Tensor:
        x = self
        out = np.exp(self.data)

        def backward(g):  # ∂e^x/∂x = e^x
            return (g * out,)
        return _result(out, (x,), backward, "exp")

    def log(self) -> Tensor:
        """Natural log; as numpy, ``log 0 = -inf`` and a negative entry gives NaN."""
        x = self

        def backward(g):  # ∂log x/∂x = 1/x
            return (g / x.data,)
        return _result(np.log(self.data), (x,), backward, "log")

    # ------------------------------------------------------------------ softmax
    def softmax(self, axis: Axis = -1, backward: Optional[SoftmaxRule] = None) -> Tensor:
        """``s = softmax(x, axis)`` (:func:`smgrad.softmax`).

        Args:
            axis: the axis (or axes) of each distribution.
            backward: the rule ``(probs, grad_out, axis) -> grad_x`` that the backward
                pass applies; default :func:`smgrad.softmax_vjp`, ``s ⊙ (g - ⟨g, s⟩)``.
                Pass a learner's rule (``smgrad.mistakes.diagonal_only``) to see what
                training does with it.
        """
        rule = softmax_vjp if backward is None else backward
        if not callable(rule):
            raise TypeError(f"backward must be a function (probs, grad_out, axis) -> "
                            f"grad_x, like smgrad.softmax_vjp; got "
                            f"{type(backward).__name__}")
        x = self
        probs = _softmax(self.data, axis)

        def softmax_backward(g):  # the VJP gᵀJ, never J itself
            grad = np.asarray(rule(probs, g, axis))
            if grad.shape != x.shape:
                raise ValueError(f"softmax's backward rule returned shape {grad.shape} "
                                 f"for an input of shape {x.shape}; a backward rule "
                                 f"returns one gradient entry per input entry")
            return (grad,)
        return _result(probs, (x,), softmax_backward, "softmax")

    def log_softmax(self, axis: Axis = -1) -> Tensor:
        """``log softmax(x, axis)`` (:func:`smgrad.log_softmax`), stable."""
        x = self
        out = _log_softmax(self.data, axis)

        def backward(g):  # gᵀ(I - 1 sᵀ) = g - s Σ g
            return (log_softmax_vjp(np.exp(out), g, axis),)
        return _result(out, (x,), backward, "log_softmax")


# ---------------------------------------------------------------------- losses
def cross_entropy(logits: object, targets: object, axis: int = -1) -> Tensor:
    """The homework's "softmax loss" as ONE node: ``mean over rows of -Σ t log softmax(x)``.

    Args:
        logits: ``x``, a Tensor (or array) of shape ``(N, n)``, or any shape with the
            classes along ``axis``.
        targets: a numpy array of class indices (shape of ``logits`` without ``axis``)
            or of probabilities (one-hot or soft, shape of ``logits``). No gradient.

    Returns:
        A 0-d Tensor. Its backward rule is the fused ``(s Σt - t) / N``, which is
        ``(s - t) / N`` for one-hot targets (:func:`smgrad.cross_entropy_grad`).
    """
    x = _as_tensor(logits, "logits")
    t = _check_targets(targets)
    loss = _cross_entropy_value(x.data, t, axis)

    def backward(g):  # softmax's Jacobian is already multiplied in: (s - t) / N
        return (cross_entropy_grad(x.data, t, axis, grad_out=g),)
    return _result(loss, (x,), backward, "cross_entropy")


def nll_of_probs(probs: object, targets: object, axis: int = -1) -> Tensor:
    """Cross-entropy as a separate node on probabilities: ``mean over rows of -Σ t log p``.

    Args:
        probs: ``p``, a Tensor (usually ``logits.softmax(axis)``), shape ``(N, n)`` or
            any shape with the classes along ``axis``; ``N`` is the number of rows.
        targets: as in :func:`cross_entropy`.

    Returns:
        A 0-d Tensor whose backward rule is ``∂L/∂p = -t / (N p)`` (0 where ``t = 0``).
        A probability of exactly 0 at a target gives an infinite loss and gradient
        (``log 0``): the reason to prefer the fused :func:`cross_entropy`.
    """
    p = _as_tensor(probs, "probs")
    layout = Layout.of(p.data, axis)
    t = _targets_2d(_check_targets(targets), p.data, layout, logits_name="probs")
    p2 = layout.to_2d(p.data)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -np.where(t != 0, t * np.log(p2), 0).sum(axis=1).mean()

    def backward(g):  # ∂/∂p of -Σ t log p / N  =  -t / (N p)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(t != 0, -t / (layout.rows * p2), 0) * g
        return (layout.from_2d(grad),)
    return _result(np.asarray(loss), (p,), backward, "nll_of_probs")


# ---------------------------------------------------------------------- helpers
def _result(data: np.ndarray, parents: tuple[Tensor, ...], backward: BackwardRule,
            op: str) -> Tensor:
    """A new Tensor holding ``data``; a graph node if any parent requires grad."""
    out = Tensor.__new__(Tensor)
    out.data = np.asarray(data)
    out.requires_grad = any(p.requires_grad for p in parents)
    out.grad = None
    out._parents = parents if out.requires_grad else ()
    out._backward = backward if out.requires_grad else None
    out._op = op if out.requires_grad else ""
    return out


def _as_tensor(x: object, name: str, like: Optional[Tensor] = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant Tensor (no gradient).

    A Python number takes the dtype of ``like`` (the other operand), so that
    ``0.5 * W`` stays float32 for a float32 ``W`` under numpy 1 and 2 alike.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)) and not isinstance(x, bool):
        return _result(np.asarray(x, dtype=like.data.dtype), (), None, "")
    return _result(as_float_array(x, name), (), None, "")


def _check_targets(targets: object) -> object:
    if isinstance(targets, Tensor):
        raise TypeError("targets is a Tensor; pass a numpy array of class indices "
                        "(integers) or probabilities: a Tensor holds floats, which would "
                        "turn class indices into probabilities, and targets get no gradient")
    return targets


def _broadcasting(ufunc, a: Tensor, b: Tensor, symbol: str) -> np.ndarray:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{symbol} cannot broadcast shapes {a.shape} and {b.shape}; "
                         f"trailing axes must be equal or 1 (numpy's rule)") from None
    return ufunc(a.data, b.data)


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape`` over the axes that broadcasting added or stretched.

    Broadcasting copies an input along those axes, so its gradient is the sum of the
    copies' gradients.
    """
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _reduction_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """``axis`` of a sum or mean as a tuple; ``()`` reduces nothing, as in numpy."""
    if isinstance(axis, tuple) and len(axis) == 0:
        return ()
    return normalize_axes(axis, ndim)
