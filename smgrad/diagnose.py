"""Tell a learner whether their softmax backward is right, and if not, which mistake it is.

:func:`diagnose` runs ``backward(probs, grad_out)`` on a few probe inputs chosen to tell
the known mistakes apart, and compares every outcome (an array, or an exception) with
:func:`smgrad.softmax_vjp` and with each mistake in :data:`smgrad.mistakes.KNOWN_MISTAKES`:

* ``batch ≠ classes`` (3 × 5) with a random ``grad_out``: catches ``np.eye(batch)``;
* ``batch = classes`` (4 × 4) with a random ``grad_out``: where ``np.eye(batch)`` runs;
* ``grad_out`` of ones (3 × 5): the gradient of ``probs.sum()``, which is zero.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, Optional, Union

import numpy as np

from .derivatives import softmax_vjp
from .mistakes import KNOWN_MISTAKES
from .forward import softmax

__all__ = ["diagnose", "Diagnosis"]

_RTOL, _ATOL = 1e-5, 1e-8
FIX = "the right rule is grad_x = s * (g - (g * s).sum(axis, keepdims=True))"


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on a backward rule.

    Attributes:
        ok: True when it matches :func:`smgrad.softmax_vjp` on every probe.
        mistake: ``None`` when ok; the known mistake's name when it matches one;
            ``"unknown"`` when it is wrong in another way.
        message: a readable explanation (also the ``repr``).
    """

    ok: bool
    mistake: Optional[str]
    message: str

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


Outcome = Union[np.ndarray, BaseException]


def _probes() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2024)
    wide = softmax(rng.standard_normal((3, 5)))
    square = softmax(rng.standard_normal((4, 4)))
    return {
        "batch != classes (3 x 5)": (wide, rng.standard_normal((3, 5))),
        "batch == classes (4 x 4)": (square, rng.standard_normal((4, 4))),
        "grad_out of ones (3 x 5)": (wide, np.ones((3, 5))),
    }


def _run(backward: Callable, probs: np.ndarray, grad_out: np.ndarray) -> Outcome:
    try:  # copies: a learner's code may write into its inputs
        grad_x = backward(probs.copy(), grad_out.copy())
        if grad_x is None:
            raise TypeError("backward returned None, not grad_x: is a `return` missing?")
        return np.asarray(grad_x, dtype=np.float64)
    except Exception as exc:  # a learner's exception is reported, never raised through
        return exc


def _agree(a: Outcome, b: Outcome) -> bool:
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        return isinstance(a, BaseException) and isinstance(b, BaseException)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=_RTOL, atol=_ATOL))


def diagnose(backward: Callable[[np.ndarray, np.ndarray], object]) -> Diagnosis:
    """Check a softmax backward rule ``backward(probs, grad_out) -> grad_x``.

    ``probs`` and ``grad_out`` are float64 arrays of shape ``(batch, classes)``, softmax
    along the last axis. Exceptions raised by ``backward`` are reported in the result.

    Returns:
        A :class:`Diagnosis` with ``.ok``, ``.mistake`` and ``.message``.
    """
    if not callable(backward):
        raise TypeError(f"backward is a {type(backward).__name__}, not a function; pass "
                        f"the function itself, backward(probs, grad_out) -> grad_x")
    probes = _probes()
    theirs = {name: _run(backward, *args) for name, args in probes.items()}
    right = {name: softmax_vjp(*args) for name, args in probes.items()}
    if all(_agree(theirs[name], right[name]) for name in probes):
        # The tolerance, not the round-off-sized difference: that varies between CPUs.
        return Diagnosis(True, None, f"correct: matches softmax_vjp on all {len(probes)} "
                                     f"probes (within rtol={_RTOL:g}, atol={_ATOL:g})")
    for mistake in KNOWN_MISTAKES:
        if all(_agree(theirs[name], _run(mistake.backward, *args))
               for name, args in probes.items()):
            return Diagnosis(False, mistake.name,
                             f"wrong: this is the known mistake '{mistake.name}': "
                             f"{mistake.why}.\nFix: {FIX}")
    return Diagnosis(False, "unknown", _describe_unknown(theirs, right))


def _describe_unknown(theirs: dict[str, Outcome], right: dict[str, np.ndarray]) -> str:
    lines = ["wrong in a way not on the list of known mistakes:"]
    worst: Optional[tuple[float, str, tuple, float, float]] = None
    for name, outcome in theirs.items():
        if isinstance(outcome, BaseException):
            lines.append(f"  on probe '{name}' it raised "
                         f"{type(outcome).__name__}: {outcome}")
        elif outcome.shape != right[name].shape:
            lines.append(f"  on probe '{name}' it returned shape {outcome.shape}, "
                         f"expected {right[name].shape}")
        else:
            err = np.abs(outcome - right[name])
            where = np.unravel_index(int(np.argmax(err)), err.shape)
            if worst is None or err[where] > worst[0]:
                worst = (float(err[where]), name, tuple(int(i) for i in where),
                         float(right[name][where]), float(outcome[where]))
    if worst is not None:
        err, name, where, expected, got = worst
        lines.append(f"  largest error {err:.3g} on probe '{name}' at index {where} "
                     f"(expected {expected:.4f}, got {got:.4f})")
    lines.append(f"Fix: {FIX}")
    return "\n".join(lines)


class _CallableModule(type(sys)):
    """``smgrad.diagnose`` is this module, and calling it calls :func:`diagnose`.

    So the public name never hides a module (``import smgrad.diagnose as m; m.Diagnosis``
    works), ``smgrad.diagnose(fn)`` reads as a verb, and ``python -m smgrad.diagnose``
    runs the command line below."""

    def __call__(self, *args, **kwargs) -> Diagnosis:
        return diagnose(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
