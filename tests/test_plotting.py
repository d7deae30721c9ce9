"""smgrad.plotting, smoke tests with the Agg backend: the figures build, show what they
should (symmetric colour limits, one bar per value), and bad input gets a clear error."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from smgrad import plotting  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_jacobian_heatmap_builds_with_zero_in_the_middle(ax):
    s = np.array([0.1, 0.2, 0.7])
    jac = np.diag(s) - np.outer(s, s)
    image = plotting.jacobian_heatmap(jac, ax=ax, title="J")
    limit = np.abs(jac).max()
    assert image.get_clim() == pytest.approx((-limit, limit))
    np.testing.assert_array_equal(image.get_array(), jac)
    assert ax.get_title() == "J"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.figure.axes) == 2                  # the heat map and its colour bar
    ax.figure.canvas.draw()


def test_jacobian_heatmap_of_zeros_and_without_colorbar(ax):
    image = plotting.jacobian_heatmap(np.zeros((4, 4)), ax=ax, colorbar=False)
    assert image.get_clim() == (-1.0, 1.0)           # not a zero-width colour range
    assert len(ax.figure.axes) == 1
    ax.figure.canvas.draw()


def test_jacobian_heatmap_uses_current_axes():
    fig = plt.figure()
    try:
        image = plotting.jacobian_heatmap(np.eye(2))
        assert image.axes is plt.gca()
    finally:
        plt.close(fig)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3), ()])
def test_jacobian_heatmap_needs_2d(ax, shape):
    with pytest.raises(ValueError, match=r"\bjacobian\b.*2-D"):
        plotting.jacobian_heatmap(np.zeros(shape), ax=ax)


def test_compare_bars_one_bar_per_value(ax):
    values = {"smgrad": [0.1, -0.2, 0.3], "torch": np.array([0.1, -0.2, 0.3]),
              "mxnet": [[0.1, -0.2, 0.3]]}
    out = plotting.compare_bars(values, ax=ax, labels=["a", "b", "c"], title="t")
    assert out is ax
    assert len(ax.patches) == 9
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == sorted([0.1, -0.2, 0.3] * 3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["smgrad", "torch", "mxnet"]
    ax.figure.canvas.draw()


def test_compare_bars_needs_equal_lengths(ax):
    with pytest.raises(ValueError, match=r"\bvalues\b.*lengths"):
        plotting.compare_bars({"a": [1, 2, 3], "b": [1, 2]}, ax=ax)
