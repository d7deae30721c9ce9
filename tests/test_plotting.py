"""smgrad.plotting with the Agg backend: the figures build, show what they should
(symmetric colour limits, one bar per value), bad input gets a clear error, and the
book's figures have text a reader can read at the page width and on a phone."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.font_manager import font_scalings  # noqa: E402

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


# ---------------------------------------------------------------- the book's figure style
def test_smallest_text_px_measures_what_a_reader_sees():
    fig = plt.figure(figsize=(13.0, 4.0), dpi=100)            # drawn 1300 px wide
    try:
        fig.text(0.1, 0.5, "tiny", fontsize=7.2)                 # 10 px as drawn
        fig.text(0.5, 0.5, "large", fontsize=20)
        fig.text(0.8, 0.5, "   ")                                # blank: not text to read
        assert plotting.smallest_text_px(fig, 1300) == pytest.approx(10.0)
        assert plotting.smallest_text_px(fig, 650) == pytest.approx(5.0)   # scaled down
        assert plotting.smallest_text_px(fig, 2600) == pytest.approx(10.0)  # never up
        with pytest.raises(ValueError, match="shown_width_px"):
            plotting.smallest_text_px(fig, 0)
    finally:
        plt.close(fig)


def test_a_figure_drawn_wide_with_small_text_fails_the_phone_limit():
    fig, ax = plt.subplots(figsize=(12.5, 5.4), dpi=100)       # the old Fig. 5
    try:
        ax.text(0, 0, "-0.012", fontsize=7)
        assert plotting.smallest_text_px(fig, plotting.PHONE_WIDTH_PX) < \
            plotting.MIN_TEXT_PX["phone"]
        assert plotting.smallest_text_px(fig, plotting.PAGE_WIDTH_PX) < \
            plotting.MIN_TEXT_PX["page"]
    finally:
        plt.close(fig)


def test_the_shared_figures_are_readable_in_the_book_style():
    with matplotlib.rc_context(plotting.BOOK_STYLE):
        fig, (left, right) = plt.subplots(1, 2)
        try:
            assert fig.get_figwidth() == plotting.FIGURE_WIDTH
            plotting.jacobian_heatmap(np.eye(3) - 1 / 3, ax=left, title="J")
            plotting.compare_bars({"a": [1.0, -1.0], "b": [0.5, 0.0]}, ax=right)
            fig.canvas.draw()
            for where, width in (("page", plotting.PAGE_WIDTH_PX),
                                 ("phone", plotting.PHONE_WIDTH_PX)):
                assert plotting.smallest_text_px(fig, width) >= plotting.MIN_TEXT_PX[where]
        finally:
            plt.close(fig)


# Every figure of the chapters: the widths and font sizes its cell asks for, under the
# book style its setup cell sets, must give text of at least MIN_TEXT_PX at the page
# width and on a phone.
BOOK = Path(__file__).resolve().parents[1] / "book"
STYLED_CHAPTERS = ["01_zero_gradient", "02_fused_loss", "02b_train_digits",
                   "03_chain_rule_vjp", "04_batched_jacobians", "05_stability",
                   "06_speed"]


def _figure_cells(chapter: str) -> list:
    nb = json.loads((BOOK / f"{chapter}.ipynb").read_text())
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and "mystnb" in c["metadata"]
            and {"figure", "image"} & set(c["metadata"]["mystnb"])]


def _size(node: ast.AST) -> float:
    """A figure width or font size as the cell writes it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Attribute) and node.attr == "FIGURE_WIDTH":
        return plotting.FIGURE_WIDTH
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "small", ...
        return plotting.BOOK_STYLE["font.size"] * font_scalings[node.value]
    raise AssertionError(f"cannot read a size from {ast.dump(node)}")


def _widths_and_font_sizes(source: str) -> tuple:
    tree = ast.parse("\n".join(l for l in source.splitlines() if not l.startswith("%")))
    widths, sizes = [], []
    for node in ast.walk(tree):
        for kw in getattr(node, "keywords", []):
            if kw.arg == "figsize":
                widths.append(_size(kw.value.elts[0]))
            elif kw.arg in ("fontsize", "size") and isinstance(node, ast.Call):
                sizes.append(_size(kw.value))
    return widths or [plotting.FIGURE_WIDTH], sizes


def test_every_chapter_sets_the_book_style():
    for chapter in STYLED_CHAPTERS:
        source = (BOOK / f"{chapter}.ipynb").read_text()
        assert "smgrad.plotting.use_book_style()" in source, chapter


@pytest.mark.parametrize("chapter", STYLED_CHAPTERS)
def test_chapter_figures_have_text_a_reader_can_read(chapter):
    cells = _figure_cells(chapter)
    assert cells, f"{chapter} has no figure"
    style_sizes = [v for k, v in plotting.BOOK_STYLE.items() if k.endswith("size")
                   and not k.startswith("figure.fig")]
    too_small = []
    for index, source in cells:
        widths, sizes = _widths_and_font_sizes(source)
        smallest_pt = min(style_sizes + sizes)
        drawn_px = max(widths) * plotting.DPI
        for where, shown in (("page", plotting.PAGE_WIDTH_PX),
                             ("phone", plotting.PHONE_WIDTH_PX)):
            px = smallest_pt * plotting.DPI / 72 * min(1.0, shown / drawn_px)
            if px < plotting.MIN_TEXT_PX[where]:
                too_small.append(f"cell {index}: {smallest_pt} pt in a {max(widths)} in "
                                 f"figure is {px:.1f} px on the {where}")
    assert too_small == []
