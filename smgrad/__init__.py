"""smgrad: softmax and its gradients, done right.

>>> import numpy as np, smgrad
>>> x = np.array([[-1.0, -1.0, 1.0]])
>>> s = smgrad.softmax(x)                                  # stable, any axis
>>> s.round(4)
array([[0.1065, 0.1065, 0.787 ]])
>>> grad_x = smgrad.softmax_vjp(s, grad_out=np.array([[0.0, -9.4, 0.0]]))
>>> grad_x.round(4)                                        # gᵀJ, without J
array([[ 0.1066, -0.8945,  0.7879]])
>>> smgrad.diagnose(smgrad.mistakes.diagonal_only).mistake
'diagonal_only'

Modules, one per concept (each ``smgrad.<name>`` is the module ``smgrad/<name>.py``; the
functions they hold are imported from ``smgrad`` itself): ``forward`` (softmax,
log_softmax, logsumexp), ``derivatives`` (Jacobians, VJPs, JVPs), ``losses``
(cross-entropy and its gradient), ``check`` (finite differences), ``printing`` (stable
printing of round-off), ``mistakes`` (the catalogue of learners' wrong rules),
``diagnosis`` (the judge: ``smgrad.diagnose(fn, rule)`` returns a ``Diagnosis``),
``autograd`` (a tiny reverse-mode engine whose softmax backward is ``softmax_vjp``).
Imported on first use, so that ``import smgrad`` needs only numpy: ``frameworks`` (the
same computations in PyTorch and MXNet), ``plotting`` (matplotlib figures),
``mxnet_cells`` (the book's ``%%mxnet`` cells), ``feedback`` (the exercises' check
cells), ``exercises`` (each exercise's contract and reference), ``cli`` (the console script, ``smgrad diagnose FILE:FUNC``).
"""

import importlib as _importlib

from . import autograd, check, derivatives, diagnosis, forward, losses, mistakes, printing
from .check import GradcheckResult, gradcheck, numerical_jacobian, numerical_vjp
from .derivatives import log_softmax_vjp, softmax_jacobian, softmax_jvp, softmax_vjp
from .diagnosis import Diagnosis, diagnose
from .forward import log_softmax, logsumexp, softmax
from .losses import cross_entropy, cross_entropy_grad

__version__ = "0.1.0"

# Modules imported when first used (PEP 562): what they import stays out of `import smgrad`.
_LAZY_MODULES = ("cli", "exercises", "feedback", "frameworks", "mxnet_cells", "plotting")

__all__ = [
    "softmax", "log_softmax", "logsumexp",
    "softmax_jacobian", "softmax_vjp", "softmax_jvp", "log_softmax_vjp",
    "cross_entropy", "cross_entropy_grad",
    "numerical_jacobian", "numerical_vjp", "gradcheck", "GradcheckResult",
    "diagnose", "Diagnosis",
    "autograd", "check", "derivatives", "diagnosis", "forward", "losses", "mistakes",
    "printing",
    *_LAZY_MODULES,
]


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        return _importlib.import_module(f"{__name__}.{name}")  # also binds smgrad.<name>
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES))
