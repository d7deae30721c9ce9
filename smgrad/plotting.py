"""Figures the chapters share. Needs matplotlib (imported when a function is called)."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = ["jacobian_heatmap", "compare_bars"]


def jacobian_heatmap(jacobian: np.ndarray, ax=None, title: Optional[str] = None,
                     xlabel: str = "input $x_j$", ylabel: str = "output $s_i$",
                     colorbar: bool = True):
    """Show a 2-D Jacobian as a heat map, with 0 in white (red > 0, blue < 0).

    Returns the matplotlib ``AxesImage``.

    Examples:
        >>> import matplotlib  # doctest: +NEEDS_MATPLOTLIB
        >>> matplotlib.use("Agg")                 # no window: draw off screen
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from smgrad.plotting import jacobian_heatmap
        >>> image = jacobian_heatmap(np.array([[0.25, -0.25], [-0.25, 0.25]]))
        >>> image.get_clim()                      # symmetric: 0 is white
        (-0.25, 0.25)
        >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    jacobian = np.asarray(jacobian)
    if jacobian.ndim != 2:
        raise ValueError(f"jacobian has shape {jacobian.shape}; reshape it to 2-D "
                         f"(outputs x inputs) first")
    ax = ax if ax is not None else plt.gca()
    limit = float(np.abs(jacobian).max()) or 1.0
    image = ax.imshow(jacobian, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return image


def compare_bars(values: Mapping[str, Sequence[float]], ax=None,
                 labels: Optional[Sequence[str]] = None, title: Optional[str] = None,
                 ylabel: str = "value"):
    """Grouped bars: one group per entry index, one bar per named series.

    Args:
        values: series name -> 1-D values, all of one length.
        labels: the x tick labels (default ``0, 1, ...``).

    Returns the matplotlib ``Axes``.

    Examples:
        >>> import matplotlib  # doctest: +NEEDS_MATPLOTLIB
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from smgrad.plotting import compare_bars
        >>> ax = compare_bars({"right": [0.25, -0.25], "diagonal only": [0.25, 0.0]},
        ...                   labels=["x1", "x2"], ylabel="gradient")
        >>> len(ax.patches)                       # 2 series x 2 groups
        4
        >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.gca()
    series = {name: np.ravel(v) for name, v in values.items()}
    lengths = {len(v) for v in series.values()}
    if len(lengths) != 1:
        raise ValueError(f"values have lengths {sorted(lengths)}; every series needs "
                         f"one value per group")
    (n,) = lengths
    width = 0.8 / len(series)
    positions = np.arange(n)
    for k, (name, v) in enumerate(series.items()):
        ax.bar(positions + (k - (len(series) - 1) / 2) * width, v, width, label=name)
    ax.set_xticks(positions)
    ax.set_xticklabels(labels if labels is not None else [str(i) for i in range(n)])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
