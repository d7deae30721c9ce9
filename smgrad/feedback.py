"""Feedback on a learner's answer to an exercise, for the book's check cells.

Each function returns a :class:`Feedback`, whose ``repr`` is one readable message, so a
check cell simply ends with the call::

    feedback.check_value(grad_s1_x3, expected, name="grad_s1_x3")

The message says one of: not attempted yet (the answer is still ``...``, or the function
still has ``...`` as its body), a wrong type or shape (with the shape and kind of value
expected), wrong (naming the mistake where it is a known one, else where the values are
wrong), or right. Feedback never shows the solution: no expected value, no fix.

Answers are judged at their own precision: a float32 or float16 answer is compared with
the tolerance of its dtype (:mod:`smgrad._compare`), a float64 one with
``rtol=1e-5, atol=1e-8``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional

import numpy as np

from . import diagnosis as _diagnose
from ._compare import compare, kind_of, least_precise, precision_of, to_array, tolerance
from .printing import WrappedRepr

__all__ = ["Feedback", "STATUSES", "check_value", "check_backward", "check_function"]

#: Every :attr:`Feedback.status`.
STATUSES = ("not attempted", "wrong type", "wrong shape", "wrong", "right")


@dataclass(frozen=True, repr=False)
class Feedback(WrappedRepr):
    """The verdict on one answer.

    Its ``repr`` is the message wrapped to fit a page, so that a check cell shows it by
    ending with the call; it is truthy when the answer is right.

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`: ``"not attempted"``, ``"wrong type"``,
        ``"wrong shape"``, ``"wrong"`` or ``"right"``.
    message : str
        What to tell the learner (also the ``repr``): it starts with the answer's name.
    name : str
        The answer's name.
    mistake : str or None
        The mistake recognised, when ``status == "wrong"`` and it is a known one: the
        description given to :func:`check_value`, or the family from
        :func:`smgrad.diagnose`.

    Examples
    --------
    >>> from smgrad import feedback
    >>> fb = feedback.check_value(..., 0.5, name="p")
    >>> fb.status
    'not attempted'
    >>> fb
    p: not attempted yet (replace the ... with your answer)
    """

    status: str
    message: str
    name: str = ""
    mistake: Optional[str] = None

    def __bool__(self) -> bool:
        return self.status == "right"


def _not_attempted(name: str, what: str = "your answer") -> Feedback:
    return Feedback("not attempted", f"{name}: not attempted yet (replace the ... with "
                                     f"{what})", name)


def _describe_expected(expected: np.ndarray) -> str:
    kind = {"f": "floats", "i": "integers", "u": "integers", "b": "booleans"}.get(
        expected.dtype.kind, "numbers")
    if expected.ndim == 0:
        return "a single number" if kind != "booleans" else "a single boolean"
    return f"an array of {kind} of shape {expected.shape}"


def _judge_value(answer: object, expected: object, name: str,
                 mistakes: Optional[Mapping[str, object]] = None,
                 context: str = "") -> Feedback:
    """The feedback on ``answer`` against ``expected``; ``context`` ends the subject of
    each message (``"softmax_t(...) on example 2"``)."""
    subject = f"{name}{context}"
    expected_arr = to_array(expected)
    wanted = _describe_expected(np.asarray(expected))
    try:
        arr = to_array(answer)
    except TypeError:
        return Feedback("wrong type", f"{subject}: wrong type: expected {wanted}, got "
                                      f"{kind_of(answer)}", name)
    if arr.shape != expected_arr.shape:
        got = "a single number" if arr.ndim == 0 else f"shape {arr.shape}"
        return Feedback("wrong shape", f"{subject}: wrong shape: expected {wanted}, got "
                                       f"{got}", name)
    rtol, atol = tolerance(least_precise(precision_of(arr), expected_arr.dtype))
    found = compare(arr, expected_arr, rtol, atol)
    if found.ok:
        return Feedback("right", f"{subject}: right", name)
    for description, wrong in (mistakes or {}).items():
        try:
            wrong_arr = to_array(wrong)
        except TypeError:
            continue
        if wrong_arr.shape == arr.shape and compare(arr, wrong_arr, rtol, atol).ok:
            return Feedback("wrong", f"{subject}: wrong: {description}", name,
                            mistake=description)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.unravel_index(
            int(np.flatnonzero(~np.isfinite(arr))[0]), arr.shape))
        where = f" at index {bad}" if arr.ndim else ""
        return Feedback("wrong", f"{subject}: wrong: it holds {float(arr[bad])}{where}",
                        name)
    if arr.ndim == 0:
        return Feedback("wrong", f"{subject}: wrong value", name)
    return Feedback("wrong", f"{subject}: wrong values: {found.wrong_count} of "
                             f"{arr.size} entries are wrong, the first at index "
                             f"{found.first_wrong}", name)


def check_value(answer: object, expected: object, name: str = "grad_s1_x3",
                mistakes: Optional[Mapping[str, object]] = None) -> Feedback:
    """Feedback on a value the learner computed.

    Parameters
    ----------
    answer : array_like, number or Ellipsis
        The learner's answer; ``...`` (the learner edition's stub) means not attempted.
    expected : array_like or number
        The right value. It is never shown.
    name : str
        What the answer is called in the exercise.
    mistakes : dict, optional
        ``{"description of a mistake": value}``: when ``answer`` equals one of these
        values the feedback says ``wrong: <description>``. Write descriptions that
        name the mistake without giving the solution.

    Returns
    -------
    Feedback
        ``"not attempted"``, ``"wrong type"`` or ``"wrong shape"`` (saying what kind of
        value and shape is expected), ``"wrong"`` (the mistake's description, or how
        many entries are wrong and the first one's index) or ``"right"``.

    Examples
    --------
    >>> import numpy as np
    >>> from smgrad import feedback
    >>> expected = np.array([0.1, -0.1])
    >>> feedback.check_value(np.array([0.1, -0.1]), expected, name="grad")
    grad: right
    >>> feedback.check_value(np.array([0.1, 0.1]), expected, name="grad",
    ...                      mistakes={"the sign of the second entry is flipped":
    ...                                np.array([0.1, 0.1])})
    grad: wrong: the sign of the second entry is flipped
    >>> feedback.check_value([0.1, 0.2], expected, name="grad")
    grad: wrong values: 1 of 2 entries are wrong, the first at index (1,)
    >>> feedback.check_value(np.zeros(3), expected, name="grad")
    grad: wrong shape: expected an array of floats of shape (2,), got shape (3,)
    """
    if answer is Ellipsis:
        return _not_attempted(name)
    return _judge_value(answer, expected, name, mistakes)


def _is_stub(fn: Callable, args: tuple) -> Optional[bool]:
    """True when ``fn(*args)`` returns None (a body of ``...``)."""
    try:
        with np.errstate(all="ignore"):  # a learner's overflow is not this probe's business
            return fn(*_copies(args)) is None
    except Exception:
        return False


def _copies(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _not_a_function(name: str, fn: object, signature: str) -> Feedback:
    return Feedback("wrong type", f"{name}: wrong type: expected a function "
                                  f"{signature}, got {kind_of(fn)}", name)


def check_backward(fn: object, rule: str = "softmax", name: str = "my_backward"
                   ) -> Feedback:
    """Feedback on a backward rule the learner wrote, from :func:`smgrad.diagnose`.

    Parameters
    ----------
    fn : callable or Ellipsis
        ``fn(probs, grad_out) -> grad_x`` (``rule`` ``"softmax"`` or
        ``"log_softmax"``) or ``fn(logits, targets) -> grad_logits``
        (``"cross_entropy"``). A function whose body is still ``...`` (it returns
        None) is not attempted.
    rule : {"softmax", "log_softmax", "cross_entropy"}
        The rule it should implement (see :func:`smgrad.diagnose`).
    name : str
        The function's name in the exercise.

    Returns
    -------
    Feedback
        ``"right"``; ``"wrong"`` naming the mistake when diagnose recognises it (what
        the code does and why it is wrong, never the fix), or saying what went wrong;
        ``"wrong shape"`` or ``"wrong type"`` for results that are not a gradient of the
        inputs' shape; ``"not attempted"``.

    Examples
    --------
    >>> import smgrad
    >>> from smgrad import feedback
    >>> def my_backward(probs, grad_out):
    ...     ...
    >>> feedback.check_backward(my_backward)
    my_backward: not attempted yet (replace the ... with your code, and return the
      result)
    >>> feedback.check_backward(smgrad.softmax_vjp, name="vjp")
    vjp: right
    >>> fb = feedback.check_backward(lambda s, g: -smgrad.softmax_vjp(s, g), name="vjp")
    >>> fb.status, fb.mistake
    ('wrong', 'sign_flipped')
    """
    if rule not in _diagnose.RULES:
        raise ValueError(f"rule={rule!r} is not one of "
                         f"{', '.join(map(repr, _diagnose.RULES))}")
    signature = ("fn(logits, targets) -> grad_logits" if rule == "cross_entropy"
                 else "fn(probs, grad_out) -> grad_x")
    if fn is Ellipsis:
        return _not_attempted(name, "your code")
    if not callable(fn):
        return _not_a_function(name, fn, signature)
    verdict = _diagnose.diagnose(fn, rule=rule)
    if verdict.ok:
        return Feedback("right", f"{name}: right", name)
    if verdict.symptom == "returned None":
        return _not_attempted(name, "your code, and return the result")
    if verdict.mistake != "unknown":
        return Feedback("wrong", f"{name}: {verdict.message}", name,
                        mistake=verdict.mistake)
    status = {"wrong type": "wrong type", "wrong shape": "wrong shape"}.get(
        verdict.symptom, "wrong")
    return Feedback(status, f"{name}: {verdict.message}", name)


def check_function(fn: object, reference: Callable, examples: Iterable,
                   name: str = "softmax_t") -> Feedback:
    """Feedback on a function the learner wrote, compared with a reference on examples.

    Parameters
    ----------
    fn : callable or Ellipsis
        The learner's function. A function whose body is still ``...`` (it returns None
        on the first example) is not attempted.
    reference : callable
        The right function. Its results are never shown.
    examples : iterable of tuple
        The arguments of each call, ``fn(*args)``; a non-tuple is one argument. Arrays
        are copied for each call, so ``fn`` cannot change them.
    name : str
        What the function is called in the exercise: each message starts with it.

    Returns
    -------
    Feedback
        The first problem found, example by example (an exception is reported, never
        raised), or ``"right"`` when ``fn`` agrees with ``reference`` on every example.

    Examples
    --------
    >>> import numpy as np, smgrad
    >>> from smgrad import feedback
    >>> def softmax_t(x, t):
    ...     return smgrad.softmax(x / t)
    >>> examples = [(np.array([1.0, 2.0]), 2.0), (np.array([[0.0, 3.0]]), 0.5)]
    >>> feedback.check_function(softmax_t, lambda x, t: smgrad.softmax(x / t), examples)
    softmax_t: right
    >>> feedback.check_function(lambda x, t: smgrad.softmax(x * t),
    ...                         lambda x, t: smgrad.softmax(x / t), examples)
    softmax_t on example 1: wrong values: 2 of 2 entries are wrong, the first at
      index (0,)
    """
    examples = [args if isinstance(args, tuple) else (args,) for args in examples]
    if fn is Ellipsis:
        return _not_attempted(name, "your code")
    if not callable(fn):
        return _not_a_function(name, fn, "")
    if examples and _is_stub(fn, examples[0]):
        return _not_attempted(name, "your code, and return the result")
    for number, args in enumerate(examples, start=1):
        context = f" on example {number}" if len(examples) > 1 else ""
        subject = f"{name}{context}"
        try:
            with np.errstate(all="ignore"):
                answer = fn(*_copies(args))
        except Exception as exc:  # reported, never raised through
            return Feedback("wrong", f"{subject}: wrong: it raised {type(exc).__name__}: "
                                     f"{exc} (arguments: {_describe_args(args)})", name)
        if answer is None:
            return Feedback("wrong", f"{subject}: wrong: it returned None: is a `return` "
                                     f"missing?", name)
        verdict = _judge_value(answer, reference(*_copies(args)), name, context=context)
        if verdict.status != "right":
            return verdict
    return Feedback("right", f"{name}: right", name)


def _describe_args(args: tuple) -> str:
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"an array of shape {a.shape}")
        elif isinstance(a, (int, float, np.number)):
            parts.append(repr(a))
        else:
            parts.append(kind_of(a))
    return ", ".join(parts)
