"""Shared test configuration: Hypothesis profiles and the MXNet fixture.

Profiles (choose with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``ci`` (the default): derandomized, so every run (and CI) draws the same examples;
  no deadline (the first PyTorch or MXNet call of a process is slow); few enough
  examples that the whole suite runs in about a minute on a 2-core machine.
* ``dev``: many more random examples, for hunting bugs locally::

      HYPOTHESIS_PROFILE=dev .venv/bin/python -m pytest tests

Oracles, strategies and tolerances live in ``tests/oracles.py`` and
``tests/strategies.py``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=80,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=500,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def mx():
    """The ``mxnet`` module, imported quietly through smgrad; skips where it cannot be
    imported (the numpy 2 environment has no MXNet: it pins numpy 1.23)."""
    from smgrad.frameworks import import_mxnet, quiet_mxnet

    try:
        with quiet_mxnet():
            return import_mxnet()
    except Exception as exc:  # ImportError, or a broken install (OSError, AttributeError)
        pytest.skip(f"MXNet cannot be imported here: {type(exc).__name__}: {exc}")
