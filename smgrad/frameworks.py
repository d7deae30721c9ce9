"""The same computations in PyTorch and MXNet, for side-by-side checks.

Both frameworks are optional: they are imported on first use, never by ``import smgrad``.
Inputs and outputs are numpy arrays; the framework computes in the input's dtype.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from types import ModuleType
from typing import Iterator

import numpy as np

__all__ = ["import_torch", "import_mxnet", "quiet_mxnet", "torch_softmax_vjp", "mxnet_softmax_vjp",
           "torch_softmax_jacobian"]


def import_torch() -> ModuleType:
    """Import PyTorch, or explain how to install it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("PyTorch is needed for this comparison: "
                          "pip install torch==2.13.0") from exc
    return torch


@contextmanager
def quiet_mxnet() -> Iterator[None]:
    """Hide MXNet 1.9.1's DeprecationWarnings (about numpy, distutils and scipy APIs it
    uses): nothing a reader can act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def import_mxnet() -> ModuleType:
    """Import MXNet quietly (see :func:`quiet_mxnet`)."""
    with quiet_mxnet():
        try:
            import mxnet
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("MXNet is needed for this comparison: pip install "
                              "mxnet==1.9.1 numpy==1.23.5 (x86-64 only)") from exc
    return mxnet


def torch_softmax_vjp(x: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """``∂(Σ grad_out ⊙ softmax(x))/∂x`` from PyTorch's autograd (``grad_outputs``)."""
    torch = import_torch()
    xt = torch.tensor(np.asarray(x), requires_grad=True)
    probs = torch.softmax(xt, dim=axis)
    (grad,) = torch.autograd.grad(probs, xt, grad_outputs=torch.tensor(np.asarray(grad_out)))
    return grad.numpy()


def mxnet_softmax_vjp(x: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """The same from MXNet's autograd: ``backward`` with ``grad_out`` as head gradient."""
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
    """``torch.autograd.functional.jacobian`` of softmax: shape ``x.shape + x.shape``."""
    torch = import_torch()
    return torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, dim=axis), torch.tensor(np.asarray(x))).numpy()
