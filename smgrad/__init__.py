"""smgrad: softmax and its gradients, done right.

>>> import numpy as np, smgrad
>>> x = np.array([[-1.0, -1.0, 1.0]])
>>> s = smgrad.softmax(x)                                  # stable, any axis
>>> grad_x = smgrad.softmax_vjp(s, grad_out=np.array([[0.0, -9.4, 0.0]]))
>>> smgrad.diagnose(smgrad.mistakes.diagonal_only).mistake
'diagonal_only'

Modules, one per concept: ``forward`` (softmax, log_softmax, logsumexp),
``derivatives`` (Jacobians, VJPs, JVPs), ``losses`` (cross-entropy and its gradient),
``check`` (finite differences), ``printing`` (stable printing of round-off), ``mistakes``
(the learners' wrong rules), ``diagnose`` (a module you can call: ``smgrad.diagnose(fn)``),
``autograd`` (a tiny reverse-mode engine whose softmax backward is ``softmax_vjp``),
``frameworks`` (the same computations in PyTorch and MXNet, imported lazily).
"""

from . import autograd, check, diagnose, forward, mistakes, printing
from .check import GradcheckResult, gradcheck, numerical_jacobian, numerical_vjp
from .derivatives import log_softmax_vjp, softmax_jacobian, softmax_jvp, softmax_vjp
from .diagnose import Diagnosis
from .losses import cross_entropy, cross_entropy_grad
from .forward import log_softmax, logsumexp, softmax

__version__ = "0.1.0"

__all__ = [
    "softmax", "log_softmax", "logsumexp",
    "softmax_jacobian", "softmax_vjp", "softmax_jvp", "log_softmax_vjp",
    "cross_entropy", "cross_entropy_grad",
    "numerical_jacobian", "numerical_vjp", "gradcheck", "GradcheckResult",
    "diagnose", "Diagnosis",
    "autograd", "check", "forward", "mistakes", "printing",
]
