"""The families every exercise must tell apart, made from its first right attempt: the
stub, a missing ``return``, a flipped sign, a lower precision than the one asked, an
extra axis, a string. Imported after the other modules, whose attempts it reads."""

import numpy as np

from smgrad import exercises

from .attempts_base import ATTEMPTS, add

_LOWER = {"float32": np.float16, "float64": np.float32}


def _first_right(key):
    return next(a.answer for a in ATTEMPTS if a.key == key and a.verdict == "right")


def _wrapped(fn, change):
    return lambda *args: change(np.asarray(fn(*args)))


def _stub(*args):
    ...


def _no_return(*args):
    args[0].sum()


for key, exercise in exercises.REGISTRY.items():
    answer = _first_right(key)
    if exercise.is_value:
        value = np.asarray(answer)
        add(key, "generic: the stub", "not attempted", ...)
        # with two classes, -(the gradient of s_1) is the gradient of s_0
        add(key, "generic: sign flipped", "wrong", -value,
            says="s_0" if key == "ch1-ex2" else "sign")
        add(key, "generic: an extra axis", "wrong shape", value[None], says="shape")
        if exercise.dtype in _LOWER:
            add(key, "generic: float16", "wrong type", value.astype(np.float16),
                says=exercise.dtype)
        continue
    add(key, "generic: the stub (body ...)", "not attempted", _stub)
    if exercise.adapt is not None:   # a class answer: its own module has these attempts
        continue
    add(key, "generic: no return", "wrong", _no_return, says="is a `return` missing?")
    add(key, "generic: sign flipped", "wrong", _wrapped(answer, np.negative),
        says="sign")
    add(key, "generic: an extra axis", "wrong shape", _wrapped(answer, lambda a: a[None]),
        says="shape")
    add(key, "generic: a string", "wrong type", lambda *args: "0.5", says="a str")
    if exercise.dtype in _LOWER:
        lower = _LOWER[exercise.dtype]
        add(key, f"generic: {np.dtype(lower).name}", "wrong type",
            _wrapped(answer, lambda a, lower=lower: a.astype(lower)), says=exercise.dtype)
