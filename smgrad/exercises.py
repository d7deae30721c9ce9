"""The book's exercises, each declared once: its contract and its reference.

A check cell names the exercise and the learner's answer, nothing more::

    feedback.check("ch3-ex-vjp", my_softmax_vjp)

and :func:`smgrad.feedback.check` judges the answer against the :class:`Exercise`
registered here under that key. The reference lives here, inside ``smgrad``: no cell a
learner sees computes it.

An exercise's **contract** is what its statement promises and asks:

* ``probes``: the inputs a function answer is called with, one :class:`Probe` per shape the
  statement promises (1-D, 2-D with the batch equal to and different from the classes,
  three or more axes where it says "any number of leading batch axes"), extreme logits for
  a stability exercise. A value answer has no probes: ``reference()`` is its value.
* ``dtype``: the least precise answer accepted (``"float32"``, ``"float64"`` or ``"int"``);
  a less precise answer is a "wrong type" that says which dtype is asked.
* ``constraints``: what the statement forbids or demands, each checked:

  - ``"no loop"``: no ``for``, ``while`` or comprehension, and no call that loops in
    Python (``np.apply_along_axis``, ``np.vectorize``, ``map``);
  - ``"no smgrad"``: nothing from ``smgrad``, under any name;
  - ``"engine"``: the function calls :meth:`smgrad.autograd.Tensor.backward`, and not
    the engine's ready-made ``cross_entropy``, ``log_softmax`` or ``nll_of_probs``;
  - ``"no jacobian"``: on ``memory_probe``, numpy's peak memory and PyTorch's largest
    tensor stay far below what a Jacobian takes.

  The first three are read from the function's source and from that of the functions
  it calls which the learner wrote beside it.
* ``phrases``: words of the statement that state the contract. ``tests/test_exercises.py``
  checks that each appears in the exercise's ``{exercise}`` cell, and that every
  constraint the statement names ("no Python loop", "build no Jacobian", ...) is declared.
* ``inputs``: the values the exercise's setup cell defines, by name (a test runs the setup
  cell and compares), for value exercises whose reference uses them.
* ``known``: wrong answers recognised by their values, each with what to tell the learner
  (what the code does, in plain words, never the fix); ``rule``: the
  :func:`smgrad.diagnose` rule that names the threads' and the families' mistakes.

Registering a new exercise: write its reference and probes below, then (ch4-ex4, a
``torch.autograd.Function``, is registered this way)::

    register(Exercise(
        key="ch4-ex4", chapter="04_batched_jacobians", answer="LogSoftmaxFunction",
        skill="...", reference=lambda probs, grad_out: log_softmax_vjp(probs, grad_out),
        probes=_vjp_probes(((3, 5), (4, 4), (5,), (2, 3, 4)), seed=44),
        dtype="float64", rule="log_softmax", adapt=_log_softmax_function_rule,
        phrases=("`LogSoftmaxFunction`", "`torch.autograd.Function`", "`dim=-1`")))

The answer may be any callable: when the learner's answer is a class (a
``torch.autograd.Function``), ``adapt`` turns it into a callable with the reference's
signature. Then add the check cell ``feedback.check("ch4-ex4", LogSoftmaxFunction)``,
the solution cell's ``"smgrad"`` metadata (``"wrong"``, ``"names_mistake"``) and its
attempts in ``tests/corpus/``.

>>> from smgrad import exercises
>>> ex = exercises.get("ch3-ex-vjp")
>>> ex.answer, ex.rule, ex.constraints
('my_softmax_vjp', 'softmax', ('no jacobian',))
>>> [p.name for p in ex.probes][:2]
['probs of shape (3, 5)', 'probs of shape (4, 4)']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from .derivatives import log_softmax_vjp, softmax_jacobian, softmax_jvp, softmax_vjp
from .forward import logsumexp, softmax
from .losses import cross_entropy_grad

__all__ = ["Probe", "Known", "Exercise", "REGISTRY", "get", "register"]


@dataclass(frozen=True)
class Probe:
    """One call of a function answer: its arguments, a name for messages (``"probs of
    shape (5,)"``) and the constants a wrong answer may be off by (``{"N (the batch
    size)": 3}``)."""

    name: str
    args: tuple
    factors: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Known:
    """A wrong answer recognised by its values: ``answer`` computes what it returns (same
    signature as the reference); ``says`` tells the learner what the code does."""

    mistake: str
    says: str
    answer: Callable


@dataclass(frozen=True)
class Exercise:
    """One exercise's contract and reference (see the module docstring)."""

    key: str
    chapter: str
    answer: str
    skill: str
    reference: Callable
    probes: tuple = ()
    dtype: str = "float32"
    rule: Optional[str] = None
    constraints: tuple = ()
    known: tuple = ()
    phrases: tuple = ()
    inputs: Mapping[str, object] = field(default_factory=dict)
    memory_probe: Optional[tuple] = None
    relative: bool = False
    adapt: Optional[Callable] = None

    @property
    def is_value(self) -> bool:
        """True when the answer is a value (judged against ``reference()``)."""
        return not self.probes


#: Every exercise, by key.
REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to :data:`REGISTRY` (its key must be new)."""
    if exercise.key in REGISTRY:
        raise ValueError(f"exercise {exercise.key!r} is already registered")
    REGISTRY[exercise.key] = exercise
    return exercise


def get(key: str) -> Exercise:
    """The exercise registered under ``key``; a ValueError lists the keys otherwise.

    >>> get("ch5-ex1").dtype
    'float32'
    """
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValueError(f"no exercise {key!r}: the exercises are "
                         f"{', '.join(sorted(REGISTRY))}") from None


# --- probes -----------------------------------------------------------------------------

N_NAME, CLASSES_NAME, T_NAME = "N (the batch size)", "n (the number of classes)", \
    "T (the temperature)"


def _shape_factors(shape: tuple) -> dict[str, float]:
    factors = {N_NAME: shape[0]} if len(shape) >= 2 else {}
    factors[CLASSES_NAME] = shape[-1]
    return factors


def _vjp_probes(shapes: tuple, seed: int, ones: bool = True) -> tuple:
    """``(probs, grad_out)`` probes, one per shape, and ``grad_out`` of ones."""
    rng = np.random.default_rng(seed)
    probes = []
    for shape in shapes:
        probs = softmax(2 * rng.standard_normal(shape))
        probes.append(Probe(f"probs of shape {shape}", (probs, rng.standard_normal(shape)),
                            _shape_factors(shape)))
    if ones:
        probs = softmax(rng.standard_normal((3, 5)))
        probes.append(Probe("grad_out of ones, shape (3, 5)", (probs, np.ones((3, 5))),
                            _shape_factors((3, 5))))
    return tuple(probes)


def _one_hot(rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
    return np.eye(n)[rng.integers(0, n, batch)]


def _loss_probes(shapes: tuple, seed: int, extra: Optional[tuple] = None,
                 extra_name: str = "", extra_factor: str = "") -> tuple:
    """``(logits, one-hot targets[, extra[i]])`` probes, one per shape."""
    rng = np.random.default_rng(seed)
    probes = []
    for i, shape in enumerate(shapes):
        args = (2 * rng.standard_normal(shape), _one_hot(rng, *shape))
        name, factors = f"logits of shape {shape}", _shape_factors(shape)
        if extra is not None:
            args, name = args + (extra[i],), f"{name}, {extra_name} = {extra[i]}"
            factors = {**factors, **({extra_factor: extra[i]} if extra_factor else {})}
        probes.append(Probe(name, args, factors))
    return tuple(probes)


def _rows(logits: np.ndarray) -> int:
    return logits.shape[0]


# --- chapter 1 --------------------------------------------------------------------------

X3 = np.array([[0.5, -1.0, 2.0]])
A_VALUES = np.array([[[[0.1]], [[2.0]]]])
X5 = np.array([[0.3, -0.8, 1.5, 0.1]])
V5 = np.array([[1.0, 0.0, 0.0, -1.0]])
S_GIVEN = np.array([0.2, 0.3, 0.5])
G0 = np.array([1.0, 0.0, -2.0])
SHIFT, SCALE = 5.0, 2.0


def _row_gradient(x: np.ndarray, row: int, axis: int = -1) -> np.ndarray:
    """The gradient of output ``row`` (along ``axis``) of softmax(x) by the logits."""
    probs = softmax(x, axis=axis)
    head = np.zeros_like(probs)
    index = [0] * probs.ndim
    index[axis] = row
    head[tuple(index)] = 1.0
    return softmax_vjp(probs, head, axis=axis)


register(Exercise(
    key="ch1-ex1", chapter="01_zero_gradient", answer="grad_s1_x3",
    skill="a one-hot grad_out picks one row of the Jacobian (the gradient of one "
          "probability)",
    reference=lambda: _row_gradient(X3, 1),
    inputs={"x3": X3},
    phrases=("`grad_s1_x3`", "`(1, 3)`", "one-hot"),
    known=(
        Known("grad_out_of_ones", "it is zero everywhere: the gradient of something "
              "constant, such as the sum of the probabilities (a grad_out that weighs "
              "every probability alike)", lambda: np.zeros((1, 3))),
        Known("off_by_one", "this is the gradient of s_0: the one in grad_out is at "
              "index 0 (indices count from 0)", lambda: _row_gradient(X3, 0)),
        Known("off_by_one", "this is the gradient of s_2: the one in grad_out is at "
              "index 2 (indices count from 0)", lambda: _row_gradient(X3, 2)),
        Known("logits_for_probs", "softmax_vjp was given the logits; it takes the "
              "probabilities", lambda: softmax_vjp(X3, np.eye(3)[[1]])),
    )))

register(Exercise(
    key="ch1-ex2", chapter="01_zero_gradient", answer="grad_head",
    skill="backward(gradient=...) on a whole output: the head gradient is the one-hot "
          "g that selects one probability",
    reference=lambda: _row_gradient(A_VALUES, 1, axis=1),
    inputs={"a_values": A_VALUES},
    phrases=("`grad_head`", "`(1, 2, 1, 1)`", "dim 1", "`backward(gradient=...)`"),
    known=(
        Known("zero_gradient", "it is zero everywhere: the gradient of something "
              "constant. A head gradient that weighs every probability alike (all "
              "ones: the probabilities sum to 1), or a softmax along an axis of length "
              "1 (each probability is then exactly 1), gives it",
              lambda: np.zeros((1, 2, 1, 1))),
        Known("off_by_one", "this is the gradient of s_0: the one of the head gradient "
              "is at index [0, 0, 0, 0] (indices count from 0)",
              lambda: _row_gradient(A_VALUES, 0, axis=1)),
    )))

register(Exercise(
    key="ch1-ex3", chapter="01_zero_gradient", answer="my_backward",
    skill="build the Jacobian of each row from J = diag(s) - s s^T, then contract g^T J "
          "over the output index",
    reference=lambda probs, grad_out: softmax_vjp(probs, grad_out),
    probes=_vjp_probes(((3, 5), (4, 4), (5,), (2, 3, 4)), seed=11),
    rule="softmax",
    phrases=("`my_backward(probs, grad_out)`", "`(..., n)`", "`(..., n, n)`")))

register(Exercise(
    key="ch1-ex4", chapter="01_zero_gradient", answer="ds_dc",
    skill="forward mode: the JVP J v says how fast the probabilities move along a "
          "direction of the logits",
    reference=lambda: softmax_jvp(softmax(X5), V5),
    inputs={"x5": X5, "v5": V5},
    phrases=("`ds_dc`", "`smgrad.softmax_jvp`", "`(1, 4)`"),
    known=(
        Known("logits_for_probs", "softmax_jvp was given the logits; it takes the "
              "probabilities", lambda: softmax_jvp(X5, V5)),
        Known("diagonal_only", "only the diagonal of J, s(1 - s) v: the off-diagonal "
              "entries move the other probabilities too",
              lambda: softmax(X5) * (1 - softmax(X5)) * V5),
    )))

register(Exercise(
    key="ch1-ex5", chapter="01_zero_gradient", answer="J_by_hand",
    skill="derive J = diag(s) - s s^T by hand for n = 3 and enter it",
    reference=lambda: np.diag(S_GIVEN) - np.outer(S_GIVEN, S_GIVEN),
    inputs={"s_given": S_GIVEN},
    phrases=("`J_by_hand`", "n = 3", "`(3, 3)`", "by hand"),
    known=(
        Known("diagonal_only", "only the diagonal s_i (1 - s_i) is there: each "
              "probability depends on the other logits too",
              lambda: np.diag(S_GIVEN * (1 - S_GIVEN))),
        Known("off_diagonal_only", "the diagonal lacks its s_i: these are the entries "
              "-s_i s_j for every i and j, the delta_ij term is missing",
              lambda: -np.outer(S_GIVEN, S_GIVEN)),
        Known("outer_sign", "the s_i s_j terms are added where they are subtracted",
              lambda: np.diag(S_GIVEN) + np.outer(S_GIVEN, S_GIVEN)),
    )))

register(Exercise(
    key="ch1-ex6", chapter="01_zero_gradient", answer="grad_shifted",
    skill="1^T J = 0: adding a constant to every entry of g leaves g^T J unchanged "
          "(and g^T J is linear in g)",
    reference=lambda: softmax_vjp(S_GIVEN, SCALE * G0 + SHIFT),
    inputs={"s_given": S_GIVEN, "g0": G0},
    phrases=("`grad_shifted`", "$\\mathbf 1^\\top J = 0$", "`(3,)`",
             "$g = 2 g_0 + 5 \\cdot \\mathbf 1 = (7, 5, 1)$"),
    known=(
        Known("shift_passed_through", "5 was added to every entry: the constant part "
              "5 * 1 of g went through as if J were the identity",
              lambda: SCALE * softmax_vjp(S_GIVEN, G0) + SHIFT),
        Known("shift_times_probs", "5 s was added: the constant part 5 * 1 of g went "
              "through as 5 s",
              lambda: SCALE * softmax_vjp(S_GIVEN, G0) + SHIFT * S_GIVEN),
        Known("scale_lost", "the factor 2 in g = 2 g0 + 5 * 1 is lost",
              lambda: softmax_vjp(S_GIVEN, G0)),
        Known("all_zero", "it is zero everywhere: only the constant part of g is lost "
              "in g^T J, not all of g", lambda: np.zeros(3)),
    )))


# --- chapter 2 --------------------------------------------------------------------------

EPSILONS = (0.1, 0.2, 0.05)
TEMPERATURES = (2.0, 0.5, 4.0)


def _smoothed_grad(logits: np.ndarray, targets: np.ndarray, eps: float) -> np.ndarray:
    smooth = (1 - eps) * targets + eps / logits.shape[-1]
    return (softmax(logits) - smooth) / _rows(logits)


def _soft_probes() -> tuple:
    rng = np.random.default_rng(21)
    shapes = ((3, 10), (4, 4), (5, 3))
    probes = [Probe(f"logits of shape {s}, targets whose rows do not sum to 1",
                    (2 * rng.standard_normal(s), rng.uniform(0, 0.5, size=s)),
                    _shape_factors(s)) for s in shapes]
    probes.append(Probe("logits of shape (3, 10), one-hot targets",
                        (2 * rng.standard_normal((3, 10)), _one_hot(rng, 3, 10)),
                        _shape_factors((3, 10))))
    return tuple(probes)


register(Exercise(
    key="ch2-ex1", chapter="02_fused_loss", answer="label_smoothing_grad",
    skill="the log-sum-exp view applies to any targets that sum to one: smoothed "
          "targets change only t in (s - t) / N",
    reference=_smoothed_grad,
    probes=_loss_probes(((3, 10), (4, 4), (5, 3)), seed=12, extra=EPSILONS,
                        extra_name="eps"),
    phrases=("`label_smoothing_grad(logits, targets, eps)`", "(batch, classes)"),
    known=(
        Known("no_smoothing", "it is the gradient for the one-hot targets: the smoothing "
              "(eps) changes nothing in it",
              lambda x, t, eps: (softmax(x) - t) / _rows(x)),
    )))

register(Exercise(
    key="ch2-ex2", chapter="02_fused_loss", answer="soft_label_grad",
    skill="targets that do not sum to one: the derivation one step before sum t = 1",
    reference=lambda logits, targets: cross_entropy_grad(logits, targets),
    probes=_soft_probes(),
    phrases=("`soft_label_grad(logits, targets)`", "(batch, classes)"),
    known=(
        Known("assumes_sum_one", "it is (s - t) / N, which holds only where the targets "
              "of a row sum to 1: these rows do not",
              lambda x, t: (softmax(x) - t) / _rows(x)),
    )))

register(Exercise(
    key="ch2-ex3", chapter="02_fused_loss", answer="temperature_grad",
    skill="the chain rule through x / T: a diagonal Jacobian, a factor 1/T",
    reference=lambda logits, targets, T: (softmax(logits / T) - targets) / (
        _rows(logits) * T),
    probes=_loss_probes(((3, 10), (4, 4), (5, 3)), seed=13, extra=TEMPERATURES,
                        extra_name="T", extra_factor=T_NAME),
    phrases=("`temperature_grad(logits, targets, T)`", "(batch, classes)")))


# --- chapter 2b -------------------------------------------------------------------------

def _hidden_grad(H: np.ndarray, W: np.ndarray, b: np.ndarray,  # noqa: N803 (the math)
                 targets: np.ndarray) -> np.ndarray:
    errors = (softmax(H @ W + b) - targets) / H.shape[0]
    return errors @ W.T


def _hidden_probes() -> tuple:
    rng = np.random.default_rng(22)
    probes = []
    for batch, width, classes in ((5, 4, 3), (3, 3, 3), (1, 6, 10)):
        hidden = np.maximum(rng.standard_normal((batch, width)), 0.0)
        weights = rng.standard_normal((width, classes))
        bias = 0.1 * rng.standard_normal(classes)
        probes.append(Probe(
            f"H of shape {(batch, width)}, W of shape {(width, classes)}",
            (hidden, weights, bias, _one_hot(rng, batch, classes)),
            {N_NAME: batch}))
    return tuple(probes)


register(Exercise(
    key="ch2b-ex1", chapter="02b_train_digits", answer="grad_hidden",
    skill="backpropagate through a linear layer: from dL/dZ to dL/dH, the features "
          "that the layer below produced",
    reference=_hidden_grad,
    probes=_hidden_probes(),
    phrases=("`grad_hidden(H, W, b, targets)`", "$\\partial L/\\partial H$"),
    known=(
        Known("untransposed_weights", "the errors are multiplied by W as it stands: each "
              "hidden unit must collect the errors of the classes it feeds, its row of W",
              lambda h, w, b, t: ((softmax(h @ w + b) - t) / h.shape[0]) @ w),
    )))


def _engine_probes() -> tuple:
    extreme = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, -50.0]])
    return _loss_probes(((3, 5), (4, 4), (6, 5)), seed=23) + (
        Probe("extreme logits (as large as 1000)", (extreme, np.eye(3)[[0, 2]]),
              {N_NAME: 2}),)


register(Exercise(
    key="ch2b-ex2", chapter="02b_train_digits", answer="engine_ce_grad",
    skill="build the fused loss lse(x) - t^T x in an autograd engine, finite at any "
          "logits: a shift that is a constant needs no gradient",
    reference=lambda logits, targets: (softmax(logits) - targets) / _rows(logits),
    probes=_engine_probes(),
    rule="cross_entropy",
    constraints=("engine",),
    phrases=("`engine_ce_grad(logits, targets)`", "(batch, classes)", "`backward()`",
             "as large as 1000")))


# --- chapter 3 --------------------------------------------------------------------------

_BATCH_SHAPES = ((3, 5), (4, 4), (1, 6))

register(Exercise(
    key="ch3-ex-vjp", chapter="03_chain_rule_vjp", answer="my_softmax_vjp",
    skill="the VJP without the Jacobian: one inner product per row, kept as a column "
          "(keepdims)",
    reference=lambda probs, grad_out: softmax_vjp(probs, grad_out),
    probes=_vjp_probes(_BATCH_SHAPES, seed=31),
    rule="softmax", constraints=("no jacobian",), memory_probe=(4, 512),
    phrases=("`my_softmax_vjp(probs, grad_out)`", "`(batch, n)`",
             "Build no Jacobian")))

register(Exercise(
    key="ch3-ex-log-softmax", chapter="03_chain_rule_vjp", answer="my_log_softmax_vjp",
    skill="a Jacobian that is not symmetric: the chain rule sums over the outputs",
    reference=lambda probs, grad_out: log_softmax_vjp(probs, grad_out),
    probes=_vjp_probes(_BATCH_SHAPES, seed=32),
    rule="log_softmax", constraints=("no jacobian",), memory_probe=(4, 512),
    phrases=("`my_log_softmax_vjp(probs, grad_out)`", "`(batch, n)`",
             "build no Jacobian")))


# --- chapter 4 --------------------------------------------------------------------------

def _probs_probes(shapes: tuple, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    return tuple(Probe(f"probs of shape {s}", (softmax(2 * rng.standard_normal(s)),),
                       _shape_factors(s)) for s in shapes)


def _full_probes() -> tuple:
    rng = np.random.default_rng(42)
    probes = []
    for batch, n in ((3, 5), (4, 4), (1, 6)):
        blocks = rng.standard_normal((batch, n, n))
        full = np.zeros((batch, n, batch, n))
        for b in range(batch):
            full[b, :, b, :] = blocks[b]
        probes.append(Probe(f"full of shape {full.shape}", (full,), {N_NAME: batch}))
    return tuple(probes)


def _attention_probes() -> tuple:
    rng = np.random.default_rng(43)
    return tuple(Probe(f"scores of shape {s}", (rng.standard_normal(s),
                                                rng.standard_normal(s)), {})
                 for s in ((2, 3, 4, 5), (1, 2, 5, 5), (2, 1, 3, 6)))


def _softmax_grad_along(scores: np.ndarray, grad_weights: np.ndarray,
                        axis: int) -> np.ndarray:
    return softmax_vjp(softmax(scores, axis=axis), grad_weights, axis=axis)


register(Exercise(
    key="ch4-ex1", chapter="04_batched_jacobians", answer="batched_jacobian",
    skill="broadcasting builds every row's Jacobian block at once, for any leading "
          "batch axes",
    reference=lambda probs: softmax_jacobian(probs),
    probes=_probs_probes(((3, 5), (4, 4), (5,), (2, 3, 4), (2, 1, 3, 5)), seed=41),
    constraints=("no loop", "no smgrad"),
    phrases=("`batched_jacobian(probs)`", "`(..., n)`", "`probs.shape + (n,)`",
             "any number of leading batch axes", "no Python loop", "no `smgrad`")))

register(Exercise(
    key="ch4-ex2", chapter="04_batched_jacobians", answer="per_sample_blocks",
    skill="read a whole Jacobian's axes: the per-sample Jacobians are its diagonal "
          "blocks",
    reference=lambda full: np.einsum("bibj->bij", full),
    probes=_full_probes(),
    phrases=("`per_sample_blocks(full)`", "`(B, n, B, n)`", "`(B, n, n)`")))

register(Exercise(
    key="ch4-ex3", chapter="04_batched_jacobians", answer="attention_grad",
    skill="choose the softmax axis: attention's distributions run along the keys, "
          "every other axis is a batch axis",
    reference=lambda scores, grad_weights: _softmax_grad_along(scores, grad_weights, -1),
    probes=_attention_probes(),
    constraints=("no jacobian",), memory_probe=(1, 2, 4, 512),
    phrases=("`attention_grad(scores, grad_weights)`", "`(B, H, Q, K)`",
             "without building a Jacobian"),
    known=(
        Known("wrong_axis", "the softmax is taken along axis -2 (a distribution over "
              "the queries), not along the keys",
              lambda s, g: _softmax_grad_along(s, g, -2)),
    )))


def _log_softmax_function_rule(answer: object) -> Callable:
    """The learner's ``torch.autograd.Function`` class as a numpy rule ``(probs,
    grad_out) -> grad_x`` for log-softmax (:func:`smgrad._autograd_functions.as_rule`)."""
    from ._autograd_functions import as_rule
    return as_rule(answer, "log_softmax")


register(Exercise(
    key="ch4-ex4", chapter="04_batched_jacobians", answer="LogSoftmaxFunction",
    skill="a custom autograd Function: forward saves what backward needs, backward "
          "returns the vector-Jacobian product of a Jacobian that is not symmetric",
    reference=lambda probs, grad_out: log_softmax_vjp(probs, grad_out),
    probes=_vjp_probes(((3, 5), (4, 4), (5,), (2, 3, 4)), seed=44),
    dtype="float64", rule="log_softmax", adapt=_log_softmax_function_rule,
    phrases=("`LogSoftmaxFunction`", "`torch.autograd.Function`", "`dim=-1`")))


# --- chapter 5 --------------------------------------------------------------------------

def _lse_probes() -> tuple:
    rows = {"logits as large as 1e4": [1e4, 1e4 - 1, -1e4, 0.0],
            "moderate logits": [0.5, -1.2, 2.0],
            "logits as small as -1e4": [-1e4, -1e4 + 3.0],
            "a row with -inf entries": [-np.inf, 0.5, 2.0, -np.inf]}
    return tuple(Probe(f"{name} (float32)", (np.float32(row),), {})
                 for name, row in rows.items())


def _naive_lse(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.log(np.exp(x).sum())


def _bce_probes() -> tuple:
    return (Probe("z of shape (8,)", (np.array([-1000.0, -30.0, -1.0, 0.0, 2.5, 30.0,
                                                 40.0, 700.0]),), {}),
            Probe("z of shape (2, 2)", (np.array([[-50.0, 50.0], [700.0, -700.0]]),), {}))


def _bce_shift_only(z: np.ndarray) -> np.ndarray:
    return np.maximum(-z, 0.0) + np.log(1.0 + np.exp(-np.abs(z)))


def _bce_naive(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.log(1.0 + np.exp(-z))


def _masked_grad(scores: np.ndarray, keep: np.ndarray,
                 grad_probs: np.ndarray) -> np.ndarray:
    return softmax_vjp(softmax(np.where(keep, scores, -np.inf)), grad_probs)


def _mask_probes() -> tuple:
    rng = np.random.default_rng(51)
    probes = []
    for shape in ((2, 5), (4, 4), (3, 6)):
        keep = rng.random(shape) < 0.6
        keep[:, 0] = True   # every row keeps a position
        probes.append(Probe(f"scores of shape {shape}",
                            (rng.standard_normal(shape), keep, rng.standard_normal(shape)),
                            _shape_factors(shape)))
    return tuple(probes)


register(Exercise(
    key="ch5-ex1", chapter="05_stability", answer="stable_logsumexp",
    skill="shift by the largest logit: log-sum-exp without overflow, in float32",
    reference=lambda x: logsumexp(np.asarray(x, dtype=np.float64)),
    probes=_lse_probes(), dtype="float32",
    phrases=("`stable_logsumexp(x)`", "1-D float32 array", "returned as a float32 number",
             "$10^4$", "`-inf`"),
    known=(
        Known("overflow", "e^x overflows float32 for logits this large: the sum is inf",
              _naive_lse),
    )))

register(Exercise(
    key="ch5-ex2", chapter="05_stability", answer="two_class_loss",
    skill="keep the digits of a tiny loss: log(1 + y) for small y, and no overflow for "
          "large -z",
    reference=lambda z: np.logaddexp(0.0, -z),
    probes=_bce_probes(), dtype="float64", relative=True,
    phrases=("`two_class_loss(z)`", "float64", "relative", "as large as 1000"),
    known=(
        Known("overflow", "e^(-z) overflows for the most negative z: the loss is inf "
              "there", _bce_naive),
        Known("digits_lost", "where the loss is tiny (z of 30 and more) the answer is 0 "
              "or wrong from its first digit, though it is close where the loss is "
              "large: 1 + e^(-z) rounds to 1", _bce_shift_only),
    )))

register(Exercise(
    key="ch5-ex3", chapter="05_stability", answer="masked_softmax_grad",
    skill="a masked position has probability 0 and gradient 0: -inf never enters the "
          "backward pass",
    reference=_masked_grad,
    probes=_mask_probes(),
    phrases=("`masked_softmax_grad(scores, keep, grad_probs)`", "(batch, n)"),
    known=(
        Known("mask_not_applied", "the masked positions have a non-zero gradient: the "
              "mask was not applied, so masked scores still get probability",
              lambda s, k, g: softmax_vjp(softmax(s), g)),
        Known("mask_multiplied", "the masked positions have a non-zero gradient: the "
              "scores were multiplied by the mask, and a score of 0 is not masked (its "
              "probability is not 0)",
              lambda s, k, g: softmax_vjp(softmax(s * k), g)),
    )))


# --- chapter 6 --------------------------------------------------------------------------

SPEED_SHAPE = (6, 10)
_ROWS, _N = SPEED_SHAPE

register(Exercise(
    key="speed-ex1", chapter="06_speed", answer="full_bytes",
    skill="count a whole batch Jacobian's memory: (rows n)^2 entries, quadratic in the "
          "batch",
    reference=lambda: (_ROWS * _N) ** 2 * 4,
    dtype="int",
    phrases=("`full_bytes`", "`probs.shape + probs.shape`", "`(6, 10)`", "an `int`"),
    known=(
        Known("per_row_blocks", "this is the size of the per-row blocks; the whole "
              "Jacobian also holds the zero blocks between different rows",
              lambda: _ROWS * _N * _N * 4),
        Known("entries_not_bytes", "this counts entries, not bytes",
              lambda: (_ROWS * _N) ** 2),
        Known("float64_itemsize", "this counts 8 bytes an entry: probs_small is float32",
              lambda: (_ROWS * _N) ** 2 * 8),
    )))
