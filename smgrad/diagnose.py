"""Tell a learner whether their backward rule is right, and if not, which mistake it is.

:func:`diagnose` runs a backward rule on a few probe inputs chosen to tell mistakes
apart, and compares every outcome (an array, or an exception) with the right rule and
with each *family* of mistakes learners make: a flipped sign, a constant factor (a 1/N
missing or applied twice, a forgotten temperature), a sum along the wrong axis, only the
diagonal or only the off-diagonal part of the Jacobian, the function treated as the
identity, the transposed Jacobian, the other function's rule, and the four threads'
mistakes (:data:`smgrad.mistakes.KNOWN_MISTAKES`). Three rules can be checked:

* ``rule="softmax"`` (the default): ``backward(probs, grad_out) -> grad_x``, the contract
  of :func:`smgrad.softmax_vjp`, ``grad_out = ∂L/∂softmax(x)``;
* ``rule="log_softmax"``: the same arguments with ``grad_out = ∂L/∂log_softmax(x)``,
  the contract of :func:`smgrad.log_softmax_vjp`;
* ``rule="cross_entropy"``: ``backward(logits, targets) -> ∂L/∂logits`` for
  ``L = mean over rows of -Σ t log softmax(x)``, ``targets`` one-hot floats of the
  logits' shape (the homework's fused softmax + cross-entropy node).

Inputs are float64 arrays of shape ``(batch, classes)``, softmax along the last axis. The
probes for the two softmax rules are:

* ``batch ≠ classes`` (3 × 5) with a random ``grad_out``: catches ``np.eye(batch)``;
* ``batch = classes`` (4 × 4) with a random ``grad_out``: where ``np.eye(batch)`` runs;
* ``grad_out`` of ones (3 × 5): the gradient of ``probs.sum()``, which is zero.

For ``cross_entropy``: logits of shapes 3 × 5, 4 × 4 and 6 × 5 with one-hot targets.
Comparisons are at the precision of what the rule returns (:mod:`smgrad._compare`): a
right rule computed in float32 or float16 is right.

From a shell (for autograders)::

    python -m smgrad.diagnose path/to/file.py:function [--rule RULE] [--json]

prints the verdict and exits 0 when the rule is right, 1 when it is wrong, and 2 when it
cannot be run (a missing file or function, an error while importing the file).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from . import _autograd_functions
from ._compare import compare, kind_of, least_precise, precision_of, to_array, tolerance
from .derivatives import log_softmax_vjp, softmax_vjp
from .forward import softmax
from .mistakes import KNOWN_MISTAKES
from .printing import WrappedRepr


def _started_as_python_m() -> bool:
    """True in ``python -m smgrad.diagnose``. There runpy imports the package (which
    imports this module), then runs this file again as ``__main__``, and warns that the
    module it found in ``sys.modules`` "may result in unpredictable behaviour". Here it
    does not: ``__main__`` only calls the imported module's :func:`main`."""
    argv = list(getattr(sys, "orig_argv", ()))
    for i, arg in enumerate(argv):
        if arg == "-m":
            return i + 1 < len(argv) and argv[i + 1] == "smgrad.diagnose"
        if arg.startswith("-m"):
            return arg[2:] == "smgrad.diagnose"
    return False


if __name__ == "smgrad.diagnose" and _started_as_python_m():
    warnings.filterwarnings("ignore", message=r"'smgrad\.diagnose' found in sys\.modules",
                            category=RuntimeWarning)

__all__ = ["diagnose", "Diagnosis", "RULES", "main"]

#: The rules :func:`diagnose` can check.
RULES = ("softmax", "log_softmax", "cross_entropy")

#: The fix for the softmax rule (kept for code that printed it).
FIX = "the right rule is grad_x = s * (g - (g * s).sum(axis, keepdims=True))"


@dataclass(frozen=True, repr=False)
class Diagnosis(WrappedRepr):
    """The verdict on a backward rule.

    Attributes
    ----------
    ok : bool
        True when it matches the right rule on every probe.
    mistake : str or None
        ``None`` when ok; the mistake family's identifier when it matches one (see
        :func:`diagnose`); ``"unknown"`` when it is wrong in another way.
    message : str
        The whole verdict: what the code does, why it is wrong, and ``Fix: ...`` (also
        the ``repr``).
    rule : str
        The rule checked: ``"softmax"``, ``"log_softmax"`` or ``"cross_entropy"``.
    explanation : str
        The verdict without the fix and without any expected value: what
        :mod:`smgrad.feedback` shows a learner.
    fix : str
        How to fix it (empty when ok). This is the solution.
    symptom : str or None
        When ``mistake == "unknown"``, what went wrong: ``"returned None"`` (on every
        probe), ``"wrong type"``, ``"wrong shape"``, ``"raised"``, ``"not finite"`` or
        ``"wrong values"``; otherwise ``None``.

    Examples
    --------
    >>> import smgrad
    >>> d = smgrad.diagnose(lambda probs, grad_out: -smgrad.softmax_vjp(probs, grad_out))
    >>> d.ok, d.mistake
    (False, 'sign_flipped')
    >>> print(d.fix)
    remove the extra minus sign; the right rule is grad_x = s * (g - (g * s).sum(axis, keepdims=True))
    """

    ok: bool
    mistake: Optional[str]
    message: str
    rule: str = "softmax"
    explanation: str = ""
    fix: str = ""
    symptom: Optional[str] = None


# --- the rules and their probes ---------------------------------------------------------

def _cross_entropy_right(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    s = softmax(logits, axis=-1)
    return (s * targets.sum(axis=-1, keepdims=True) - targets) / logits.shape[0]


@dataclass(frozen=True)
class _Rule:
    name: str
    contract: str          # the signature, in words
    reference: str         # smgrad's function for it, named in the verdict
    right: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str           # the right rule, the end of every fix


_RULES = {
    "softmax": _Rule(
        "softmax", "backward(probs, grad_out) -> grad_x", "softmax_vjp", softmax_vjp,
        FIX),
    "log_softmax": _Rule(
        "log_softmax", "backward(probs, grad_out) -> grad_x", "log_softmax_vjp",
        log_softmax_vjp,
        "the right rule is grad_x = g - s * g.sum(axis, keepdims=True)"),
    "cross_entropy": _Rule(
        "cross_entropy", "backward(logits, targets) -> grad_logits",
        "cross_entropy_grad", _cross_entropy_right,
        "the right rule is grad_logits = (softmax(logits) - targets) / N, with N the "
        "number of rows"),
}


def _probes(rule: str = "softmax", shapes: Optional[Sequence[tuple[int, int]]] = None,
            seed: int = 2024) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The probe inputs for ``rule``, by name: ``(probs, grad_out)`` or ``(logits,
    targets)``. With ``shapes``, one random probe of each shape instead (for tests)."""
    rng = np.random.default_rng(seed)
    if rule == "cross_entropy":
        if shapes is None:
            shapes = [(3, 5), (4, 4), (6, 5)]
            names = ["batch != classes (3 x 5)", "batch == classes (4 x 4)",
                     "another batch size (6 x 5)"]
        else:
            names = [f"random #{i} ({b} x {n})" for i, (b, n) in enumerate(shapes)]
        out = {}
        for name, (b, n) in zip(names, shapes):
            logits = 2 * rng.standard_normal((b, n))
            out[name] = (logits, np.eye(n)[rng.integers(0, n, b)])
        return out
    if shapes is not None:
        return {f"random #{i} ({b} x {n})": (softmax(rng.standard_normal((b, n))),
                                             rng.standard_normal((b, n)))
                for i, (b, n) in enumerate(shapes)}
    wide = softmax(rng.standard_normal((3, 5)))
    square = softmax(rng.standard_normal((4, 4)))
    return {
        "batch != classes (3 x 5)": (wide, rng.standard_normal((3, 5))),
        "batch == classes (4 x 4)": (square, rng.standard_normal((4, 4))),
        "grad_out of ones (3 x 5)": (wide, np.ones((3, 5))),
    }


# --- the families of mistakes -----------------------------------------------------------

@dataclass(frozen=True)
class _Family:
    """A mistake recognised by its values: ``candidate(a, b)`` computes what such code
    returns on a probe (it may raise, as the mistaken code does)."""

    name: str
    candidate: Callable[[np.ndarray, np.ndarray], np.ndarray]
    why: str
    hint: str = ""


def _rowsum(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=-1, keepdims=True)


_THREADS = tuple(_Family(m.name, m.backward, m.why) for m in KNOWN_MISTAKES)

_KEEPDIMS_WHY = (
    "it sums over the classes without keepdims=True, so the (batch,) row sums "
    "broadcast along the classes instead of down the rows: numpy raises when batch != "
    "classes, and when they are equal each entry silently gets another row's sum")
_KEEPDIMS_HINT = "keep the summed axis (keepdims=True)"

_FAMILIES: dict[str, tuple[_Family, ...]] = {
    "softmax": _THREADS + (
        _Family(
            "missing_keepdims", lambda s, g: s * (g - (g * s).sum(axis=-1)),
            _KEEPDIMS_WHY, _KEEPDIMS_HINT),
        _Family(
            "wrong_axis", lambda s, g: s * (g - (g * s).sum(axis=0, keepdims=True)),
            "it sums g * s along the batch axis (axis 0) instead of the classes: the "
            "inner product <g, s> runs over one row, one distribution, so this mixes "
            "different samples",
            "sum along the classes (the softmax axis, axis=-1)"),
        _Family(
            "off_diagonal_only", lambda s, g: -s * (_rowsum(g * s) - g * s),
            "it keeps only the off-diagonal terms -s_i s_j of the Jacobian and drops the "
            "diagonal s_i (1 - s_i): each probability depends on its own logit too",
            "put the diagonal terms back"),
        _Family(
            "identity", lambda s, g: g,
            "it returns grad_out unchanged, as if softmax were the identity: the softmax "
            "Jacobian is missing from the chain rule",
            "multiply grad_out by the softmax Jacobian (a vector-Jacobian product)"),
        _Family(
            "log_softmax_rule", lambda s, g: g - s * _rowsum(g),
            "it is log_softmax's backward rule applied to softmax: log_softmax's Jacobian "
            "is I - 1 s^T, softmax's is a different matrix",
            "use softmax's Jacobian, not log_softmax's"),
    ),
    "log_softmax": (
        _Family(
            "transposed_jacobian", lambda s, g: g - _rowsum(g * s),
            "it multiplies by the transposed Jacobian: it computes J g = g - <g, s> (the "
            "same number subtracted from every entry) where backpropagation needs g^T J; "
            "log_softmax's Jacobian I - 1 s^T is not symmetric, so the two differ (for "
            "softmax they would not)",
            "multiply from the left, g^T J"),
        _Family(
            "softmax_rule", lambda s, g: s * (g - _rowsum(g * s)),
            "it is softmax's backward rule applied to log_softmax: here grad_out is the "
            "gradient with respect to log_softmax(x), whose Jacobian I - 1 s^T differs "
            "from softmax's",
            "use log_softmax's Jacobian, not softmax's"),
        _Family(
            "diagonal_only", lambda s, g: (1 - s) * g,
            "it multiplies g by 1 - s, the diagonal of log_softmax's Jacobian only, and "
            "drops the off-diagonal terms -s_j: each logit moves every log-probability "
            "(through the log-sum-exp), not just its own",
            "put the off-diagonal terms back"),
        _Family(
            "off_diagonal_only", lambda s, g: -s * (_rowsum(g) - g),
            "it keeps only the off-diagonal terms -s_j of the Jacobian I - 1 s^T and "
            "drops the diagonal 1 - s_i: each log-probability depends on its own logit "
            "too",
            "put the diagonal terms back"),
        _Family(
            "identity", lambda s, g: g,
            "it returns grad_out unchanged, as if log_softmax were the identity: the "
            "log-sum-exp that log_softmax subtracts depends on every logit too",
            "multiply grad_out by log_softmax's Jacobian (a vector-Jacobian product)"),
        _Family(
            "summed_jacobian_rows", lambda s, g: np.zeros_like(g),
            "it returns zeros whatever g is, as summing each row of the Jacobian and "
            "multiplying by g entry-wise does: every row of I - 1 s^T sums to 0 because "
            "the probabilities sum to 1",
            "compute the vector-Jacobian product g^T J"),
        _Family(
            "missing_keepdims", lambda s, g: g - s * g.sum(axis=-1),
            _KEEPDIMS_WHY, _KEEPDIMS_HINT),
        _Family(
            "wrong_axis", lambda s, g: g - s * g.sum(axis=0, keepdims=True),
            "it sums g along the batch axis (axis 0) instead of the classes: the sum runs "
            "over one row, one distribution, so this mixes different samples",
            "sum along the classes (the softmax axis, axis=-1)"),
        _Family(
            "flattened_batch_jacobian", lambda s, g: g - s * g.sum(),
            "it sums g over the whole batch, as one Jacobian for the batch flattened into "
            "a single vector does: that couples different rows (log_softmax never does); "
            "log_softmax has one n x n block per row",
            "sum along the classes of each row only"),
    ),
    "cross_entropy": (
        _Family(
            "grad_wrt_probs", lambda x, t: -t / softmax(x) / x.shape[0],
            "it returns -t / (N s), the gradient with respect to the probabilities "
            "s = softmax(logits), where the gradient with respect to the logits was "
            "asked: the softmax's Jacobian has yet to be multiplied in",
            "chain it through softmax's backward"),
        _Family(
            "grad_wrt_probs", lambda x, t: -t / softmax(x),
            "it returns -t / s, the gradient of the summed loss with respect to the "
            "probabilities s = softmax(logits), where the gradient of the batch mean "
            "with respect to the logits was asked: the softmax's Jacobian has yet to be "
            "multiplied in, and the mean's 1/N is missing",
            "chain it through softmax's backward, and divide by N"),
        _Family(
            "diagonal_only", lambda x, t: -t * (1 - softmax(x)) / x.shape[0],
            "it chains dL/ds = -t / (N s) through the diagonal s(1 - s) of the softmax "
            "Jacobian only, which gives -t (1 - s) / N (the element-wise chain rule): "
            "the off-diagonal terms -s_i s_j are missing, and every logit moves every "
            "probability",
            "chain through the whole softmax Jacobian (a vector-Jacobian product)"),
        _Family(
            "diagonal_only", lambda x, t: -t * (1 - softmax(x)),
            "it chains dL/ds = -t / s through the diagonal s(1 - s) of the softmax "
            "Jacobian only, which gives -t (1 - s) (the element-wise chain rule, thread "
            "002): the off-diagonal terms -s_i s_j are missing, and so is the mean's 1/N",
            "chain through the whole softmax Jacobian, and divide by N"),
        _Family(
            "grad_wrt_log_probs", lambda x, t: -t / x.shape[0],
            "it returns -t / N, the gradient with respect to the log-probabilities "
            "log_softmax(logits), where the gradient with respect to the logits was "
            "asked: log_softmax's backward has yet to be applied",
            "chain it through log_softmax's backward"),
        _Family(
            "summed_jacobian_rows", lambda x, t: np.zeros_like(x),
            "it returns zeros, as chaining through the softmax Jacobian's row sums does "
            "(each row of the Jacobian sums to 0)",
            "chain through the softmax Jacobian as a vector-Jacobian product"),
        _Family(
            "identity", lambda x, t: (x - t) / x.shape[0],
            "it uses the logits where the probabilities belong, as if softmax were the "
            "identity",
            "take the softmax of the logits first"),
        _Family(
            "wrong_axis", lambda x, t: (softmax(x, axis=0) - t) / x.shape[0],
            "it takes the softmax along the batch axis (axis 0) instead of the classes: "
            "each row of logits is one distribution",
            "take the softmax along the classes (axis=-1)"),
    ),
}

# Mistakes that are the right rule times a factor c: (name, c on a probe with `rows` rows
# and `n` classes, for which rules).
_FACTORS = (
    ("sign_flipped", lambda rows, n: -1.0, RULES),
    ("extra_1_over_n", lambda rows, n: 1.0 / rows, RULES),
    ("missing_1_over_n", lambda rows, n: float(rows), RULES),
    ("one_over_classes", lambda rows, n: rows / n, ("cross_entropy",)),
)

_FACTOR_WHY = {
    "sign_flipped": (
        "it returns minus the correct gradient: a step along it would increase the loss "
        "(the minus sign belongs to the update, x -= lr * grad, not to the gradient)",
        "remove the extra minus sign"),
    "extra_1_over_n": {
        "cross_entropy": (
            "it divides by the batch size N twice: it is 1/N times the correct gradient "
            "on every probe, and the gradient of the batch mean has one 1/N only",
            "divide by N once"),
        None: (
            "it divides by the batch size N: it is 1/N times the correct gradient on every "
            "probe; a node's backward rule has no 1/N (a mean loss's 1/N is already in "
            "grad_out)",
            "remove the division by N"),
    },
    "missing_1_over_n": {
        "cross_entropy": (
            "it is N times the correct gradient (N the batch size) on every probe: the "
            "gradient of the summed loss, without the 1/N of the batch mean",
            "divide by N, the number of rows"),
        None: (
            "it is N times the correct gradient (N the batch size) on every probe: "
            "it multiplies by the batch size somewhere (a node's backward rule has no "
            "batch factor)",
            "remove the factor N"),
    },
    "one_over_classes": (
        "it divides by the number of classes where the mean needs the number of rows N: "
        "it is N/n times the correct gradient on every probe",
        "divide by the number of rows, not of classes"),
}


# --- running the learner's code ---------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    """What a rule did on one probe: ``kind`` is ``"ok"`` (``value`` holds the array),
    ``"raised"``, ``"none"`` (returned None) or ``"not an array"``; ``error`` says why."""

    kind: str
    value: Optional[np.ndarray] = None
    error: Optional[BaseException] = None


def _run(backward: Callable, a: np.ndarray, b: np.ndarray) -> _Outcome:
    try:  # copies: a learner's code may write into its inputs
        with np.errstate(all="ignore"):  # NaN or inf in the result is reported instead
            result = backward(a.copy(), b.copy())
    except Exception as exc:  # a learner's exception is reported, never raised through
        return _Outcome("raised", error=exc)
    if result is None:
        return _Outcome("none")
    try:
        return _Outcome("ok", value=to_array(result))
    except TypeError as exc:
        return _Outcome("not an array", error=exc)


def _agree(theirs: _Outcome, other: _Outcome) -> bool:
    """Both raised, or both returned arrays of one shape that agree at the precision of
    ``theirs``."""
    if other.kind == "raised" or theirs.kind == "raised":
        return other.kind == theirs.kind
    if theirs.kind != "ok" or other.kind != "ok" or theirs.value.shape != other.value.shape:
        return False
    rtol, atol = tolerance(precision_of(theirs.value))
    return compare(theirs.value, other.value, rtol, atol).ok


# --- the verdict ------------------------------------------------------------------------

def diagnose(backward: Callable[[np.ndarray, np.ndarray], object],
             rule: str = "softmax") -> Diagnosis:
    """Check a backward rule, and name its mistake if it makes a known one.

    Parameters
    ----------
    backward : callable
        For ``rule="softmax"``: ``backward(probs, grad_out) -> grad_x`` with
        ``grad_out = ∂L/∂softmax(x)``. For ``"log_softmax"``: the same, with
        ``grad_out = ∂L/∂log_softmax(x)``. For ``"cross_entropy"``:
        ``backward(logits, targets) -> ∂L/∂logits`` for the batch mean of
        ``-Σ t log softmax(logits)``, ``targets`` one-hot. Arguments are float64 arrays
        of shape ``(batch, classes)``, softmax along the last axis (fresh copies on each
        call). It may return an array of any float dtype, a nested list, or a PyTorch
        tensor.
    rule : {"softmax", "log_softmax", "cross_entropy"}
        Which rule ``backward`` implements.

    Returns
    -------
    Diagnosis
        ``.ok``, ``.mistake`` (``None``, a family's identifier, or ``"unknown"``) and
        ``.message`` (also its repr). Exceptions raised by ``backward``, a ``None`` or
        non-numeric result and a wrong shape are reported in it, never raised.

    Raises
    ------
    TypeError
        If ``backward`` is not callable (the result passed instead of the function).
    ValueError
        If ``rule`` is not one of :data:`RULES`.

    Notes
    -----
    The mistakes it names (``.mistake``), by rule:

    * every rule: ``sign_flipped``, ``extra_1_over_n`` (a 1/N too many: twice for
      the fused loss), ``missing_1_over_n``, ``constant_factor`` (any other constant,
      e.g. a forgotten temperature), ``wrong_axis``, ``identity``,
      ``summed_jacobian_rows`` (zeros whatever the input);
    * ``softmax``: the threads' ``diagonal_only`` (also the element-wise chain rule),
      ``flattened_batch_jacobian``, ``flattened_jacobian_row_sums``,
      ``identity_sized_by_batch``; and ``missing_keepdims``, ``off_diagonal_only``,
      ``log_softmax_rule``;
    * ``log_softmax``: ``transposed_jacobian``, ``softmax_rule``, ``diagonal_only``,
      ``off_diagonal_only``, ``missing_keepdims``, ``flattened_batch_jacobian``;
    * ``cross_entropy``: ``grad_wrt_probs``, ``grad_wrt_log_probs``, ``diagonal_only``
      (the diagonal-only chain through the probabilities), ``one_over_classes``.

    Examples
    --------
    >>> import smgrad
    >>> print(smgrad.diagnose(smgrad.softmax_vjp))
    correct: matches softmax_vjp on all 3 probes (within rtol=1e-05, atol=1e-08)
    >>> smgrad.diagnose(lambda s, g: s * (1 - s) * g).mistake
    'diagonal_only'
    >>> smgrad.diagnose(lambda x, t: smgrad.softmax(x) - t, rule="cross_entropy").mistake
    'missing_1_over_n'
    """
    if not isinstance(rule, str) or rule not in _RULES:
        raise ValueError(f"rule={rule!r} is not one of {', '.join(map(repr, RULES))}")
    if not callable(backward):
        raise TypeError(f"backward is {kind_of(backward)}, not a function; pass the "
                        f"function itself, {_RULES[rule].contract}")
    return _autograd_functions.judge(
        backward, rule, judge_rule=lambda fn: _judge(fn, rule, _probes(rule)),
        refuse=_refused)


def _refused(rule: str, problem: "_autograd_functions.Problem") -> Diagnosis:
    """The verdict on a custom Function whose forward (or whose backward's result) is not
    what autograd needs: no named mistake (see :mod:`smgrad._autograd_functions`)."""
    where = "" if problem.dtype == "float64" else f" (in {problem.dtype})"
    explanation = f"{problem.explanation}{where}"
    stop = "" if explanation.endswith(("?", ".")) else "."
    return Diagnosis(False, "unknown", f"wrong: {explanation}{stop}\nFix: {problem.fix}", rule,
                     explanation, problem.fix, problem.symptom)


def _judge(backward: Callable, rule_name: str,
           probes: dict[str, tuple[np.ndarray, np.ndarray]]) -> Diagnosis:
    rule = _RULES[rule_name]
    theirs = {name: _run(backward, *args) for name, args in probes.items()}
    right = {name: _Outcome("ok", value=rule.right(*args)) for name, args in probes.items()}
    if all(_agree(theirs[name], right[name]) for name in probes):
        dtype = least_precise(*(precision_of(o.value) for o in theirs.values()))
        rtol, atol = tolerance(dtype)
        precision = "" if dtype == np.float64 else f", the tolerance for {dtype} results"
        message = (f"correct: matches {rule.reference} on all {len(probes)} probes "
                   f"(within rtol={rtol:.2g}, atol={atol:.2g}{precision})")
        return Diagnosis(True, None, message, rule_name, message)
    for family in _FAMILIES[rule_name]:
        if all(_agree(theirs[name], _run(family.candidate, *args))
               for name, args in probes.items()):
            return _named(rule, family.name, family.why, family.hint)
    factor = _factor_mistake(rule, theirs, right, probes)
    if factor is not None:
        return factor
    return _unknown(rule, theirs, right)


def _named(rule: _Rule, name: str, why: str, hint: str) -> Diagnosis:
    explanation = f"this is the known mistake '{name}': {why}"
    fix = f"{hint}; {rule.formula}" if hint else rule.formula
    return Diagnosis(False, name, f"wrong: {explanation}.\nFix: {fix}", rule.name,
                     explanation, fix)


def _factor_mistake(rule: _Rule, theirs: dict[str, _Outcome], right: dict[str, _Outcome],
                    probes: dict) -> Optional[Diagnosis]:
    """The right rule times a factor c (per probe), named when c follows a pattern."""
    factors, shapes = {}, {}
    for name in probes:
        mine, r = theirs[name], right[name].value
        if mine.kind != "ok" or mine.value.shape != r.shape:
            return None
        v = mine.value.astype(np.float64)
        if not np.all(np.isfinite(v)):
            return None
        rtol, atol = tolerance(precision_of(mine.value))
        shapes[name] = r.shape
        if np.max(np.abs(r), initial=0.0) > 10 * atol:
            c = float(np.vdot(v, r) / np.vdot(r, r))
            if not compare(v, c * r, rtol, atol * max(1.0, abs(c))).ok:
                return None
            factors[name] = c
    if not factors:
        return None
    biggest = max(1.0, *(abs(c) for c in factors.values()))
    for name in probes:  # where the right answer is zero, so must theirs be
        if name not in factors:
            rtol, atol = tolerance(precision_of(theirs[name].value))
            if np.max(np.abs(theirs[name].value), initial=0.0) > atol * biggest:
                return None
    dtype = least_precise(*(precision_of(theirs[name].value) for name in probes))
    slack = 4 * tolerance(dtype)[0]      # c is known to about the rtol of the result

    def follows(pattern) -> bool:
        return all(abs(c - pattern(*shapes[name])) <= slack * abs(pattern(*shapes[name]))
                   for name, c in factors.items())

    for name, pattern, rules in _FACTORS:
        if rule.name not in rules:
            continue
        for sign in ((1.0,) if name == "sign_flipped" else (1.0, -1.0)):
            if follows(lambda rows, n: sign * pattern(rows, n)):
                why, hint = _factor_text(name, rule.name)
                if sign < 0:
                    why += ", and its sign is flipped"
                    hint += ", and the extra minus sign"
                return _named(rule, name, why, hint)
    values = list(factors.values())
    c = float(np.mean(values))
    if all(abs(v - c) <= slack * abs(c) for v in values) and abs(c) > 0 \
            and abs(c - 1) > slack:
        text = f"{c:.3g}" if float(f"{c:.3g}") != 1 else f"{c:.6g}"
        why = (f"it is {text} times the correct gradient on every probe: a constant factor "
               f"crept in or went missing, such as a temperature (the gradient of "
               f"softmax(x / T) carries a factor 1/T) or a learning rate")
        return _named(rule, "constant_factor", why,
                      f"find where the factor {text} comes from and remove it")
    return None


def _factor_text(name: str, rule: str) -> tuple[str, str]:
    text = _FACTOR_WHY[name]
    if isinstance(text, dict):
        text = text.get(rule, text[None])
    return text


def _unknown(rule: _Rule, theirs: dict[str, _Outcome], right: dict[str, _Outcome]
             ) -> Diagnosis:
    lines, plain = [], []        # plain: without expected values, for a learner
    worst = None
    kinds = set()
    for name, outcome in theirs.items():
        expected = right[name].value
        if outcome.kind == "raised":
            kinds.add("raised")
            exc = outcome.error
            line = f"on probe '{name}' it raised {type(exc).__name__}: {exc}"
            lines.append(line)
            plain.append(line)
        elif outcome.kind == "none":
            kinds.add("returned None")
            line = (f"on probe '{name}' it returned None, not the gradient: is a "
                    f"`return` missing?")
            lines.append(line)
            plain.append(line)
        elif outcome.kind == "not an array":
            kinds.add("wrong type")
            line = f"on probe '{name}' it {outcome.error}"
            lines.append(line)
            plain.append(line)
        elif outcome.value.shape != expected.shape:
            kinds.add("wrong shape")
            lines.append(f"on probe '{name}' it returned shape {outcome.value.shape}, "
                         f"expected {expected.shape}")
            plain.append(f"on probe '{name}' it returned shape {outcome.value.shape} "
                         f"for inputs of shape {expected.shape}; it should return one "
                         f"entry per input entry")
        elif not np.all(np.isfinite(outcome.value)):
            kinds.add("not finite")
            bad = np.unravel_index(int(np.flatnonzero(~np.isfinite(outcome.value))[0]),
                                   expected.shape)
            where = tuple(int(i) for i in bad)
            got = float(outcome.value[where])
            lines.append(f"on probe '{name}' it returned {got} at index {where} "
                         f"(expected {float(expected[where]):.4f})")
            plain.append(f"on probe '{name}' it returned {got} at index {where}")
        else:
            rtol, atol = tolerance(precision_of(outcome.value))
            found = compare(outcome.value, expected, rtol, atol)
            if not found.ok:
                kinds.add("wrong values")
                if worst is None or found.max_abs_error > worst[0].max_abs_error:
                    worst = (found, name)
    if worst is not None:
        found, name = worst
        lines.append(f"largest error {found.max_abs_error:.3g} on probe '{name}' at index "
                     f"{found.where} (expected {found.expected:.4f}, got "
                     f"{found.actual:.4f})")
        plain.append(f"the largest error is on probe '{name}' at index {found.where}")
    if kinds == {"returned None"}:
        symptom = "returned None"
    else:
        order = ("wrong type", "wrong shape", "raised", "returned None", "not finite",
                 "wrong values")
        symptom = next((k for k in order if k in kinds), "wrong values")
    head = "wrong in a way not on the list of known mistakes:"
    message = "\n".join([head] + [f"  {line}" for line in lines] + [f"Fix: {rule.formula}"])
    explanation = "\n".join([head] + [f"  {line}" for line in plain])
    return Diagnosis(False, "unknown", message, rule.name, explanation, rule.formula,
                     symptom)


# --- the command line -------------------------------------------------------------------

class _CannotRun(Exception):
    """The file or function cannot be loaded: the command exits 2."""


def _load(target: str) -> Callable:
    path, sep, function = target.rpartition(":")
    if not sep or not path or not function:
        raise _CannotRun(f"{target!r} does not name a function: write "
                         f"path/to/file.py:function")
    if not os.path.isfile(path):
        raise _CannotRun(f"no file {path!r}")
    spec = importlib.util.spec_from_file_location("_smgrad_diagnosed", path)
    if spec is None or spec.loader is None:
        raise _CannotRun(f"{path!r} cannot be imported as Python (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # so that the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        why = (_autograd_functions.missing_framework(exc)
               or f"{type(exc).__name__}: {exc}")
        raise _CannotRun(f"importing {path!r} failed: {why}") from None
    finally:
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
    if not hasattr(module, function):
        defined = sorted(name for name, value in vars(module).items()
                         if callable(value) and not name.startswith("_")
                         and getattr(value, "__module__", None) == module.__name__)
        listing = ", ".join(defined) if defined else "none"
        raise _CannotRun(f"{path!r} has no function {function!r} (functions it defines: "
                         f"{listing})")
    fn = getattr(module, function)
    if not callable(fn):
        raise _CannotRun(f"{function!r} in {path!r} is {kind_of(fn)}, not a function")
    return fn


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line: ``python -m smgrad.diagnose path/to/file.py:function [--rule
    RULE] [--json]``.

    Prints the verdict (``--json``: one JSON object with ``ok``, ``mistake``,
    ``symptom``, ``message``, ``explanation``, ``fix``, ``rule`` and ``target``; when it
    cannot run, ``ok`` false and ``error``) and returns the exit status: 0 right, 1 wrong,
    2 cannot run. What the file prints goes to stderr, so stdout holds only the verdict.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "mine.py")
    >>> with open(path, "w") as f:
    ...     _ = f.write("def backward(s, g):\\n"
    ...                 "    return -s * (g - (g * s).sum(axis=1, keepdims=True))\\n")
    >>> main([path + ":backward"])
    wrong: this is the known mistake 'sign_flipped': it returns minus the correct gradient: a step along it would increase the loss (the minus sign belongs to the update, x -= lr * grad, not to the gradient).
    Fix: remove the extra minus sign; the right rule is grad_x = s * (g - (g * s).sum(axis, keepdims=True))
    1
    >>> main([path + ":forward"])      # says why on stderr: no function 'forward'
    2
    """
    parser = argparse.ArgumentParser(
        prog="python -m smgrad.diagnose",
        description="Check a backward rule and name its mistake. Exit status: 0 right, "
                    "1 wrong, 2 cannot run.")
    parser.add_argument("target", help="path/to/file.py:function")
    parser.add_argument("--rule", choices=RULES, default="softmax",
                        help="the rule the function implements (default: softmax)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):  # the learner's prints stay off stdout
        try:
            diagnosis = diagnose(_load(args.target), rule=args.rule)
        except _CannotRun as exc:
            diagnosis = exc
    if isinstance(diagnosis, _CannotRun):
        if args.json:
            print(json.dumps({"target": args.target, "rule": args.rule, "ok": False,
                              "error": str(diagnosis)}))
        else:
            print(f"cannot run: {diagnosis}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"target": args.target, "rule": diagnosis.rule,
                          "ok": diagnosis.ok, "mistake": diagnosis.mistake,
                          "symptom": diagnosis.symptom, "message": diagnosis.message,
                          "explanation": diagnosis.explanation, "fix": diagnosis.fix}))
    else:
        print(diagnosis.message)
    return 0 if diagnosis.ok else 1


class _CallableModule(type(sys)):
    """``smgrad.diagnose`` is this module, and calling it calls :func:`diagnose`.

    So the public name never hides a module (``import smgrad.diagnose as m; m.Diagnosis``
    works), ``smgrad.diagnose(fn)`` reads as a verb, and ``python -m smgrad.diagnose``
    runs :func:`main`."""

    def __call__(self, *args, **kwargs) -> Diagnosis:
        return diagnose(*args, **kwargs)


if __name__ == "__main__":
    # Run by `python -m smgrad.diagnose`: the package has already imported this file as
    # smgrad.diagnose; use that module's main, so that there is one Diagnosis class.
    sys.exit(importlib.import_module("smgrad.diagnose").main())

sys.modules[__name__].__class__ = _CallableModule
