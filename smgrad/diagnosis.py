"""Tell a learner whether their backward rule is right, and if not, which mistake it is.

:func:`diagnose` runs a backward rule on a few probe inputs chosen to tell mistakes
apart, and compares every outcome (an array, or an exception) with the right rule and
with the catalogue of mistakes (:mod:`smgrad.mistakes`): each entry as it is, then the
right rule and each entry times each factor (a flipped sign, a 1/N missing or doubled,
the number of classes, any other constant such as a temperature's 1/T). It returns a
:class:`Diagnosis`, whose fields say right or wrong, the mistake, the factor, where, what
to tell the learner and, apart, the fix. Three rules can be checked:

* ``rule="softmax"`` (the default): ``backward(probs, grad_out) -> grad_x``, the contract
  of :func:`smgrad.softmax_vjp`, ``grad_out = ∂L/∂softmax(x)``;
* ``rule="log_softmax"``: the same arguments with ``grad_out = ∂L/∂log_softmax(x)``,
  the contract of :func:`smgrad.log_softmax_vjp`;
* ``rule="cross_entropy"``: ``backward(logits, targets) -> ∂L/∂logits`` for
  ``L = mean over rows of -Σ t log softmax(x)``, ``targets`` one-hot floats of the
  logits' shape (the homework's fused softmax + cross-entropy node).

Inputs are float64 arrays of shape ``(batch, classes)``, softmax along the last axis. The
probes, counted from 0 as indices are, for the two softmax rules:

* probe 0, ``batch ≠ classes`` (3 × 5) with a random ``grad_out``: catches
  ``np.eye(batch)``;
* probe 1, ``batch = classes`` (4 × 4) with a random ``grad_out``: where ``np.eye(batch)``
  runs;
* probe 2, ``grad_out`` of ones (3 × 5): the gradient of ``probs.sum()``, which is zero.

For ``cross_entropy``: logits of shapes 3 × 5, 4 × 4 and 6 × 5 with one-hot targets.
Comparisons are at the precision of what the rule returns (:mod:`smgrad._compare`): a
right rule computed in float32 or float16 is right.

From a shell, ``smgrad diagnose path/to/file.py:function`` (:mod:`smgrad.cli`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from . import _autograd_functions
from ._compare import compare, kind_of, least_precise, precision_of, to_array, tolerance
from .derivatives import log_softmax_vjp, softmax_vjp
from .forward import softmax
from .losses import cross_entropy_grad
from .mistakes import FACTORS, RULES, Factor, Mistake, factors_for, for_rule
from .printing import WrappedRepr

__all__ = ["diagnose", "Diagnosis", "cannot_run", "RULES", "STATUSES", "SYMPTOMS"]

#: Every :attr:`Diagnosis.status`.
STATUSES = ("right", "wrong", "cannot run")
#: Every :attr:`Diagnosis.symptom`: what went wrong when no known mistake explains it.
SYMPTOMS = ("returned None", "wrong type", "wrong shape", "raised", "not finite",
            "wrong values", "timed out", "cannot load", "wrong forward")


@dataclass(frozen=True, repr=False)
class Diagnosis(WrappedRepr):
    """The verdict on a backward rule.

    Its ``repr`` (and ``str``) is :attr:`message` wrapped to fit a page, never the fix.

    Attributes
    ----------
    ok : bool
        True when it matches the right rule on every probe.
    status : str
        ``"right"``, ``"wrong"`` or ``"cannot run"`` (:data:`STATUSES`; the last from
        :mod:`smgrad.cli`, for a file that cannot be loaded or a check that timed out).
    rule : str
        The rule checked: ``"softmax"``, ``"log_softmax"`` or ``"cross_entropy"``.
    mistake : str or None
        None when right; the identifier of a catalogue entry
        (:data:`smgrad.mistakes.CATALOGUE`), or of a factor
        (:data:`smgrad.mistakes.FACTORS`) when the rule is otherwise right; ``"unknown"``
        when it is wrong in another way; None when it cannot run.
    factor : str or None
        The factor the result carries (``"sign"``, ``"1/N"``, ``"N"``, ``"1/n"``,
        ``"n"``, ``"N/n"``, ``"constant"``; with a leading ``"-"`` when its sign is
        flipped too, as in ``"-1/N"`` or ``"-constant"``), or None.
    symptom : str or None
        When ``mistake`` is ``"unknown"`` or it cannot run, what happened
        (:data:`SYMPTOMS`); otherwise None.
    where : str or None
        Where it is first wrong, counting from 0: ``"probe 1 (batch 4 × classes 4),
        index (0, 3)"`` (the largest error on that probe); None when right.
    message : str
        What to tell the learner, in plain words: what the code does and why that is
        wrong. It holds neither the fix nor any expected value.
    fix : str
        How to fix it, ending with the right rule: the solution (empty when right).

    Examples
    --------
    >>> import smgrad
    >>> d = smgrad.diagnose(lambda probs, grad_out: -smgrad.softmax_vjp(probs, grad_out))
    >>> d.ok, d.status, d.mistake, d.factor
    (False, 'wrong', 'sign_flipped', 'sign')
    >>> d
    wrong: it returns the correct gradient with its sign flipped: a step along it
      would increase the loss (the minus sign belongs to the update, x -= lr * grad,
      not to the gradient).
    >>> print(smgrad.printing.wrap(d.fix))       # the solution: shown only when asked
    remove the extra minus sign; the right rule is grad_x = s * (g - (g *
      s).sum(axis, keepdims=True))
    """

    ok: bool
    status: str
    rule: str
    mistake: Optional[str]
    factor: Optional[str]
    symptom: Optional[str]
    where: Optional[str]
    message: str
    fix: str

    @property
    def explanation(self) -> str:
        """The message (kept for code written before :attr:`message` held no fix).

        >>> import smgrad
        >>> d = smgrad.diagnose(smgrad.softmax_vjp)
        >>> d.explanation == d.message
        True
        """
        return self.message


# --- the rules and their probes ---------------------------------------------------------

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
        "the right rule is grad_x = s * (g - (g * s).sum(axis, keepdims=True))"),
    "log_softmax": _Rule(
        "log_softmax", "backward(probs, grad_out) -> grad_x", "log_softmax_vjp",
        log_softmax_vjp, "the right rule is grad_x = g - s * g.sum(axis, keepdims=True)"),
    "cross_entropy": _Rule(
        "cross_entropy", "backward(logits, targets) -> grad_logits",
        "cross_entropy_grad", cross_entropy_grad,
        "the right rule is grad_logits = (softmax(logits) - targets) / N, with N the "
        "number of rows"),
}



@dataclass(frozen=True)
class _Probe:
    """One probe: its label (``"probe 0 (batch 3 × classes 5)"``) and the two arguments."""

    label: str
    args: tuple[np.ndarray, np.ndarray]

    @property
    def rows(self) -> int:
        return self.args[0].shape[0]

    @property
    def n(self) -> int:
        return self.args[0].shape[-1]


def _label(number: int, shape: tuple[int, ...], note: str = "") -> str:
    size = " × ".join([f"batch {shape[0]}", f"classes {shape[-1]}"])
    return f"probe {number} ({size}{note})"


def _probes(rule: str = "softmax", shapes: Optional[Sequence[tuple[int, int]]] = None,
            seed: int = 2024) -> tuple[_Probe, ...]:
    """The probes for ``rule``: ``(probs, grad_out)`` or ``(logits, targets)``. With
    ``shapes``, one random probe of each shape instead (for tests)."""
    rng = np.random.default_rng(seed)
    default = shapes is None
    shapes = [(3, 5), (4, 4), (6, 5) if rule == "cross_entropy" else (3, 5)] \
        if default else list(shapes)
    probes = []
    for number, (b, n) in enumerate(shapes):
        if rule == "cross_entropy":
            args = (2 * rng.standard_normal((b, n)), np.eye(n)[rng.integers(0, n, b)])
        elif default and number == 2:
            args = (probes[0].args[0], np.ones((b, n)))
        else:
            args = (softmax(rng.standard_normal((b, n))), rng.standard_normal((b, n)))
        note = ", grad_out of ones" if default and number == 2 and rule != "cross_entropy" \
            else ""
        probes.append(_Probe(_label(number, (b, n), note), args))
    return tuple(probes)


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


def _scale(theirs: _Outcome, base: _Outcome) -> Optional[float]:
    """``c`` such that ``theirs = c * base`` at the precision of ``theirs``; NaN when
    ``base`` is zero and so is ``theirs`` (any c fits); None when no c fits."""
    if base.kind == "raised" or theirs.kind == "raised":
        return float("nan") if base.kind == theirs.kind else None
    if theirs.kind != "ok" or base.kind != "ok" or theirs.value.shape != base.value.shape:
        return None
    v, r = theirs.value.astype(np.float64), base.value.astype(np.float64)
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(r))):
        return None
    rtol, atol = tolerance(precision_of(theirs.value))
    if np.max(np.abs(r), initial=0.0) <= 10 * atol:
        return float("nan") if np.max(np.abs(v), initial=0.0) <= 10 * atol else None
    c = float(np.vdot(v, r) / np.vdot(r, r))
    return c if compare(v, c * r, rtol, atol * max(1.0, abs(c))).ok else None


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
        tensor. It may also be written for a framework (see Notes).
    rule : {"softmax", "log_softmax", "cross_entropy"}
        Which rule ``backward`` implements.

    Returns
    -------
    Diagnosis
        ``.ok``, ``.status``, ``.mistake`` (None, a catalogue identifier, or
        ``"unknown"``), ``.factor``, ``.symptom``, ``.where``, ``.message`` (also its
        repr) and ``.fix``. Exceptions raised by ``backward``, a ``None`` or non-numeric
        result and a wrong shape are reported in it, never raised.

    Raises
    ------
    TypeError
        If ``backward`` is not callable (the result passed instead of the function).
    ValueError
        If ``rule`` is not one of :data:`RULES`.

    Notes
    -----
    The mistakes it names are the entries of :data:`smgrad.mistakes.CATALOGUE` for the
    rule, each as it is or times a factor of :data:`smgrad.mistakes.FACTORS`, and the
    right rule times a factor (``sign_flipped``, ``extra_1_over_n``, ...).

    ``backward`` may be written where people write it (:mod:`smgrad._autograd_functions`);
    nothing is imported to recognise it, so ``import smgrad`` still needs numpy only:

    * **a custom autograd Function**, the class itself (or its ``apply``): a subclass of
      ``torch.autograd.Function`` (``forward(ctx, x)``, or ``forward(ctx, x, dim)``
      given ``dim=-1``, or ``forward(x)`` with ``setup_context``) or of
      ``mxnet.autograd.Function`` (``forward(self, x)``), recognised by those base
      classes' names in its MRO. Its forward is applied to logits ``x = log(probs)``
      (so ``softmax(x) == probs``) and must compute softmax, log_softmax or, for
      ``"cross_entropy"``, the mean loss of ``forward(ctx, logits, targets)`` (targets
      one-hot, else as class indices); its backward runs through the framework's
      autograd with the probe's ``grad_out``, and what it returns is judged as a numpy
      rule's result, in float64 and then in float32. A forward that is not the rule's
      function gets the symptom ``"wrong forward"`` and no named mistake; a forward that
      raises, returns None, a non-tensor or the wrong shape, and a backward returning a
      non-tensor or the wrong number of gradients get their symptom too.
    * **a plain function on PyTorch tensors** (``.sum(dim=-1, keepdim=True)``,
      ``torch.exp``, ``.unsqueeze``): it is called with numpy arrays first; when that
      fails as only tensor code fails (numpy refuses ``dim=`` or ``keepdim=``, a torch
      function refuses a numpy array, or a tensor method is missing from numpy arrays),
      it is called with float64 tensors from then on.

    Examples
    --------
    >>> import smgrad
    >>> print(smgrad.diagnose(smgrad.softmax_vjp))
    correct: matches softmax_vjp on all 3 probes (within rtol=1e-05, atol=1e-08)
    >>> smgrad.diagnose(lambda s, g: s * (1 - s) * g).mistake
    'diagonal_only'
    >>> d = smgrad.diagnose(lambda x, t: smgrad.softmax(x) - t, rule="cross_entropy")
    >>> d.mistake, d.factor
    ('missing_1_over_n', 'N')
    >>> d = smgrad.diagnose(lambda s, g: s * (1 - s) * g / len(s))
    >>> d.mistake, d.factor
    ('diagonal_only', '1/N')
    """
    if not isinstance(rule, str) or rule not in _RULES:
        raise ValueError(f"rule={rule!r} is not one of {', '.join(map(repr, RULES))}")
    return _autograd_functions.judge(
        _as_rule(backward, rule), rule,
        judge_rule=lambda fn: _judge(fn, rule, _probes(rule)), refuse=_refused)


def _refused(rule: str, problem: _autograd_functions.Problem) -> Diagnosis:
    """The verdict on a custom Function whose forward (or whose backward's result) is not
    what autograd needs: no named mistake (see :mod:`smgrad._autograd_functions`)."""
    where = _label(problem.probe, problem.shape)
    if problem.dtype != "float64":
        where += f", in {problem.dtype}"
    return Diagnosis(False, "wrong", rule, "unknown", None, problem.symptom, where,
                     f"wrong: {problem.explanation}", problem.fix)


def cannot_run(rule: str, symptom: str, reason: str) -> Diagnosis:
    """The verdict on a rule that could not be checked: status ``"cannot run"``.

    Parameters
    ----------
    rule : str
        The rule it was to be checked against.
    symptom : str
        What stopped it, one of :data:`SYMPTOMS` (``"cannot load"``, ``"timed out"``).
    reason : str
        Why, in plain words; the message is ``"cannot run: " + reason``.

    Examples
    --------
    >>> d = cannot_run("softmax", "timed out", "it took more than 10 s")
    >>> d.ok, d.status, d.symptom
    (False, 'cannot run', 'timed out')
    >>> d
    cannot run: it took more than 10 s
    """
    if symptom not in SYMPTOMS:
        raise ValueError(f"symptom={symptom!r} is not one of {SYMPTOMS}")
    return Diagnosis(False, "cannot run", rule, None, None, symptom, None,
                     f"cannot run: {reason}", "")


def _as_rule(backward: object, rule: str) -> Callable:
    """``backward`` as a function of two numpy arrays, or a TypeError saying what to
    pass instead."""
    if not callable(backward):
        raise TypeError(f"backward is {kind_of(backward)}, not a function; pass the "
                        f"function itself, {_RULES[rule].contract}")
    return backward


def _judge(backward: Callable, rule_name: str, probes: Sequence[_Probe]) -> Diagnosis:
    rule = _RULES[rule_name]
    theirs = [_run(backward, *p.args) for p in probes]
    right = [_Outcome("ok", value=rule.right(*p.args)) for p in probes]
    where = _where(theirs, right, probes)
    if all(map(_agree, theirs, right)):
        return _right(rule, theirs, len(probes))
    bases = [(None, right)] + [(m, [_run(m.backward, *p.args) for p in probes])
                               for m in for_rule(rule_name)]
    for mistake, outcomes in bases[1:]:
        if all(map(_agree, theirs, outcomes)):
            return _named(rule, mistake, where)
    for mistake, outcomes in bases:
        found = _factor(rule_name, theirs, outcomes, probes)
        if found is not None:
            return _named(rule, mistake, where, *found)
    return _unknown(rule, theirs, right, probes, where)


def _right(rule: _Rule, theirs: list[_Outcome], count: int) -> Diagnosis:
    dtype = least_precise(*(precision_of(o.value) for o in theirs))
    rtol, atol = tolerance(dtype)
    precision = "" if dtype == np.float64 else f", the tolerance for {dtype} results"
    message = (f"correct: matches {rule.reference} on all {count} probes "
               f"(within rtol={rtol:.2g}, atol={atol:.2g}{precision})")
    return Diagnosis(True, "right", rule.name, None, None, None, None, message, "")


def _factor(rule: str, theirs: list[_Outcome], base: list[_Outcome],
            probes: Sequence[_Probe]) -> Optional[tuple[Factor, float, float]]:
    """``(factor, its sign, c)`` when ``theirs`` is ``base`` times a factor (per probe)."""
    scales = [_scale(t, b) for t, b in zip(theirs, base)]
    if any(c is None for c in scales):
        return None
    known = [(c, p) for c, p in zip(scales, probes) if not np.isnan(c)]
    if not known:
        return None
    dtype = least_precise(*(precision_of(t.value) for t in theirs if t.kind == "ok"))
    slack = 4 * tolerance(dtype)[0]      # c is known to about the rtol of the result

    def follows(value: Callable[[int, int], float]) -> bool:
        return all(abs(c - value(p.rows, p.n)) <= slack * abs(value(p.rows, p.n))
                   for c, p in known)

    for factor in factors_for(rule):
        if factor.value is None:
            continue
        for sign in ((1.0,) if factor.name == "sign" else (1.0, -1.0)):
            if follows(lambda rows, n: sign * factor.value(rows, n)):
                return factor, sign, 1.0
    c = float(np.mean([c for c, _ in known]))
    if abs(c) > slack and abs(c - 1) > slack and follows(lambda rows, n: c):
        constant = next(f for f in factors_for(rule) if f.value is None)
        return constant, float(np.sign(c)), abs(c)
    return None


def _named(rule: _Rule, mistake: Optional[Mistake], where: Optional[str],
           factor: Optional[Factor] = None, sign: float = 1.0, c: float = 1.0
           ) -> Diagnosis:
    """The verdict for an entry (None: the right rule) times a factor (None: none)."""
    sentences, fixes = [], []
    if mistake is not None:
        sentences.append(f"{mistake.says}: {mistake.why}.")
        fixes.append(mistake.fix)
    factor_name = None
    if factor is not None:
        text = f"{c:.3g}" if float(f"{c:.3g}") != 1 else f"{c:.6g}"
        change = factor.says.format(c=text) + (" and with its sign flipped" if sign < 0
                                               else "")
        lead = ("it returns the correct gradient" if mistake is None
                else "on top of that, its result comes")
        why = factor.why + (f"; and {_SIGN.why}" if sign < 0 else "")
        sentences.append(f"{lead} {change}: {why}.")
        fixes.append(factor.fix.format(c=text))
        if sign < 0:
            fixes.append("remove the extra minus sign")
        factor_name = ("-" if sign < 0 else "") + factor.name
    name = mistake.name if mistake is not None else factor.identifier
    message = "wrong: " + " ".join(_capital(t) if i else t for i, t in enumerate(sentences))
    fix = "; ".join(fixes + [rule.formula])
    return Diagnosis(False, "wrong", rule.name, name, factor_name, None, where, message,
                     fix)


_SIGN = next(f for f in FACTORS if f.name == "sign")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _where(theirs: list[_Outcome], right: list[_Outcome], probes: Sequence[_Probe]
           ) -> Optional[str]:
    """The first probe where ``theirs`` is wrong, and there the index of the first
    entry that is not finite or else of the largest error; None if right everywhere."""
    for outcome, expected, probe in zip(theirs, right, probes):
        if _agree(outcome, expected):
            continue
        if outcome.kind != "ok" or outcome.value.shape != expected.value.shape:
            return probe.label
        return f"{probe.label}, index {_worst_index(outcome.value, expected.value)}"
    return None


def _worst_index(value: np.ndarray, expected: np.ndarray) -> tuple[int, ...]:
    if not np.all(np.isfinite(value)):
        first = int(np.flatnonzero(~np.isfinite(value))[0])
        return tuple(int(i) for i in np.unravel_index(first, value.shape))
    return compare(value, expected).where


#: The order in which a symptom is reported when the probes show several.
_SYMPTOM_ORDER = ("wrong type", "wrong shape", "raised", "returned None", "not finite",
                  "wrong values")


def _problem(outcome: _Outcome, expected: np.ndarray) -> Optional[tuple[str, str]]:
    """``(symptom, what the code did)`` on one probe, in plain words; None if right."""
    if outcome.kind == "raised":
        return "raised", f"it raised {type(outcome.error).__name__}: {outcome.error}"
    if outcome.kind == "none":
        return "returned None", "it returned None: is a `return` missing?"
    if outcome.kind == "not an array":
        return "wrong type", f"it {outcome.error}"
    value = outcome.value
    if value.shape != expected.shape:
        return "wrong shape", (f"it returned shape {value.shape} for inputs of shape "
                               f"{expected.shape}")
    if not np.all(np.isfinite(value)):
        where = _worst_index(value, expected)
        return "not finite", f"it returned {float(value[where])} at index {where}"
    found = compare(value, expected, *tolerance(precision_of(value)))
    if found.ok:
        return None
    return "wrong values", (f"{found.wrong_count} of {value.size} entries are wrong, the "
                            f"largest error at index {found.where}")


def _unknown(rule: _Rule, theirs: list[_Outcome], right: list[_Outcome],
             probes: Sequence[_Probe], where: Optional[str]) -> Diagnosis:
    groups: dict[str, list[str]] = {}       # what it did -> on which probes
    symptoms = set()
    for outcome, expected, probe in zip(theirs, right, probes):
        found = _problem(outcome, expected.value)
        if found is None or (found[0] == "wrong values" and "wrong values" in symptoms):
            continue                            # wrong values: the first probe only
        symptoms.add(found[0])
        groups.setdefault(found[1], []).append(probe.label)
    symptom = ("returned None" if symptoms == {"returned None"}
               else next(k for k in _SYMPTOM_ORDER if k in symptoms))
    if symptom == "returned None":
        message = "wrong: it returned None: is a `return` missing?"
    else:
        parts = [f"on {_listing(labels)}, {did}" for did, labels in groups.items()]
        lead = ("its values match neither the correct gradient nor a known mistake: "
                if symptom == "wrong values" else "")
        message = "wrong: " + lead + "; ".join(parts)
        if "wrong shape" in symptoms:
            message += " (a gradient has one entry per input entry)"
    return Diagnosis(False, "wrong", rule.name, "unknown", None, symptom, where, message,
                     rule.formula)


def _listing(labels: list[str]) -> str:
    """``"probe 0 (...)"``, or ``"probes 0, 1 and 2"`` for several."""
    if len(labels) == 1:
        return labels[0]
    numbers = [label.split()[1] for label in labels]
    return f"probes {', '.join(numbers[:-1])} and {numbers[-1]}"
