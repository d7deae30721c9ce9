"""Independent references for smgrad's results, and the tolerances of the comparison.

The oracles are PyTorch and MXNet (their own softmax kernels and autograd), finite
differences (``smgrad.check``, itself tested against closed forms in test_check.py), and
formulas derived by hand in the tests. Nothing here calls smgrad's numerical code.

PyTorch is optional, as MXNet is (the ``mx`` fixture): without it ``torch`` and ``F`` are
``None`` here, and every test marked :data:`needs_torch` (each one that uses a PyTorch
oracle below, or ``torch`` itself) is skipped, while the rest of its module runs.

Tolerances are stated once, here, and never loosened for a single test.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable, Optional, Sequence

import numpy as np
import pytest

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

#: Marks a test that needs PyTorch: skipped where it is not installed.
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch, which is not installed")

#: The large-array tests run smgrad with blocks of this many entries (:func:`use_blocks`),
#: whatever the CPU's default: rows longer than a block, and many rows of 37 ending in a
#: partial block (test_rows.py checks block boundaries on small arrays).
BLOCK_ELEMS = 1 << 17
MANY_ROWS = 3 * BLOCK_ELEMS // 37 + 5
LONG_ROW = BLOCK_ELEMS + 3


def use_blocks(monkeypatch: pytest.MonkeyPatch, block_elems: int = BLOCK_ELEMS) -> None:
    """Make every row formula's default block ``block_elems`` entries, for one test."""
    from smgrad import _rows

    monkeypatch.setattr(_rows, "FORWARD_BLOCK", block_elems)
    monkeypatch.setattr(_rows, "VJP_BLOCK", block_elems)

# --- tolerances --------------------------------------------------------------------------

#: Comparisons with PyTorch or MXNet allow this many units in the last place (machine
#: epsilon of the dtype) of relative error, and the same multiple of epsilon as absolute
#: error for quantities of order ``scale``. Two correct implementations differ by a few
#: ulps per operation (different ``exp`` kernels, different summation orders over rows of
#: up to 256 entries); a wrong formula differs at the percent level.
ULPS = 64

#: Finite differences (central, float64, step ε^(1/3)·max(1, |x|)) are accurate to about
#: 1e-9 for the moderate logits (|x| ≤ 8) and upstream gradients (|g| ≤ 2) used with them.
FD_TOL = dict(rtol=1e-6, atol=1e-7)


def tolerance(dtype: np.dtype, scale: float = 1.0) -> dict:
    """``rtol``/``atol`` for comparing results of ``dtype`` with an oracle; ``scale`` is the
    magnitude of the terms summed into the result (e.g. ``max |grad_out|``)."""
    eps = float(np.finfo(dtype).eps)
    return dict(rtol=ULPS * eps, atol=ULPS * eps * max(1.0, float(scale)))


def assert_close(actual: object, expected: object, dtype: np.dtype,
                 scale: float = 1.0) -> None:
    """``actual`` has ``dtype``, ``expected``'s shape, and agrees with it within
    :func:`tolerance` (NaN where ``expected`` is NaN, the same infinities)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.dtype == np.dtype(dtype), f"dtype {actual.dtype}, expected {np.dtype(dtype)}"
    assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected.astype(np.float64),
                               **tolerance(dtype, scale))


def assert_fd_close(actual: object, expected: object) -> None:
    """Agreement with a finite-difference estimate (float64), within :data:`FD_TOL`."""
    actual = np.asarray(actual)
    assert actual.shape == np.shape(expected)
    np.testing.assert_allclose(actual, expected, **FD_TOL)


# --- axes --------------------------------------------------------------------------------

def normalized_axes(axis, ndim: int) -> tuple[int, ...]:
    """The softmax axes as a sorted tuple of non-negative ints (0-d input: ``()``)."""
    if ndim == 0:
        return ()
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def batch_axes(ndim: int, axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in axes)


def to_rows(a: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """``a`` as ``(rows, n)``: the batch axes in order, then ``axes`` (in increasing order)
    flattened in C order. Written with ``np.transpose``, independently of smgrad."""
    perm = batch_axes(a.ndim, axes) + tuple(axes)
    rows = math.prod(a.shape[i] for i in batch_axes(a.ndim, axes))
    return np.transpose(a, perm).reshape(rows, math.prod(a.shape[i] for i in axes))


def from_rows(rows: np.ndarray, shape: tuple[int, ...], axes: Sequence[int]) -> np.ndarray:
    perm = batch_axes(len(shape), axes) + tuple(axes)
    moved = rows.reshape(tuple(shape[i] for i in perm))
    return np.transpose(moved, np.argsort(perm))


# --- PyTorch -----------------------------------------------------------------------------

def tensor(a: object) -> torch.Tensor:
    """A torch tensor with ``a``'s dtype (a copy)."""
    return torch.tensor(np.array(a))


def over_axes(fn: Callable, t: torch.Tensor, axes: Sequence[int]) -> torch.Tensor:
    """``fn(t, dim)`` applied along several axes at once: move ``axes`` to the end, flatten
    them into one, apply along it, and undo. A 0-d tensor is one class (dim 0)."""
    if t.ndim == 0:
        return fn(t, 0)
    axes = tuple(axes)
    if len(axes) == 1:
        return fn(t, axes[0])
    k = len(axes)
    last = tuple(range(t.ndim - k, t.ndim))
    moved = torch.movedim(t, axes, last)
    flat = moved.reshape(tuple(moved.shape[: t.ndim - k]) + (math.prod(moved.shape[t.ndim - k:]),))
    return torch.movedim(fn(flat, -1).reshape(moved.shape), last, axes)


def torch_softmax(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    return over_axes(torch.softmax, tensor(x), axes).numpy()


def torch_log_softmax(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    return over_axes(torch.log_softmax, tensor(x), axes).numpy()


def torch_logsumexp(x: np.ndarray, axes: Sequence[int], keepdims: bool) -> np.ndarray:
    t = tensor(x)
    dim = tuple(axes) if t.ndim else 0
    return torch.logsumexp(t, dim=dim, keepdim=keepdims).numpy()


def torch_jacobian(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """``torch.autograd.functional.jacobian`` of softmax over ``axes``: ``x.shape * 2``."""
    return torch.autograd.functional.jacobian(
        lambda t: over_axes(torch.softmax, t, axes), tensor(x)).numpy()


def blocks_of(full: np.ndarray, shape: tuple[int, ...], axes: Sequence[int]) -> np.ndarray:
    """The per-row ``n × n`` diagonal blocks of a full Jacobian, ``batch_shape + (n, n)``."""
    ndim = len(shape)
    rest = batch_axes(ndim, axes)
    perm = rest + tuple(axes)
    rows = math.prod(shape[i] for i in rest)
    n = math.prod(shape[i] for i in axes)
    j4 = full.transpose(perm + tuple(ndim + p for p in perm)).reshape(rows, n, rows, n)
    r = np.arange(rows)
    return j4[r, :, r, :].reshape(tuple(shape[i] for i in rest) + (n, n))


def torch_vjp(fn: Callable, x: np.ndarray, grad_out: np.ndarray,
              axes: Sequence[int]) -> np.ndarray:
    """``∂(Σ grad_out ⊙ fn(x))/∂x`` by torch autograd (``grad_outputs``)."""
    xt = tensor(x).requires_grad_(True)
    out = over_axes(fn, xt, axes)
    (grad,) = torch.autograd.grad(out, xt, grad_outputs=tensor(grad_out), allow_unused=True)
    return torch.zeros_like(xt).numpy() if grad is None else grad.numpy()


def torch_jvp(x: np.ndarray, tangent: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """Forward mode: ``J v`` for softmax over ``axes`` by ``torch.func.jvp``."""
    with warnings.catch_warnings():  # torch's first forward-mode call uses torch.jit.script
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        _, out = torch.func.jvp(lambda t: over_axes(torch.softmax, t, axes),
                                (tensor(x),), (tensor(tangent),))
    return out.numpy()


def torch_cross_entropy(logits: np.ndarray, targets: np.ndarray, axes: Sequence[int],
                        reduction: str, grad_out: Optional[object] = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``F.cross_entropy`` and its gradient by autograd (``grad_out``: default ones).

    One class axis: it is moved to dim 1 (dim 0 for 1-d logits, torch's unbatched form).
    Several class axes: moved to the end and flattened into one, rows flattened too.
    """
    xt = tensor(logits).requires_grad_(True)
    index = np.asarray(targets).dtype.kind in "iu"
    tt = tensor(targets).long() if index else tensor(targets)
    ndim = logits.ndim
    if len(axes) == 1 and ndim == 1:
        loss = F.cross_entropy(xt, tt, reduction=reduction)
    elif len(axes) == 1:
        tgt = tt if index else torch.movedim(tt, axes[0], 1)
        loss = F.cross_entropy(torch.movedim(xt, axes[0], 1), tgt, reduction=reduction)
    else:
        assert not index
        rest = batch_axes(ndim, axes)
        n = math.prod(logits.shape[i] for i in axes)
        batch_shape = tuple(logits.shape[i] for i in rest)

        def flat(t):
            return t.permute(rest + tuple(axes)).reshape(math.prod(batch_shape), n)

        loss = F.cross_entropy(flat(xt), flat(tt), reduction=reduction)
        if reduction == "none":
            loss = loss.reshape(batch_shape)
    g = torch.ones_like(loss) if grad_out is None else tensor(grad_out).to(loss.dtype)
    (grad,) = torch.autograd.grad(loss, xt, grad_outputs=g, allow_unused=True)
    grad = torch.zeros_like(xt) if grad is None else grad
    return loss.detach().numpy(), grad.numpy()


def torch_masked_cross_entropy(logits: np.ndarray, targets: np.ndarray, axes: Sequence[int],
                               reduction: str) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy with probability targets under the convention ``0 · log 0 = 0``
    (which ``F.cross_entropy`` does not follow: it gives NaN), from torch's log_softmax."""
    xt = tensor(logits).requires_grad_(True)
    tt = tensor(targets)
    logp = over_axes(torch.log_softmax, xt, axes)
    terms = torch.where(tt != 0, tt * logp, torch.zeros_like(logp))
    per_row = -terms.sum(dim=tuple(axes))
    loss = {"none": per_row, "sum": per_row.sum(),
            "mean": per_row.sum() / per_row.numel()}[reduction]
    (grad,) = torch.autograd.grad(loss, xt, grad_outputs=torch.ones_like(loss))
    return loss.detach().numpy(), grad.numpy()


# --- MXNet -------------------------------------------------------------------------------

def mxnet_forward(mx, name: str, x: np.ndarray, axis: int) -> np.ndarray:
    """``mx.nd.softmax`` or ``mx.nd.log_softmax`` along ``axis`` (``name``)."""
    from smgrad.frameworks import quiet_mxnet

    with quiet_mxnet():
        return getattr(mx.nd, name)(mx.nd.array(x, dtype=x.dtype), axis=axis).asnumpy()


def mxnet_vjp(mx, name: str, x: np.ndarray, grad_out: np.ndarray, axis: int) -> np.ndarray:
    """MXNet autograd: ``out.backward(head_grad)`` for ``out = mx.nd.<name>(x, axis)``;
    softmax's is :func:`smgrad.frameworks.mxnet_softmax_vjp`."""
    from smgrad.frameworks import mxnet_softmax_vjp, quiet_mxnet

    if name == "softmax":
        return mxnet_softmax_vjp(x, grad_out, axis)
    with quiet_mxnet():
        xm = mx.nd.array(x, dtype=x.dtype)
        xm.attach_grad()
        with mx.autograd.record():
            out = getattr(mx.nd, name)(xm, axis=axis)
        head = mx.nd.array(grad_out, dtype=x.dtype)
        return mx.autograd.grad(out, [xm], head_grads=head)[0].asnumpy()
