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
from ._rows import log_softmax_rows, softmax_rows
from ._targets import fused_gradient, neg_sum_t_log_p, reduce_rows, target_rows
from .derivatives import log_softmax_vjp, softmax_vjp
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

    Examples:
        >>> import numpy as np
        >>> from smgrad.autograd import Tensor
        >>> w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
        >>> loss = (w * w).sum()
        >>> loss
        Tensor(array(14.), requires_grad=True, op='sum')
        >>> loss.backward()
        >>> w.grad
        array([ 2., -4.,  6.])
    """

    __array_ufunc__ = None  # numpy_array + tensor calls Tensor.__radd__, not numpy

    def __init__(self, data: object, requires_grad: bool = False) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False, "
                            f"got {type(requires_grad).__name__}")
        if isinstance(data, Tensor):
            raise TypeError("data is already a Tensor; pass data.data to copy its values")
        self._init(np.array(as_float_array(data, "data"), copy=True), bool(requires_grad))

    def _init(self, data: np.ndarray, requires_grad: bool, parents: tuple[Tensor, ...] = (),
              backward: Optional[BackwardRule] = None, op: str = "") -> None:
        """The fields of a leaf or constant (the constructor) and of an operation's result
        (:func:`_node`); the graph is kept only where a gradient will flow."""
        self.data, self.requires_grad = data, requires_grad
        self.grad: Optional[np.ndarray] = None
        self._parents, self._backward, self._op = (
            (parents, backward, op) if requires_grad else ((), None, ""))

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def item(self) -> float:
        """The value of a one-element tensor as a Python float.

        >>> Tensor([[2.5]]).item()
        2.5
        """
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape "
                             f"{self.shape}")
        return float(self.data.reshape(()))

    def __repr__(self) -> str:
        grad_fn = f", op={self._op!r}" if self._op else ""
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad}{grad_fn})"

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes ``None``, as in PyTorch).

        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> (w * 3.0).sum().backward()
        >>> w.grad
        array([3., 3.])
        >>> w.zero_grad()
        >>> w.grad is None
        True
        """
        self.grad = None

    # ------------------------------------------------------------------ backward
    def backward(self, grad_out: Optional[object] = None) -> None:
        """Accumulate ``∂L/∂leaf`` into ``.grad`` of every leaf this tensor depends on.

        Args:
            grad_out: ``g = ∂L/∂self``, same shape as ``self``. May be left out only
                for a one-element tensor (a scalar loss), where it is 1.

        Each node's rule runs once, after every consumer of its output has added its
        share of the gradient (reverse topological order).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).backward(grad_out=[1.0, 10.0])   # a VJP: g ⊙ 2x
        >>> x.grad
        array([ 2., 40.])
        """
        if not self.requires_grad:
            raise RuntimeError("this tensor does not require grad: none of the tensors "
                               "it was computed from was made with requires_grad=True")
        grads = {id(self): _seed_gradient(self, grad_out)}
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node))
            if not node._parents:  # a leaf: keep (accumulate) its gradient
                node.grad = g.copy() if node.grad is None else node.grad + g
                continue
            for parent, grad in zip(node._parents, node._backward(g)):
                if parent.requires_grad:  # a broadcast input: the sum over its copies
                    grad, key = _unbroadcast(grad, parent.shape), id(parent)
                    grads[key] = grads[key] + grad if key in grads else grad

    # ------------------------------------------------------------------ arithmetic
    # Each operation: its forward value, and its backward rule, which gives the inputs'
    # gradients at the output's shape (backward() sums a broadcast input's back).
    def __add__(self, other: object) -> Tensor:
        other = self._operand(other, "+")
        return _node(self.data + other.data, (self, other), lambda g: (g, g), "add")

    def __sub__(self, other: object) -> Tensor:
        other = self._operand(other, "-")
        return _node(self.data - other.data, (self, other), lambda g: (g, -g), "sub")

    def __mul__(self, other: object) -> Tensor:
        other = self._operand(other, "*")
        return _node(self.data * other.data, (self, other),
                     lambda g: (g * other.data, g * self.data), "mul")

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __radd__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) + self

    def __rsub__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) - self

    def __rmul__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) * self

    def _operand(self, other: object, symbol: str) -> Tensor:
        """``other`` as a Tensor whose shape broadcasts with this one's (numpy's rule)."""
        other = _as_tensor(other, "other", like=self)
        try:
            np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ValueError(f"{symbol} cannot broadcast shapes {self.shape} and "
                             f"{other.shape}; trailing axes must be equal or 1 "
                             f"(numpy's rule)") from None
        return other

    def __matmul__(self, other: object) -> Tensor:
        other = _as_tensor(other, "other", like=self)
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(f"@ needs operands with at least one axis, got shapes "
                             f"{self.shape} and {other.shape}; use * to scale by a scalar")
        # A 1-D operand is a row (left) or a column (right), as in numpy.
        a = self.data if self.ndim > 1 else self.data[None, :]
        b = other.data if other.ndim > 1 else other.data[:, None]
        try:
            out = a @ b
        except ValueError:
            raise ValueError(f"@ cannot multiply shapes {self.shape} and {other.shape}: the "
                             f"last axis of the left operand must match the second-to-last "
                             f"of the right one") from None

        def backward(g):  # C = A B:  ∂L/∂A = G Bᵀ,  ∂L/∂B = Aᵀ G
            g = g.reshape(out.shape)
            return (_unbroadcast(g @ np.swapaxes(b, -1, -2), a.shape).reshape(self.shape),
                    _unbroadcast(np.swapaxes(a, -1, -2) @ g, b.shape).reshape(other.shape))
        # the row or column that a 1-D operand became goes again, as in numpy
        vector_axes = ((-2,) if self.ndim == 1 else ()) + ((-1,) if other.ndim == 1 else ())
        return _node(out.squeeze(vector_axes), (self, other), backward, "matmul")

    def __rmatmul__(self, other: object) -> Tensor:
        return _as_tensor(other, "other", like=self) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (int, tuple or ``None`` for all), as ``numpy.sum``.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data
        array([4., 6.])
        """
        axes = _reduction_axes(axis, self.ndim)

        def backward(g):  # every summed entry receives the gradient of the sum
            kept = g if keepdims else np.expand_dims(g, axes)
            return (np.broadcast_to(kept, self.shape),)
        return _node(self.data.sum(axis=axes, keepdims=keepdims), (self,), backward, "sum")

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of entries summed.

        >>> Tensor([1.0, 2.0, 6.0]).mean().item()
        3.0
        """
        axes = _reduction_axes(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        if count == 0:
            raise ValueError(f"mean over axis={axis!r} of shape {self.shape} averages no "
                             f"entries; choose an axis of non-zero length")
        return self.sum(axes, keepdims) * (1.0 / count)

    # ------------------------------------------------------------------ element-wise
    def relu(self) -> Tensor:
        """``max(x, 0)``; its gradient is 1 where ``x > 0``, else 0 (0 at 0, as PyTorch).

        >>> Tensor([-1.0, 0.0, 2.0]).relu().data
        array([0., 0., 2.])
        """
        return _node(np.maximum(self.data, 0), (self,), lambda g: (g * (self.data > 0),),
                     "relu")

    def exp(self) -> Tensor:
        """``e^x``, whose gradient is ``e^x`` itself.

        >>> Tensor([0.0, 1.0]).exp().data
        array([1.        , 2.71828183])
        """
        out = np.exp(self.data)
        return _node(out, (self,), lambda g: (g * out,), "exp")  # ∂e^x/∂x = e^x

    def log(self) -> Tensor:
        """Natural log; as numpy, ``log 0 = -inf`` and a negative entry gives NaN.

        >>> Tensor([1.0, 4.0]).log().data
        array([0.        , 1.38629436])
        """
        # ∂log x/∂x = 1/x
        return _node(np.log(self.data), (self,), lambda g: (g / self.data,), "log")

    # ------------------------------------------------------------------ softmax
    def softmax(self, axis: Axis = -1, backward: Optional[SoftmaxRule] = None) -> Tensor:
        """``s = softmax(x, axis)`` (:func:`smgrad.softmax`).

        Args:
            axis: the axis (or axes) of each distribution.
            backward: the rule ``(probs, grad_out, axis) -> grad_x`` that the backward
                pass applies; default :func:`smgrad.softmax_vjp`, ``s ⊙ (g - ⟨g, s⟩)``.
                Pass a learner's rule (``smgrad.mistakes.diagonal_only``) to see what
                training does with it.

        >>> x = Tensor([[0.0, 0.0]], requires_grad=True)
        >>> x.softmax().backward(grad_out=[[1.0, 0.0]])
        >>> x.grad
        array([[ 0.25, -0.25]])
        >>> from smgrad.mistakes import diagonal_only
        >>> x = Tensor([[0.0, 0.0]], requires_grad=True)
        >>> x.softmax(backward=diagonal_only).backward(grad_out=[[1.0, 0.0]])
        >>> x.grad                      # s(1 - s) g: the wrong class gets no push
        array([[0.25, 0.  ]])
        """
        rule = _softmax_rule(backward, self.shape)
        probs = _softmax(self.data, axis)
        # the VJP gᵀJ, never J itself
        return _node(probs, (self,), lambda g: (rule(probs, g, axis),), "softmax")

    def log_softmax(self, axis: Axis = -1) -> Tensor:
        """``log softmax(x, axis)`` (:func:`smgrad.log_softmax`), stable.

        >>> x = Tensor([[0.0, 0.0]], requires_grad=True)
        >>> x.log_softmax().backward(grad_out=[[-1.0, 0.0]])   # -log s_0
        >>> x.grad                                              # s - t
        array([[-0.5,  0.5]])
        """
        out = _log_softmax(self.data, axis)

        def backward(g):  # gᵀ(I - 1 sᵀ) = g - s Σ g
            return (log_softmax_vjp(np.exp(out), g, axis),)
        return _node(out, (self,), backward, "log_softmax")


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

    Examples:
        >>> import numpy as np
        >>> from smgrad.autograd import Tensor, cross_entropy
        >>> logits = Tensor(np.zeros((2, 2)), requires_grad=True)
        >>> loss = cross_entropy(logits, np.array([0, 1]))
        >>> round(loss.item(), 6)                      # log 2
        0.693147
        >>> loss.backward()
        >>> logits.grad                                # (s - t) / N
        array([[-0.25,  0.25],
               [ 0.25, -0.25]])
    """
    x = _as_tensor(logits, "logits")
    targets = _check_targets(targets)
    layout = Layout.of(x.data, axis)
    x_rows, t_rows = layout.to_2d(x.data), target_rows(targets, x.data, layout)
    loss = reduce_rows(neg_sum_t_log_p(t_rows, log_softmax_rows(x_rows)), "mean", layout)

    def backward(g):  # softmax's Jacobian is already multiplied in: (s - t) / N
        grad = fused_gradient(softmax_rows(x_rows), t_rows) / layout.rows * g
        return (layout.from_2d(grad.astype(x.data.dtype, copy=False)),)
    return _node(loss, (x,), backward, "cross_entropy")


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

    Examples:
        >>> import numpy as np
        >>> from smgrad.autograd import Tensor, nll_of_probs
        >>> p = Tensor(np.array([[0.5, 0.5], [0.25, 0.75]]), requires_grad=True)
        >>> loss = nll_of_probs(p, np.array([0, 1]))
        >>> round(loss.item(), 6)                      # (log 2 + log 4/3) / 2
        0.490415
        >>> loss.backward()
        >>> p.grad                                     # -t / (N p)
        array([[-1.        ,  0.        ],
               [ 0.        , -0.66666667]])
    """
    p = _as_tensor(probs, "probs")
    layout = Layout.of(p.data, axis)
    t = target_rows(_check_targets(targets), p.data, layout, like_name="probs")
    p_rows = layout.to_2d(p.data)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = neg_sum_t_log_p(t, np.log(p_rows)).mean()

    def backward(g):  # ∂/∂p of -Σ t log p / N  =  -t / (N p)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(t != 0, -t / (layout.rows * p_rows), 0) * g
        return (layout.from_2d(grad),)
    return _node(loss, (p,), backward, "nll_of_probs")


# ---------------------------------------------------------------------- helpers
def _node(data: object, parents: tuple[Tensor, ...], backward: BackwardRule,
          op: str) -> Tensor:
    """The result of the operation ``op`` on ``parents``: it keeps ``data`` (no copy),
    and is a node of the graph, with the local rule ``backward``, where an input
    requires grad (a constant otherwise)."""
    out = Tensor.__new__(Tensor)
    out._init(np.asarray(data), any(p.requires_grad for p in parents), parents, backward, op)
    return out


def _seed_gradient(root: Tensor, grad_out: Optional[object]) -> np.ndarray:
    """``∂L/∂root`` to start ``root.backward(grad_out)`` from: ``grad_out``, checked, or 1
    for a one-element ``root``."""
    if grad_out is None:
        if root.data.size != 1:
            raise ValueError(
                f"backward() without grad_out needs a one-element tensor (a scalar "
                f"loss), but this tensor has shape {root.shape}. Filling grad_out "
                f"with ones would give the gradient of the sum of its entries; for "
                f"softmax's output every row sums to 1, so that gradient is zero "
                f"everywhere (chapter 1's all-zero gradient). Pass grad_out, an array "
                f"of shape {root.shape} holding dL/d(this tensor), or call backward() "
                f"on a scalar loss")
        return np.ones_like(root.data)
    g = as_float_array(grad_out, "grad_out")
    same_shape(root.data, g, "this tensor", "grad_out")
    return g.astype(root.data.dtype, copy=False)

def _topological_order(root: Tensor) -> list[Tensor]:
    """The nodes ``root`` depends on that need a gradient, each after all of its inputs
    (no recursion)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
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


def _softmax_rule(backward: Optional[SoftmaxRule], shape: tuple[int, ...]) -> SoftmaxRule:
    """``backward`` (default :func:`smgrad.softmax_vjp`), checked: a function, whose
    gradient has ``shape``, the input's."""
    rule = softmax_vjp if backward is None else backward
    if not callable(rule):
        raise TypeError(f"backward must be a function (probs, grad_out, axis) -> "
                        f"grad_x, like smgrad.softmax_vjp; got "
                        f"{type(backward).__name__}")

    def checked(probs: np.ndarray, grad_out: np.ndarray, axis: Axis) -> np.ndarray:
        grad = np.asarray(rule(probs, grad_out, axis))
        if grad.shape != shape:
            raise ValueError(f"softmax's backward rule returned shape {grad.shape} "
                             f"for an input of shape {shape}; a backward rule "
                             f"returns one gradient entry per input entry")
        return grad
    return checked


def _as_tensor(x: object, name: str, like: Optional[Tensor] = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant Tensor (no gradient).

    A Python number takes the dtype of ``like`` (the other operand), so that
    ``0.5 * W`` stays float32 for a float32 ``W`` under numpy 1 and 2 alike.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)) and not isinstance(x, bool):
        return Tensor(np.asarray(x, dtype=like.data.dtype))
    return Tensor(as_float_array(x, name))


def _check_targets(targets: object) -> object:
    if isinstance(targets, Tensor):
        raise TypeError("targets is a Tensor; pass a numpy array of class indices "
                        "(integers) or probabilities: a Tensor holds floats, which would "
                        "turn class indices into probabilities, and targets get no gradient")
    return targets


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape`` over the axes that broadcasting added or stretched.

    Broadcasting copies an input along those axes, so its gradient is the sum of the
    copies' gradients.
    """
    if grad.shape == shape:
        return grad
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
