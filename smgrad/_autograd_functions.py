"""Backward rules written where people write them: PyTorch and MXNet custom Functions,
and plain functions on PyTorch tensors, judged by :func:`smgrad.diagnose` as numpy rules.

:func:`judge` is the whole interface. It recognises what it was given without importing
a framework (a class is a custom Function when ``torch.autograd.Function`` or
``mxnet.autograd.Function`` is among its bases, read from the names in its MRO), turns
it into a numpy rule ``rule(probs, grad_out) -> grad_x`` (``rule(logits, targets)`` for
``"cross_entropy"``), and hands that to the numpy judge it is given:

* a **custom Function** (the class itself): each call applies its forward to the probe's
  logits ``x = log(probs)`` (``softmax(x) == probs``), checks that forward computes
  softmax, log_softmax or the mean cross-entropy, then runs its backward through the
  framework's autograd with the probe's ``grad_out`` (for the loss, a head gradient of
  1) and returns what the Function's backward returned. It is judged in float64, then in
  float32. A forward that computes something else, raises, returns ``None``, a
  non-tensor or the wrong shape gets a verdict of its own (:class:`Problem`), and so does
  a backward that returns a non-tensor or the wrong number of gradients: no named
  backward mistake, and nothing raised through.
* a **plain function on tensors** (``probs.sum(dim=-1, keepdim=True)``, ``torch.exp``):
  it is called with numpy arrays first, as every rule is; when that fails as only
  tensor code fails (a keyword numpy does not know, ``dim=`` or ``keepdim=``; a torch
  function refusing a numpy array; a method numpy arrays lack and tensors have, such as
  ``.unsqueeze``), it is called with float64 tensors instead, for every probe.

>>> import numpy as np
>>> judged = judge(lambda s, g: s * g, "softmax", judge_rule=lambda fn: fn.__name__,
...                refuse=print)
>>> judged                             # a numpy rule goes to the numpy judge as it is
'<lambda>'
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

import numpy as np

from ._compare import compare, kind_of, precision_of, tolerance
from .forward import log_softmax

__all__ = ["judge", "as_rule", "Problem", "FunctionError", "framework_of",
           "missing_framework"]

Verdict = TypeVar("Verdict")

#: The dtypes a custom Function is judged in, in this order.
DTYPES = ("float64", "float32")

_FUNCTION_BASES = {"torch": ("torch.autograd.function", "Function"),
                   "mxnet": ("mxnet.autograd", "Function")}
_TITLES = {"torch": "PyTorch", "mxnet": "MXNet"}
_INSTALL = {"torch": "pip install torch",
            "mxnet": "MXNet 1.9.1 needs numpy < 1.24 and x86-64: "
                     "pip install mxnet==1.9.1 numpy==1.23.5"}


@dataclass(frozen=True)
class Problem:
    """A verdict that is not about the backward's values: the Function's forward is not
    the rule's function, or it (or the backward) returned something autograd refuses.

    Attributes
    ----------
    symptom : str
        ``"wrong forward"``, ``"raised"``, ``"returned None"``, ``"wrong type"`` or
        ``"wrong shape"``.
    explanation : str
        What happened, in plain words (no fix, no expected value).
    fix : str
        What to change.
    dtype : str
        The probes' dtype when it happened.
    probe : int
        The probe's number, counting from 0.
    shape : tuple of int
        The probe's shape.
    """

    symptom: str
    explanation: str
    fix: str
    dtype: str = "float64"
    probe: int = 0
    shape: tuple = ()


class FunctionError(Exception):
    """A custom Function that cannot be judged as a backward rule: its forward is not the
    rule's function, or autograd would refuse what it returns. The message says which
    (a :class:`Problem`'s explanation)."""


# --- recognising what was given ----------------------------------------------------------

def framework_of(obj: object) -> Optional[str]:
    """``"torch"`` or ``"mxnet"`` when ``obj`` is a custom Function class of that framework
    (or its ``apply``, or an instance), else ``None``. Reads class names only: imports
    nothing.

    >>> framework_of(lambda s, g: g) is None
    True
    """
    cls = _class_of(obj)
    for klass in cls.__mro__[1:]:
        for name, (module, base) in _FUNCTION_BASES.items():
            if klass.__name__ == base and klass.__module__ == module:
                return name
    return None


def _class_of(obj: object) -> type:
    """The class of a custom Function given as the class, its ``apply`` or an instance."""
    if inspect.ismethod(obj) and isinstance(obj.__self__, type):
        return obj.__self__
    return obj if isinstance(obj, type) else type(obj)


def missing_framework(exc: BaseException) -> Optional[str]:
    """The message for an ``ImportError`` of PyTorch or MXNet (a file that imports one
    where it is not installed); ``None`` for any other error.

    >>> print(missing_framework(ModuleNotFoundError("no", name="mxnet")))
    MXNet is not installed in this environment (MXNet 1.9.1 needs numpy < 1.24 and x86-64: pip install mxnet==1.9.1 numpy==1.23.5)
    """
    name = getattr(exc, "name", None) or ""
    top = name.split(".")[0]
    if not isinstance(exc, ImportError) or top not in _TITLES:
        return None
    return f"{_TITLES[top]} is not installed in this environment ({_INSTALL[top]})"


def _torch_installed() -> bool:
    return "torch" in sys.modules or importlib.util.find_spec("torch") is not None


# --- the entry point ---------------------------------------------------------------------

def judge(obj: Callable, rule: str, judge_rule: Callable[[Callable], Verdict],
          refuse: Callable[[str, Problem], Verdict]) -> Verdict:
    """The verdict on ``obj`` under ``rule``.

    Parameters
    ----------
    obj : callable
        A numpy rule, a function on PyTorch tensors, or a custom Function class.
    rule : {"softmax", "log_softmax", "cross_entropy"}
    judge_rule : callable
        The numpy judge: ``judge_rule(fn) -> verdict`` for a rule ``fn(a, b)``.
    refuse : callable
        ``refuse(rule, problem) -> verdict`` for a :class:`Problem`.

    Returns
    -------
    verdict
        ``judge_rule``'s verdict on the rule ``obj`` stands for (for a Function, the
        float64 one, or the float32 one where only that is wrong, its message beginning
        "wrong in float32 (right in float64): "), or ``refuse``'s.
    """
    framework = framework_of(obj)
    if framework is None:
        return judge_rule(_TensorFallback(obj) if _torch_installed() else obj)
    cls = _class_of(obj)
    first = None
    for dtype in DTYPES:
        fn = _FunctionRule(_FRAMEWORKS[framework](cls), rule, dtype)
        verdict = judge_rule(fn)
        if fn.problem is not None:
            return refuse(rule, fn.problem)
        if first is None:
            first = verdict
        if not getattr(verdict, "ok", False):
            return verdict if dtype == DTYPES[0] else _in_dtype(verdict, dtype)
    return first


def as_rule(answer: object, rule: str = "softmax", dtype: str = "float64") -> Callable:
    """A custom Function class as a numpy rule, for an exercise's ``adapt``
    (:mod:`smgrad.exercises`): ``rule(probs, grad_out) -> grad_x`` (``rule(logits,
    targets)`` for ``"cross_entropy"``), computed in ``dtype``. A bad Function makes the
    rule raise :class:`FunctionError` saying what is wrong; an answer that is no custom
    Function makes it raise ``TypeError`` saying so. It never raises itself.

    >>> fn = as_rule(lambda probs, grad_out: grad_out)
    >>> fn(None, None)
    Traceback (most recent call last):
    TypeError: the answer is a function, not a subclass of torch.autograd.Function
    """
    framework = framework_of(answer)
    if framework is None:
        what = kind_of(answer) if not callable(answer) or isinstance(answer, type) \
            else "a function"

        def not_a_function_class(*args: object) -> None:
            raise TypeError(f"the answer is {what}, not a subclass of "
                            f"torch.autograd.Function")
        return not_a_function_class
    return _FunctionRule(_FRAMEWORKS[framework](_class_of(answer)), rule, dtype)


def _in_dtype(verdict: Verdict, dtype: str) -> Verdict:
    """``verdict`` saying that it holds in ``dtype`` (the rule is right in float64)."""
    fields = {f.name for f in dataclasses.fields(verdict)}
    changes = {}
    for name in ("message", "explanation"):
        text = getattr(verdict, name, "") if name in fields else ""
        if text:
            head, sep, rest = text.partition(": ")
            changes[name] = (f"{head} in {dtype} (right in float64){sep}{rest}"
                             if head == "wrong" else f"in {dtype}: {text}")
    if "where" in fields and getattr(verdict, "where"):
        changes["where"] = f"{verdict.where}, in {dtype}"
    return dataclasses.replace(verdict, **changes)


# --- plain functions on tensors ----------------------------------------------------------

_NUMPY_LACKS = ("unexpected keyword argument 'dim'", "unexpected keyword argument 'keepdim'")


def _tensor_only(exc: BaseException) -> bool:
    """True when ``exc``, raised by code called with numpy arrays, says it is tensor code."""
    text = str(exc)
    if isinstance(exc, TypeError):
        return any(words in text for words in _NUMPY_LACKS) or (
            "numpy.ndarray" in text and "Tensor" in text)
    if isinstance(exc, AttributeError) and text.startswith("'numpy.ndarray' object has "
                                                           "no attribute "):
        method = text.rsplit(" ", 1)[-1].strip("'")
        torch = sys.modules.get("torch")     # imported already: ask it; else the list
        return hasattr(torch.Tensor, method) if torch else method in _TENSOR_METHODS
    return False


#: Tensor methods that numpy arrays lack, common in backward code: what recognises tensor
#: code where PyTorch is not imported yet (once it is, ``torch.Tensor`` is asked).
_TENSOR_METHODS = frozenset(
    "unsqueeze exp log softmax log_softmax diag_embed diagflat t mm bmm matmul expand "
    "expand_as view_as clone detach numpy new_zeros new_ones new_tensor sub "
    "mul div add pow neg abs outer masked_fill gather scatter index_select permute dim "
    "numel float double type_as to cpu requires_grad_ sub_ mul_ add_ div_".split())


def _torch():
    from .frameworks import import_torch
    return import_torch()


class _TensorFallback:
    """``fn`` called with numpy arrays; once that fails as tensor code fails, with
    float64 tensors (copies of the same values) from then on."""

    def __init__(self, fn: Callable) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.tensors = False

    def __call__(self, a: np.ndarray, b: np.ndarray) -> object:
        if not self.tensors:
            try:
                return self.fn(a, b)
            except (TypeError, AttributeError) as exc:
                if not _tensor_only(exc):
                    raise
                self.tensors = True
        torch = _torch()
        return self.fn(torch.from_numpy(a), torch.from_numpy(b))


# --- custom Functions --------------------------------------------------------------------

class _FunctionRule:
    """A custom Function as a numpy rule, in one dtype. ``problem`` holds the first
    :class:`Problem` met; the call that met it raises :class:`FunctionError`."""

    def __init__(self, framework: "_Framework", rule: str, dtype: str) -> None:
        self.framework, self.rule, self.dtype = framework, rule, dtype
        self.problem: Optional[Problem] = None
        self.targets_as: Optional[str] = None       # "one-hot" or "class indices"
        self.calls: list[tuple] = []                 # the shape of each probe called
        self.__name__ = framework.cls.__name__

    def refuse(self, symptom: str, explanation: str, fix: str) -> FunctionError:
        if self.problem is None:
            self.problem = Problem(symptom, explanation, fix, self.dtype,
                                   len(self.calls) - 1, self.calls[-1])
        return FunctionError(explanation)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> object:
        if self.problem is not None:
            raise FunctionError(self.problem.explanation)
        self.calls.append(np.shape(a))
        if self.rule != "cross_entropy":
            x = np.log(a)
            expected = np.exp(log_softmax(x)) if self.rule == "softmax" else log_softmax(x)
            inputs = [self.framework.tensor(x, self.dtype, leaf=True)]
            return self._run(inputs + [-1] * self.framework.extra_axis_inputs(),
                             expected, b)
        if self.targets_as is None:
            self.targets_as = self._targets_form(a, b)
        return self._run(*self._loss_inputs(a, b, self.targets_as))

    def _run(self, inputs: list, expected: np.ndarray, head: np.ndarray) -> object:
        """Forward, checked; backward through autograd with ``head``; its gradient."""
        out = self._forward(inputs, expected)
        head = np.broadcast_to(head, self.framework.shape(out))
        raw = self._backward(out, inputs[0], self.framework.tensor(head, self.dtype))
        return self._gradient(raw, len(inputs))

    # the forward -----------------------------------------------------------------------

    def _what(self) -> str:
        return {"softmax": "softmax(x) along the last axis",
                "log_softmax": "log_softmax(x) along the last axis",
                "cross_entropy": "the cross-entropy of the logits and targets, "
                                 "averaged over the rows"}[self.rule]

    def _forward(self, inputs: list, expected: np.ndarray) -> object:
        try:
            out = self.framework.forward(inputs)
        except FunctionError:
            raise
        except Exception as exc:
            raise self.refuse("raised", f"its forward raised {type(exc).__name__}: "
                                        f"{exc}", f"make forward compute {self._what()}")
        problem = self._check_output(out, expected)
        if problem is not None:
            raise self.refuse(*problem)
        return out

    def _check_output(self, out: object, expected: np.ndarray
                      ) -> Optional[tuple[str, str, str]]:
        fix = f"make forward return {self._what()}, as {self.framework.a_tensor}"
        if out is None:
            return ("returned None", "its forward returned None: is a `return` missing?",
                    fix)
        if not self.framework.is_tensor(out):
            return ("wrong type", f"its forward returned {kind_of(out)}, not "
                                  f"{self.framework.a_tensor}", fix)
        value = self.framework.numpy(out)
        if self.rule == "cross_entropy" and value.size == 1:
            value = value.reshape(())
        if value.shape != expected.shape:
            return ("wrong shape", f"its forward returned shape {value.shape} for inputs "
                                   f"of shape {self._input_shape}", fix)
        rtol, atol = tolerance(precision_of(value))
        if compare(value, expected, rtol, atol).ok:
            return None
        return ("wrong forward", self._forward_is_not(value, expected, rtol, atol),
                f"make forward compute {self._what()}; diagnose judges a backward "
                f"against its forward")

    def _forward_is_not(self, value: np.ndarray, expected: np.ndarray, rtol: float,
                        atol: float) -> str:
        head = f"its forward is not {self.rule}: it does not compute {self._what()}"
        if self.rule == "cross_entropy":
            rows = self._input_shape[0]
            if compare(value, rows * expected, rtol, atol).ok:
                return (f"{head}; it returns the loss summed over the rows, {rows} times "
                        f"the mean (diagnose checks the mean, PyTorch's default "
                        f"reduction='mean')")
            return f"{head}; it returns {float(value):.6g}"
        found = compare(value, expected, rtol, atol)
        return f"{head}; the largest difference is at index {found.where}"

    # the backward ----------------------------------------------------------------------

    def _backward(self, out: object, x: object, head: object) -> object:
        try:
            return self.framework.backward(out, x, head)
        except FunctionError:
            raise
        except _UserError as error:
            raise error.exc from None   # the learner's exception, as a numpy rule's
        except Exception as exc:
            raise self.refuse("raised", f"{self.framework.title}'s autograd could not "
                                            f"run its backward: {type(exc).__name__}: {exc}",
                              "return the forward's result as a tensor")

    def _gradient(self, raw: object, count: int) -> object:
        """The gradient for ``x`` from what backward returned (one per forward input)."""
        if isinstance(raw, (tuple, list)) and not self.framework.is_tensor(raw):
            if len(raw) != count:
                raise self.refuse(
                    "wrong type", f"its backward returned {len(raw)} gradients for the "
                                  f"{count} input(s) of forward",
                    "return one gradient per input of forward (None for an input that "
                    "needs none)")
            raw = raw[0]
        elif count != 1:
            raise self.refuse(
                "wrong type", f"its backward returned one value for the {count} inputs "
                              f"of forward", "return one gradient per input of forward "
                                             "(None for an input that needs none)")
        if raw is None:
            return None
        if not self.framework.is_tensor(raw):
            raise self.refuse("wrong type", f"its backward returned {kind_of(raw)}, not "
                                            f"{self.framework.a_tensor}",
                              "return the gradient as a tensor")
        return self.framework.numpy(raw)

    # the loss's inputs -----------------------------------------------------------------

    @property
    def _input_shape(self) -> tuple:
        return self.framework.last_shape

    def _loss_inputs(self, logits: np.ndarray, targets: np.ndarray, form: str
                     ) -> tuple[list, np.ndarray, np.ndarray]:
        """``[logits, targets]`` as tensors (the targets one-hot or as class indices),
        the mean cross-entropy, and the head gradient 1."""
        expected = np.asarray(-(targets * log_softmax(logits)).sum(axis=-1).mean())
        if form == "one-hot":
            t = self.framework.tensor(targets, self.dtype)
        else:
            t = self.framework.tensor(targets.argmax(axis=-1),
                                      self.framework.index_dtype or self.dtype)
        return ([self.framework.tensor(logits, self.dtype, leaf=True), t], expected,
                np.ones((), dtype=self.dtype))

    def _targets_form(self, logits: np.ndarray, targets: np.ndarray) -> str:
        """The first form of targets the Function runs with, forward and backward (so a
        loss with class indices is judged with them); one-hot when none runs."""
        for form in _TARGET_FORMS:
            try:
                self._run(*self._loss_inputs(logits, targets, form))
            except Exception:   # a problem met while trying is no verdict yet
                self.problem = None
                continue
            return form
        return _TARGET_FORMS[0]


_TARGET_FORMS = ("one-hot", "class indices")


class _UserError(Exception):
    """The Function's own backward raised ``exc``."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc


class _Framework:
    """What differs between PyTorch and MXNet: tensors, applying a Function, autograd."""

    title = ""
    a_tensor = ""
    index_dtype: Optional[str] = "int64"   # None: the logits' dtype

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.last_shape: tuple = ()
        self.record: dict = {}

    def extra_axis_inputs(self) -> int:
        """1 when forward takes a required ``dim`` (or ``axis``) after ``x``, else 0."""
        names = [p.name for p in inspect.signature(self._forward_fn()).parameters.values()
                 if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                        p.POSITIONAL_OR_KEYWORD)]
        return int(names[-1:] in (["dim"], ["axis"]) and len(names) > 1)

    def _forward_fn(self) -> Callable:
        return self.cls.forward

    def _recorded_backward(self, call: Callable[[], object]) -> object:
        """Run the Function's backward; its result (or exception) goes to the record."""
        try:
            self.record["backward"] = call()
        except Exception as exc:  # reported as the learner's, never raised through
            self.record["error"] = exc

    def _raw_backward(self) -> object:
        if "error" in self.record:
            raise _UserError(self.record["error"])
        if "backward" not in self.record:
            raise RuntimeError("its backward was never called")
        return self.record["backward"]


class _Torch(_Framework):
    title = "PyTorch"
    a_tensor = "a PyTorch tensor"

    def __init__(self, cls: type) -> None:
        super().__init__(cls)
        self.torch = _torch()
        framework = self

        def backward(ctx, *grads):
            framework._recorded_backward(lambda: cls.backward(ctx, *grads))
            return (None,) * len(ctx.needs_input_grad)

        self.probe = type(cls.__name__, (cls,), {"backward": staticmethod(backward),
                                                 "__module__": cls.__module__})

    def _forward_fn(self) -> Callable:
        overrides = any("setup_context" in vars(k) for k in self.cls.__mro__
                        if k.__module__ != "torch.autograd.function")
        forward = self.cls.forward
        return forward if overrides else functools.partial(forward, None)

    def is_tensor(self, value: object) -> bool:
        return isinstance(value, self.torch.Tensor)

    def tensor(self, array: np.ndarray, dtype: str, leaf: bool = False) -> object:
        t = self.torch.tensor(np.asarray(array), dtype=getattr(self.torch, dtype))
        if leaf:
            self.last_shape = tuple(t.shape)
        return t.requires_grad_(True) if leaf else t

    def shape(self, value: object) -> tuple:
        return tuple(value.shape)

    def numpy(self, value: object) -> np.ndarray:
        return value.detach().cpu().numpy()

    def forward(self, inputs: list) -> object:
        self.record = {}
        return self.probe.apply(*inputs)

    def backward(self, out: object, x: object, head: object) -> object:
        self.torch.autograd.grad(out, x, grad_outputs=head.to(out.dtype),
                                 allow_unused=True)
        return self._raw_backward()


class _MXNet(_Framework):
    title = "MXNet"
    a_tensor = "an MXNet NDArray"
    index_dtype = None        # mx.nd.pick takes indices as floats, in the data's dtype

    def __init__(self, cls: type) -> None:
        super().__init__(cls)
        from .frameworks import import_mxnet, quiet_mxnet
        self.mx, self.quiet = import_mxnet(), quiet_mxnet
        framework, NDArray = self, self.mx.nd.NDArray

        def forward(instance, *inputs):
            out = cls.forward(instance, *inputs)
            framework.record["forward"] = out
            return out if isinstance(out, NDArray) else inputs[0].copy()

        def backward(instance, *grads):
            framework._recorded_backward(lambda: cls.backward(instance, *grads))
            zeros = [t.zeros_like() for t in framework.record["inputs"]]
            return zeros[0] if len(zeros) == 1 else tuple(zeros)

        self.probe = type(cls.__name__, (cls,), {"forward": forward, "backward": backward,
                                                 "__module__": cls.__module__})

    def _forward_fn(self) -> Callable:
        return functools.partial(self.cls.forward, None)

    def is_tensor(self, value: object) -> bool:
        return isinstance(value, self.mx.nd.NDArray)

    def tensor(self, array: np.ndarray, dtype: str, leaf: bool = False) -> object:
        with self.quiet():
            t = self.mx.nd.array(np.asarray(array), dtype=dtype)
        if leaf:
            self.last_shape = t.shape
            t.attach_grad()
        return t

    def shape(self, value: object) -> tuple:
        return tuple(value.shape)

    def numpy(self, value: object) -> np.ndarray:
        with self.quiet():
            return value.asnumpy()

    def forward(self, inputs: list) -> object:
        self.record = {"inputs": [t for t in inputs if self.is_tensor(t)]}
        with self.quiet(), self.mx.autograd.record():
            self.record["output"] = self.probe()(*inputs)
        return self.record["forward"]

    def backward(self, out: object, x: object, head: object) -> object:
        with self.quiet():
            self.record["output"].backward(head)
            self.mx.nd.waitall()   # the engine runs the backward asynchronously
        return self._raw_backward()


_FRAMEWORKS: dict[str, Callable[[type], _Framework]] = {"torch": _Torch, "mxnet": _MXNet}
