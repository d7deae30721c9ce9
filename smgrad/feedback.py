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

import ast as _ast
import contextlib as _contextlib
import inspect as _inspect
import sys as _sys
import textwrap as _textwrap
import tracemalloc as _tracemalloc
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional

import numpy as np

from . import exercises as _exercises
from ._autograd_functions import FunctionError
from .diagnosis import RULES
from .diagnosis import diagnose as _diagnose
from ._compare import (compare, describe, kind_of, least_precise, precision_of, to_array,
                       tolerance)
from .forward import softmax
from .losses import cross_entropy_grad
from .printing import WrappedRepr

__all__ = ["Feedback", "STATUSES", "check", "check_value", "check_backward",
           "check_function"]

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
        What is recognised, when ``status == "wrong"``: a known mistake's identifier
        (the exercise's, or :func:`smgrad.diagnose`'s catalogue entry), a kind of
        difference (``"sign"``, ``"factor"``, ``"transpose"``, ``"axes"``, ``"shift"``,
        ``"not finite"``), ``"returned None"``, ``"raised"`` or ``"constraint"``; None
        when the values are wrong in no recognised way.
    factor : str or None
        The constant factor the answer is off by, when it is one (``"N (the batch
        size)"``, or diagnose's ``"1/N"``).
    where : tuple or str
        Where it is first wrong, counting from 0: an index, or diagnose's description
        of the probe and index; ``()`` when it does not apply.

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
    factor: Optional[str] = None
    where: object = ()

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
    wrongs = ((description, description, lambda wrong=wrong: to_array(wrong))
              for description, wrong in (mistakes or {}).items())
    return _verdict(arr, expected_arr, subject, name, rtol, atol, wrongs)


def _verdict(arr: np.ndarray, expected: np.ndarray, subject: str, name: str, rtol: float,
             atol: float, wrongs: Iterable, factors: Optional[Mapping[str, float]] = None
             ) -> Feedback:
    """The verdict on an answer already of the expected shape (and type): right where it
    is close to ``expected`` (NaN where ``expected`` has NaN), else the first of ``wrongs``
    it matches, else how it differs (:func:`describe`). Shared by :func:`check_value`'s
    and :func:`check`'s judges, which differ only in how they get there.

    ``wrongs`` yields ``(what to say, mistake, wrong_value)``, ``wrong_value`` a function
    of no argument giving the wrong answer's value (one that raises is passed over).
    """
    if compare(arr, expected, rtol, atol, equal_nan=True).ok:
        return Feedback("right", f"{subject}: right", name)
    for says, mistake, wrong_value in wrongs:
        try:
            with np.errstate(all="ignore"):
                wrong = np.asarray(wrong_value(), dtype=np.float64)
        except Exception:  # a wrong answer that cannot be computed here is not matched
            continue
        if wrong.shape == arr.shape and compare(arr, wrong, rtol, atol, equal_nan=True).ok:
            return Feedback("wrong", f"{subject}: wrong: {says}", name, mistake=mistake)
    found = describe(arr, expected, rtol, atol, factors)
    words = found.message if found.message == "wrong value" else f"wrong: {found.message}"
    return Feedback("wrong", f"{subject}: {words}", name,
                    mistake=None if found.kind == "values" else found.kind,
                    factor=found.factor, where=found.where)


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
    grad: wrong: 1 of 2 entries are wrong, the first at index (1,) (indices count
      from 0)
    >>> feedback.check_value(np.zeros(3), expected, name="grad")
    grad: wrong shape: expected an array of floats of shape (2,), got shape (3,)
    """
    if answer is Ellipsis:
        return _not_attempted(name)
    return _judge_value(answer, expected, name, mistakes)


def _copies(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _not_a_function(name: str, fn: object, signature: str) -> Feedback:
    return Feedback("wrong type", f"{name}: wrong type: expected a function "
                                  f"{signature}, got {kind_of(fn)}", name)


def _backward_exercise(rule: str, name: str):
    """An unregistered exercise: ``rule``'s right backward on 2-D probes."""
    if rule == "cross_entropy":
        return _exercises.Exercise(
            key=rule, chapter="", answer=name, skill="", rule=rule,
            reference=lambda logits, targets: cross_entropy_grad(logits, targets),
            probes=_exercises.get("ch2b-ex2").probes[:3])
    return _exercises.Exercise(
        key=rule, chapter="", answer=name, skill="", rule=rule,
        reference=_exercises.get("ch3-ex-vjp" if rule == "softmax"
                                 else "ch3-ex-log-softmax").reference,
        probes=_exercises.get("ch3-ex-vjp").probes)


def check_backward(fn: object, rule: str = "softmax", name: str = "my_backward"
                   ) -> Feedback:
    """Feedback on a backward rule the learner wrote: run on 2-D probes, the mistake
    named from :func:`smgrad.diagnose`'s verdict (its fields; never its fix).

    Parameters
    ----------
    fn : callable or Ellipsis
        ``fn(probs, grad_out) -> grad_x`` (``rule`` ``"softmax"`` or
        ``"log_softmax"``) or ``fn(logits, targets) -> grad_logits``
        (``"cross_entropy"``). A function whose body is still ``...`` is not attempted.
    rule : {"softmax", "log_softmax", "cross_entropy"}
        The rule it should implement (see :func:`smgrad.diagnose`).
    name : str
        The function's name in the exercise.

    Returns
    -------
    Feedback
        ``"right"``; ``"wrong"`` naming the mistake when diagnose recognises it, or
        saying what the values do; ``"wrong shape"`` or ``"wrong type"``; ``"not
        attempted"``.

    Examples
    --------
    >>> import smgrad
    >>> from smgrad import feedback
    >>> def my_backward(probs, grad_out):
    ...     ...
    >>> feedback.check_backward(my_backward)
    my_backward: not attempted yet (replace the ... with your code)
    >>> feedback.check_backward(smgrad.softmax_vjp, name="vjp")
    vjp: right
    >>> fb = feedback.check_backward(lambda s, g: -smgrad.softmax_vjp(s, g), name="vjp")
    >>> fb.status, fb.mistake
    ('wrong', 'sign_flipped')
    """
    if rule not in RULES:
        raise ValueError(f"rule={rule!r} is not one of {', '.join(map(repr, RULES))}")
    return _check_exercise(_backward_exercise(rule, name), fn)


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
    softmax_t on example 0: wrong: 2 of 2 entries are wrong, the first at index (0,)
      (indices count from 0)
    """
    examples = [args if isinstance(args, tuple) else (args,) for args in examples]
    if fn is Ellipsis:
        return _not_attempted(name, "your code")
    if not callable(fn):
        return _not_a_function(name, fn, "")
    if _body_is_ellipsis(fn):   # the learner edition's stub, read, not run
        return _not_attempted(name, "your code, and return the result")
    for number, args in enumerate(examples):
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


# --- check(key, answer): the exercises' one check ------------------------------------------

def check(key: str, answer: object) -> Feedback:
    """Feedback on the learner's answer to the exercise registered as ``key``.

    The exercise's contract and reference live in :mod:`smgrad.exercises`; a check
    cell names only the exercise and the answer, and its message never shows the
    reference or a fix.

    Parameters
    ----------
    key : str
        The exercise's label, ``"ch5-ex1"``.
    answer : object
        The learner's answer: a value, or a function (called on every probe of the
        contract). ``...`` (the learner edition's stub), and a function whose body is
        still ``...``, are not attempted.

    Returns
    -------
    Feedback
        ``"not attempted"``; ``"wrong type"`` (saying what is asked, the dtype
        included); ``"wrong shape"``; ``"wrong"`` (the probe, and what the answer does:
        a known mistake, a flipped sign, a constant factor, swapped axes, an index off
        by one, a broken constraint, or where it is wrong, counting from 0); ``"right"``.

    Examples
    --------
    >>> import numpy as np
    >>> from smgrad import feedback
    >>> feedback.check("speed-ex1", ...)
    full_bytes: not attempted yet (replace the ... with your answer)
    >>> feedback.check("speed-ex1", 3600)
    full_bytes: wrong: this counts entries, not bytes
    >>> def stable_logsumexp(x):
    ...     return None
    >>> feedback.check("ch5-ex1", stable_logsumexp)
    stable_logsumexp on logits as large as 1e4 (float32): wrong: it returned None:
      is a `return` missing?
    >>> feedback.check("ch5-ex1", lambda x: np.float16(np.logaddexp.reduce(x)))
    stable_logsumexp on logits as large as 1e4 (float32): wrong type: a float32
      answer is asked, got float16
    """
    return _check_exercise(_exercises.get(key), answer)


def _check_exercise(exercise, answer: object) -> Feedback:
    with np.errstate(all="ignore"):  # the learner's overflow is reported, not warned
        return _check_in_quiet(exercise, answer)


def _check_in_quiet(exercise, answer: object) -> Feedback:
    name = exercise.answer
    if answer is Ellipsis:
        return _not_attempted(name)
    if exercise.is_value:
        return _judge_answer(exercise, answer, exercise.reference(), name, (), {})
    if not callable(answer):
        params = ", ".join(_inspect.signature(exercise.reference).parameters)
        return _not_a_function(name, answer, f"{name}({params})")
    if _body_is_ellipsis(answer):
        return _not_attempted(name, "your code")
    broken = _source_constraints(exercise, answer)
    if broken:
        return Feedback("wrong", f"{name}: wrong: {broken}", name, mistake="constraint")
    fn = exercise.adapt(answer) if exercise.adapt else answer
    for probe in exercise.probes:
        subject = f"{name} on {probe.name}"
        verdict = _judge_call(exercise, fn, probe, subject, name)
        if verdict.status != "right":
            return _named_by_diagnose(exercise, fn, verdict, subject, name)
    broken = _run_constraints(exercise, fn)
    if broken:
        return Feedback("wrong", f"{name}: wrong: {broken}", name, mistake="constraint")
    return Feedback("right", f"{name}: right", name)


def _judge_call(exercise, fn: Callable, probe, subject: str, name: str) -> Feedback:
    try:
        with np.errstate(all="ignore"):
            result = fn(*_copies(probe.args))
    except FunctionError as exc:  # a custom Function's forward, or what autograd refuses
        return Feedback("wrong", f"{subject}: wrong: {exc}", name, mistake="function")
    except Exception as exc:  # reported, never raised through
        return Feedback("wrong", f"{subject}: wrong: it raised {type(exc).__name__}: "
                                 f"{exc}", name, mistake="raised")
    if result is None:
        engine = " (or the leaf's .grad is None: did backward() reach it?)" if (
            "engine" in exercise.constraints) else ""
        return Feedback("wrong", f"{subject}: wrong: it returned None: is a `return` "
                                 f"missing?{engine}", name, mistake="returned None")
    with np.errstate(all="ignore"):
        expected = exercise.reference(*_copies(probe.args))
    return _judge_answer(exercise, result, expected, subject, probe.args, probe.factors,
                         name)


def _asked(exercise, answer: object, arr: np.ndarray) -> Optional[str]:
    """What is wrong with the answer's type for the dtype the exercise asks, if anything."""
    if exercise.dtype == "int":
        kind = np.asarray(answer).dtype.kind if not isinstance(answer, (bool, str)) else "b"
        return None if kind in "iu" else f"an int is asked, got {kind_of(answer)}"
    asked = np.dtype(exercise.dtype)
    got = precision_of(arr) if arr.dtype.kind == "f" else np.dtype(np.float64)
    if np.finfo(got).eps > np.finfo(asked).eps:
        return f"a {asked} answer is asked, got {got}"
    return None


def _judge_answer(exercise, answer: object, expected: object, subject: str,
                  args: tuple, factors: Mapping[str, float], name: str = "") -> Feedback:
    name = name or subject
    expected = np.asarray(expected, dtype=np.float64)
    if answer is None:
        return Feedback("wrong", f"{subject}: wrong: it is None: is a `return` missing?",
                        name, mistake="returned None")
    if exercise.dtype == "int" and _asked(exercise, answer, expected):
        return Feedback("wrong type", f"{subject}: wrong type: "
                                      f"{_asked(exercise, answer, expected)}", name)
    try:
        arr = to_array(answer)
    except TypeError:
        return Feedback("wrong type", f"{subject}: wrong type: expected "
                                      f"{_describe_expected(expected)}, got "
                                      f"{kind_of(answer)}", name)
    if exercise.dtype != "int" and arr.shape == expected.shape:
        why = _asked(exercise, answer, arr)
        if why:
            return Feedback("wrong type", f"{subject}: wrong type: {why}", name)
    if arr.shape != expected.shape:
        got = "a single number" if arr.ndim == 0 else f"shape {arr.shape}"
        return Feedback("wrong shape", f"{subject}: wrong shape: expected "
                                       f"{_describe_expected(expected)}, got {got}", name)
    rtol, atol = tolerance(least_precise(precision_of(arr), expected.dtype))
    atol = 0.0 if exercise.relative else atol
    wrongs = ((known.says, known.mistake, lambda known=known: known.answer(*_copies(args)))
              for known in exercise.known)
    return _verdict(arr, expected, subject, name, rtol, atol, wrongs, factors)


def _named_by_diagnose(exercise, fn: Callable, verdict: Feedback, subject: str,
                       name: str) -> Feedback:
    """Where ``diagnose`` recognises the mistake under the exercise's rule, its words
    (read from the verdict's fields; never its fix); else ``verdict``."""
    if exercise.rule is None or verdict.status in ("wrong type",):
        return verdict
    try:
        found = _diagnose(fn, rule=exercise.rule)
    except Exception:
        return verdict
    if found.status != "wrong" or found.mistake in (None, "unknown"):
        return verdict
    words = found.message[len("wrong: "):] if found.message.startswith("wrong: ") \
        else found.message
    return Feedback("wrong", f"{name}: wrong: {words}", name, mistake=found.mistake,
                    factor=found.factor, where=found.where)


# --- constraints ------------------------------------------------------------------------

def _tree_of(fn: Callable) -> Optional[_ast.AST]:
    try:
        return _ast.parse(_textwrap.dedent(_inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None


def _function_node(tree: _ast.AST):
    return next((n for n in _ast.walk(tree)
                 if isinstance(n, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.Lambda))),
                None)


def _body_is_ellipsis(fn: Callable) -> bool:
    """True for the learner edition's stub: a ``def`` whose body is only ``...``; for an
    answer class (a custom autograd Function), every method's body."""
    if isinstance(fn, type):
        methods = [getattr(m, "__func__", m) for m in vars(fn).values()
                   if isinstance(m, (staticmethod, classmethod)) or _inspect.isfunction(m)]
        return bool(methods) and all(map(_body_is_ellipsis, methods))
    tree = _tree_of(fn)
    node = _function_node(tree) if tree is not None else None
    if not isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef)):
        return False
    body = [s for s in node.body if not (isinstance(s, _ast.Expr) and isinstance(
        s.value, _ast.Constant) and isinstance(s.value.value, str))]
    return len(body) == 1 and isinstance(body[0], _ast.Expr) and isinstance(
        body[0].value, _ast.Constant) and body[0].value.value is Ellipsis


_LOOPS = (_ast.For, _ast.AsyncFor, _ast.While, _ast.ListComp, _ast.SetComp,
          _ast.DictComp, _ast.GeneratorExp)
#: Calls that run a Python function once per row or entry: loops the source does not show.
_HIDDEN_LOOPS = ("apply_along_axis", "apply_over_axes", "vectorize", "frompyfunc", "map")
_ENGINE_SHORTCUTS = ("cross_entropy", "log_softmax", "nll_of_probs")


def _source_constraints(exercise, fn: Callable) -> Optional[str]:
    """The first constraint that the function's source breaks, in words: its own source
    and that of the functions it calls which the learner wrote beside it."""
    written = _learner_functions(fn)
    if not written:
        return None
    if "no loop" in exercise.constraints:
        for f, node in written:
            loop = _python_loop(node)
            if loop is not None:
                what, line = loop
                where = "the function" if f is fn else f"`{f.__name__}`, which it calls"
                return (f"it uses a Python loop ({what}, line {line} of {where}); the "
                        f"exercise asks for broadcasting only")
    names = set()
    own = {id(f) for f, _ in written}
    for f, node in written:
        read = {n.id for n in _ast.walk(node) if isinstance(n, _ast.Name)}
        # a helper the learner wrote is theirs whatever its name (their own log_softmax);
        # its body was read above
        read -= {name for name in read
                 if id(getattr(f, "__globals__", {}).get(name)) in own}
        names |= read | _real_names(f, read) | {
            n.attr for n in _ast.walk(node) if isinstance(n, _ast.Attribute)}
    if "no smgrad" in exercise.constraints and "smgrad" in names:
        return "it uses smgrad; the exercise asks for numpy only"
    if "engine" in exercise.constraints:
        used = [s for s in _ENGINE_SHORTCUTS if s in names]
        if used:
            return (f"it calls {used[0]}; the exercise asks you to build the loss from "
                    f"the engine's exp, sum, log and arithmetic")
    return None


def _learner_functions(fn: Callable, most: int = 20) -> list:
    """``(function, its syntax tree)`` for ``fn``, then for each function it calls by a
    global name that was written in ``fn``'s own module (the learner's notebook, not a
    library), and so on: where a constraint can be broken out of ``fn``'s sight."""
    module = getattr(fn, "__module__", None)
    written, seen, todo = [], set(), [fn]
    while todo and len(written) < most:
        f = todo.pop(0)
        if id(f) in seen:
            continue
        seen.add(id(f))
        tree = _tree_of(f)
        node = _function_node(tree) if tree is not None else None
        if node is None:
            continue
        written.append((f, node))
        for name in sorted({n.id for n in _ast.walk(node) if isinstance(n, _ast.Name)}):
            called = getattr(f, "__globals__", {}).get(name)
            if _inspect.isfunction(called) and called.__module__ == module:
                todo.append(called)
    return written


def _python_loop(node: _ast.AST) -> Optional[tuple]:
    """``(what, line)`` of the first Python loop in ``node`` (a loop statement, a
    comprehension, or a call that loops: ``np.apply_along_axis``, ``np.vectorize``,
    ``map``), the line counted from the function's first; None where there is none."""
    for n in _ast.walk(node):
        line = getattr(n, "lineno", node.lineno) - node.lineno + 1
        if isinstance(n, _LOOPS):
            what = "a comprehension" if not isinstance(
                n, (_ast.For, _ast.AsyncFor, _ast.While)) else (
                "a `while` loop" if isinstance(n, _ast.While) else "a `for` loop")
            return what, line
        if isinstance(n, _ast.Call):
            name = getattr(n.func, "attr", None) or getattr(n.func, "id", None)
            if name in _HIDDEN_LOOPS:
                return f"`{name}`, which calls a Python function once per item", line
    return None


def _real_names(fn: Callable, names: set) -> set:
    """What the global names a function reads really are (``from smgrad import
    softmax_jacobian as sj`` makes ``sj`` read as ``smgrad`` and ``softmax_jacobian``)."""
    found = set()
    for name in names:
        obj = getattr(fn, "__globals__", {}).get(name)
        module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
        if isinstance(module, str) and module.split(".")[0] == "smgrad":
            found |= {"smgrad", getattr(obj, "__name__", "")}
    return found


def _run_constraints(exercise, fn: Callable) -> Optional[str]:
    """The first constraint broken when the function runs (memory, the engine)."""
    if "no jacobian" in exercise.constraints and exercise.memory_probe:
        return _jacobian_sized(exercise, fn)
    if "engine" in exercise.constraints and not _calls_backward(exercise, fn):
        return ("it never calls backward() on a smgrad.autograd tensor: the exercise "
                "asks the engine to compute the gradient")
    return None


def _jacobian_sized(exercise, fn: Callable) -> Optional[str]:
    """Why ``fn`` breaks "build no Jacobian" on the exercise's memory probe, or None.

    numpy's arrays are measured by tracemalloc (their peak while ``fn`` runs); PyTorch's
    tensors, which tracemalloc cannot see, by the largest tensor that a torch function
    takes or returns while ``fn`` runs (:func:`_largest_torch_tensor`). Either above 32
    times the result's size is something as large as a Jacobian.
    """
    shape = exercise.memory_probe
    rng = np.random.default_rng(0)
    probs, grad_out = softmax(rng.standard_normal(shape)), rng.standard_normal(shape)
    result_bytes = probs.nbytes
    tracing = _tracemalloc.is_tracing()  # the learner's own tracing is left running
    if tracing:
        _tracemalloc.reset_peak()
    else:
        _tracemalloc.start()
    try:
        before = _tracemalloc.get_traced_memory()[0]
        with np.errstate(all="ignore"), _largest_torch_tensor() as largest:
            fn(probs, grad_out)
        peak = max(_tracemalloc.get_traced_memory()[1] - before, largest[0])
    except Exception:
        return None
    finally:
        if not tracing:
            _tracemalloc.stop()
    if peak <= 32 * result_bytes:
        return None
    return (f"on inputs of shape {shape} it used {peak / 2**20:.1f} MiB at its peak, "
            f"where the result takes {result_bytes / 2**10:.0f} KiB: it builds "
            f"something as large as a Jacobian, which the exercise asks you not to")


@_contextlib.contextmanager
def _largest_torch_tensor():
    """Yield a one-item list holding the bytes of the largest PyTorch tensor that any
    torch function or tensor method takes or returns inside the ``with`` block (0 where
    PyTorch is not imported).

    A ``torch.overrides.TorchFunctionMode`` sees every call made from Python: a Jacobian
    built in torch (by ``diag_embed``, ``autograd.functional.jacobian`` or ``jacrev``) is
    returned by one and passed to the next (a product, ``.numpy()``), so it is seen even
    though torch's allocator is invisible to tracemalloc.
    """
    largest = [0]
    torch = _sys.modules.get("torch")
    if torch is None:  # an answer that imports torch itself goes unmeasured here
        yield largest
        return

    def note(value: object) -> None:
        if isinstance(value, torch.Tensor):
            largest[0] = max(largest[0], value.numel() * value.element_size())
        elif isinstance(value, (list, tuple)):
            for item in value:
                note(item)

    class Watch(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            note(args)
            note(tuple((kwargs or {}).values()))
            note(out)
            return out

    with Watch():
        yield largest


def _calls_backward(exercise, fn: Callable) -> bool:
    from .autograd import Tensor
    calls = []
    original = Tensor.backward

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    Tensor.backward = counting
    try:
        with np.errstate(all="ignore"):
            fn(*_copies(exercise.probes[0].args))
    except Exception:
        pass
    finally:
        Tensor.backward = original
    return bool(calls)
