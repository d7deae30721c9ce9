"""The corpus's bookkeeping: each attempt is an answer to one exercise with the verdict
that :func:`smgrad.feedback.check` must give it and, for a wrong one, words its message
must contain (the mistake it must name).

Attempts are written as a learner would write them: right ones in several styles (a
loop, einsum or matmul, float32, a list, a PyTorch tensor), wrong ones by family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

try:
    import torch
except ImportError:  # the attempts that need PyTorch are left out
    torch = None


@dataclass(frozen=True)
class Attempt:
    key: str
    label: str
    verdict: str            # a feedback status: "right", "wrong", "wrong type", ...
    says: Optional[str]     # words the message must contain (the mistake named)
    answer: object


ATTEMPTS: list[Attempt] = []


def add(key: str, label: str, verdict: str, answer: object,
        says: Optional[str] = None) -> None:
    """Record one attempt (a value, or a function)."""
    if verdict != "right" and says is None and verdict == "wrong":
        raise ValueError(f"{key} {label}: a wrong attempt names its mistake")
    ATTEMPTS.append(Attempt(key, label, verdict, says, answer))


def right(key: str, label: str) -> Callable:
    """Decorator: a function that is a right answer to ``key``."""
    def record(fn):
        add(key, label, "right", fn)
        return fn
    return record


def wrong(key: str, label: str, says: str, verdict: str = "wrong") -> Callable:
    """Decorator: a function that is a wrong answer to ``key``, whose feedback says
    ``says``."""
    def record(fn):
        add(key, label, verdict, fn, says)
        return fn
    return record
