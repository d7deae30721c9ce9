"""Figures the chapters share, and the book's one figure style. Needs matplotlib
(imported when a function is called).

A figure is drawn at :data:`FIGURE_WIDTH` inches, the width of the book's text column
at 100 dpi, so a font size in points is the size the reader sees at the page width; on
a phone the whole figure is scaled down by the same factor. :func:`use_book_style`
sets the sizes, :func:`smallest_text_px` measures what a reader would see, and
``tests/test_plotting.py`` fails on a chapter figure whose text is too small.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = ["jacobian_heatmap", "compare_bars", "use_book_style", "smallest_text_px",
           "BOOK_STYLE", "DPI", "FIGURE_WIDTH", "PAGE_WIDTH_PX", "PHONE_WIDTH_PX",
           "MIN_TEXT_PX"]

# The text column of a chapter page in a 1280 px window, and on a 390 px phone (less
# the page's margins): the widths at which a figure is shown.
PAGE_WIDTH_PX = 650
PHONE_WIDTH_PX = 358
# The smallest text height, in CSS pixels, that a reader should have to read: at the
# page width, and on the phone (where pinch-zoom is one gesture away).
MIN_TEXT_PX = {"page": 11.0, "phone": 6.0}
DPI = 100
FIGURE_WIDTH = PAGE_WIDTH_PX / DPI  # inches: drawn at the width it is shown at
BOOK_STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.figsize": (FIGURE_WIDTH, 0.6 * FIGURE_WIDTH),
    "font.size": 11.0,
    "axes.titlesize": 11.5,
    "axes.labelsize": 11.0,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "legend.fontsize": 10.5,
    "figure.titlesize": 12.0,
}


def use_book_style() -> None:
    """Set matplotlib's defaults to the book's figure style (:data:`BOOK_STYLE`).

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from smgrad.plotting import use_book_style, FIGURE_WIDTH
        >>> use_book_style()
        >>> matplotlib.rcParams["figure.figsize"][0] == FIGURE_WIDTH
        True
    """
    import matplotlib

    matplotlib.rcParams.update(BOOK_STYLE)


def smallest_text_px(fig, shown_width_px: float = PAGE_WIDTH_PX) -> float:
    """The height, in CSS pixels, of the smallest visible text of ``fig`` when the
    figure is shown ``shown_width_px`` wide (an image is scaled down to fit its column,
    never up). ``inf`` for a figure without text.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from smgrad.plotting import smallest_text_px
        >>> fig = plt.figure(figsize=(6.5, 3), dpi=100)
        >>> _ = fig.text(0.5, 0.5, "small", fontsize=7.2)
        >>> round(smallest_text_px(fig, 650), 1)       # 7.2 pt at 100 dpi: 10 px
        10.0
        >>> round(smallest_text_px(fig, 325), 1)       # shown at half the width
        5.0
        >>> plt.close("all")
    """
    if shown_width_px <= 0:
        raise ValueError(f"shown_width_px must be positive, got {shown_width_px}")
    drawn_px = fig.get_figwidth() * fig.dpi
    scale = min(1.0, shown_width_px / drawn_px)
    sizes = [text.get_fontsize() * fig.dpi / 72 * scale
             for text in fig.findobj(lambda a: hasattr(a, "get_fontsize")
                                     and hasattr(a, "get_text"))
             if text.get_visible() and text.get_text().strip()]
    return float(min(sizes, default=float("inf")))


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
