"""The same computations in PyTorch and MXNet, for side-by-side checks.

Both frameworks are optional: they are imported on first use, never by ``import smgrad``.
Inputs and outputs are numpy arrays; the framework computes in the input's dtype.
"""

from __future__ import annotations

import importlib
import warnings
from contextlib import contextmanager
from types import ModuleType
from typing import Iterator

import numpy as np

__all__ = ["import_torch", "import_mxnet", "quiet_mxnet", "torch_softmax_vjp",
           "mxnet_softmax_vjp", "torch_softmax_jacobian"]


def import_torch() -> ModuleType:
    """Import PyTorch, or explain how to install it.

    >>> torch = import_torch()  # doctest: +NEEDS_TORCH
    >>> torch.softmax(torch.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    return _import("torch", "PyTorch", "torch==2.13.0")


@contextmanager
def quiet_mxnet() -> Iterator[None]:
    """Hide MXNet 1.9.1's DeprecationWarnings (about numpy, distutils and scipy APIs it
    uses): nothing a reader can act on.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with quiet_mxnet():
    ...         warnings.warn("np.bool is deprecated", DeprecationWarning)
    ...     warnings.warn("shown", UserWarning)
    >>> [str(w.message) for w in caught]
    ['shown']
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def import_mxnet() -> ModuleType:
    """Import MXNet quietly (see :func:`quiet_mxnet`), or explain how to install it.

    MXNet 1.9.1 needs numpy 1.23 (the book's pinned environment)::

        >>> mx = import_mxnet()  # doctest: +NEEDS_MXNET
        >>> mx.nd.softmax(mx.nd.zeros(2)).asnumpy()
        array([0.5, 0.5], dtype=float32)
    """
    with quiet_mxnet():
        return _import("mxnet", "MXNet", "mxnet==1.9.1 numpy==1.23.5 (x86-64 only)")


def _import(name: str, title: str, install: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{title} is needed for this comparison: "
                          f"pip install {install}") from exc


def torch_softmax_vjp(x: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """``∂(Σ grad_out ⊙ softmax(x))/∂x`` from PyTorch's autograd (``grad_outputs``).

    >>> import numpy as np  # doctest: +NEEDS_TORCH
    >>> torch_softmax_vjp(np.zeros((1, 2)), np.array([[1.0, 0.0]]))
    array([[ 0.25, -0.25]])
    """
    torch = import_torch()
    xt = torch.tensor(np.asarray(x), requires_grad=True)
    probs = torch.softmax(xt, dim=axis)
    (grad,) = torch.autograd.grad(probs, xt, grad_outputs=torch.tensor(np.asarray(grad_out)))
    return grad.numpy()


def mxnet_softmax_vjp(x: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """The same from MXNet's autograd: ``backward`` with ``grad_out`` as head gradient.

    Needs MXNet (numpy 1.23)::

        >>> import numpy as np  # doctest: +NEEDS_MXNET
        >>> mxnet_softmax_vjp(np.zeros((1, 2)), np.array([[1.0, 0.0]]))
        array([[ 0.25, -0.25]])
    """
    mx = import_mxnet()
    x = np.asarray(x)
    with quiet_mxnet():
        xm = mx.nd.array(x, dtype=x.dtype)
        xm.attach_grad()
        with mx.autograd.record():
            probs = mx.nd.softmax(xm, axis=axis)
        probs.backward(mx.nd.array(np.asarray(grad_out), dtype=x.dtype))
        return xm.grad.asnumpy()


def torch_softmax_jacobian(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``torch.autograd.functional.jacobian`` of softmax: shape ``x.shape + x.shape``.

    >>> import numpy as np  # doctest: +NEEDS_TORCH
    >>> torch_softmax_jacobian(np.zeros(2))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    torch = import_torch()
    return torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, dim=axis), torch.tensor(np.asarray(x))).numpy()
