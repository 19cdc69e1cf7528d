"""One look for every figure: matplotlib settings, axis labels from netCDF attributes, layout, saving.

Every figure goes through :func:`figure` (a style context and a new figure) and
:func:`save` (the same figure as PNG for the HTML report and PDF for papers).
Axis and colorbar labels come from a variable's ``long_name`` and ``units``
attributes, so units are never typed by hand.

Two layouts. A figure made by :func:`figure` is laid out by matplotlib's constrained layout, which
measures every label: right for a figure drawn once (a study). The figures drawn for every run, and
again on every ``report:`` change, place their panels at fixed distances instead (:func:`canvas`,
:func:`panels`, :func:`colorbar`), in units of the font size, so a larger ``font_size`` gets larger
margins; measuring was 40 % of the time of drawing them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from fontTools import subset  # noqa: E402
from matplotlib.ticker import LogFormatter, LogFormatterSciNotation, LogLocator, NullLocator  # noqa: E402

# Every PDF embeds a subset of its TrueType fonts (pdf.fonttype 42), cut by fontTools with the OpenType layout tables
# (GSUB, GPOS, GDEF) kept and pruned. A PDF places each glyph itself and no viewer reads those tables, but
# decompiling and pruning DejaVu Sans's was a sixth of the time of drawing the report's figures: drop them. matplotlib
# makes its own fontTools options, so the default list they start from is the one place to say so; a fontTools
# without it only subsets more slowly.
_DROPPED = getattr(subset.Options, "_drop_tables_default", None)
if _DROPPED is not None:
    _DROPPED += [t for t in ("GSUB", "GPOS", "GDEF") if t not in _DROPPED]

# The text width of a journal page, inches: figures are drawn to span it.
TEXT_IN = 7.0


@dataclass(frozen=True)
class Style:
    """The plotting options of the ``report`` config section that change how figures look."""

    dpi: int = 150
    font_size: float = 8.0
    cmap: str = "viridis"
    diverging_cmap: str = "RdBu_r"
    error_cmap: str = "magma"

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Style":
        return cls(**{f.name: cfg[f.name] for f in fields(cls) if f.name in cfg})

    def rc(self) -> dict[str, Any]:
        return {
            "figure.dpi": self.dpi,
            "savefig.dpi": self.dpi,
            "font.size": self.font_size,
            "axes.titlesize": self.font_size,
            "axes.labelsize": self.font_size,
            "legend.fontsize": self.font_size - 1,
            "xtick.labelsize": self.font_size - 1,
            "ytick.labelsize": self.font_size - 1,
            "axes.grid": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "image.cmap": self.cmap,
            "lines.linewidth": 1.2,
            "pdf.fonttype": 42,  # embed TrueType: text stays editable in the PDF
            "figure.constrained_layout.use": True,
        }


@contextlib.contextmanager
def figure(style: Style, width: float = TEXT_IN, height: float = 2.5, **subplots: Any) -> Iterator[tuple]:
    """``(fig, axes)`` from ``plt.subplots`` under the style; the figure is closed on exit."""
    with plt.rc_context(style.rc()):
        fig, axes = plt.subplots(figsize=(width, height), **subplots)
        try:
            yield fig, axes
        finally:
            plt.close(fig)


@dataclass(frozen=True)
class Margins:
    """Fixed space around and between a grid of panels, in ems (multiples of the font size).

    ``left``, ``right``, ``bottom``, ``top``: from the edges of the figure (or of the part of it given to
    :func:`panels`) to the panels; ``wgap``: between columns (one number, or one per gap), ``hgap``: between
    rows. The space is for the labels: y tick labels and label on the left, x tick labels and label below,
    titles above, colorbars right of their panel.
    """

    left: float = 5.5
    right: float = 1.8
    bottom: float = 3.6
    top: float = 1.6
    wgap: float | tuple[float, ...] = 6.5
    hgap: float = 1.0

    def gaps(self, ncols: int) -> np.ndarray:
        """The ``ncols - 1`` gaps between columns, in ems."""
        return np.broadcast_to(np.asarray(self.wgap, dtype=float), (max(ncols - 1, 0),))

    def panel_width(self, width: float, ncols: int, style: "Style") -> float:
        """Width of each of ``ncols`` panels across a figure ``width`` inches wide, in ems."""
        return (width * 72.0 / style.font_size - self.left - self.right - self.gaps(ncols).sum()) / ncols


@contextlib.contextmanager
def canvas(style: Style, width: float = TEXT_IN, height: float = 2.5) -> Iterator[Any]:
    """A new figure under the style with no layout engine (panels placed by :func:`panels`); closed on exit."""
    with plt.rc_context(style.rc() | {"figure.constrained_layout.use": False}):
        fig = plt.figure(figsize=(width, height))
        try:
            yield fig
        finally:
            plt.close(fig)


def panels(fig: Any, nrows: int, ncols: int, margins: Margins, style: Style, aspect: float | None = None,
           box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)) -> np.ndarray:
    """A (nrows, ncols) array of new axes of equal size, ``margins`` apart, in the part ``box`` = (x0, y0,
    x1, y1) of ``fig`` (figure fractions).

    ``aspect``: height / width of every panel (a map in equal units); the figure's height is then set so
    that the panels fill its width (``box`` must then be the whole figure).
    """
    em = style.font_size / 72.0  # inches
    width, height = fig.get_size_inches()
    x0, y0, x1, y1 = box
    gaps = margins.gaps(ncols) * em
    w = ((x1 - x0) * width - (margins.left + margins.right) * em - gaps.sum()) / ncols
    if aspect is not None:
        height = (margins.bottom + margins.top + (nrows - 1) * margins.hgap) * em + nrows * aspect * w
        fig.set_size_inches(width, height)
    h = ((y1 - y0) * height - (margins.bottom + margins.top + (nrows - 1) * margins.hgap) * em) / nrows
    if w <= 0 or h <= 0:
        raise ValueError(f"a {width:.2f} x {height:.2f} in figure has no room for {nrows} x {ncols} panels "
                         f"with these margins at font size {style.font_size} (report.font_size)")
    lefts = x0 * width + margins.left * em + np.concatenate(([0.0], np.cumsum(gaps))) + w * np.arange(ncols)
    tops = y1 * height - margins.top * em - (h + margins.hgap * em) * np.arange(nrows)
    return np.array([[fig.add_axes((left / width, (top - h) / height, w / width, h / height)) for left in lefts]
                     for top in tops])


def colorbar(mappable: Any, ax: Any, label: str | None = None, format: str | None = None,
             pad: float = 0.06, width: float = 0.08) -> Any:
    """A colorbar as tall as ``ax``, ``pad`` inches right of it, ``width`` inches wide: an inset of the
    panel, so it follows the panel and needs no layout engine."""
    fig = ax.figure
    panel = ax.get_position().width * fig.get_size_inches()[0]
    cax = ax.inset_axes((1 + pad / panel, 0.0, width / panel, 1.0))
    return fig.colorbar(mappable, cax=cax, label=label, format=format)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class LogFormatterUnicode(LogFormatter):
    """Log-axis tick labels ``10⁻³``, ``2×10⁻³`` in plain text, where matplotlib writes mathtext (``$10^{-3}$``):
    parsing those was a fifth of the time of drawing a figure of loss curves. Which ticks get labels (decades;
    some minor ticks on a short axis) is :class:`~matplotlib.ticker.LogFormatter`'s choice, as for the default."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        exponent = math.floor(math.log10(x) + 1e-9)
        coeff = round(x / 10.0**exponent)
        power = "10" + str(exponent).translate(_SUPERSCRIPT)
        return power if coeff == 1 else f"{coeff}×{power}"


def _log_axes(fig: Any) -> None:
    """Every base-10 log axis of ``fig``: plain-text labels for matplotlib's default (mathtext) ones, and on an axis
    spanning more than 4 decades minor ticks at the decades only (2..9 times each: dozens of ticks, each an object
    to create and lay out, too dense to read)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log" or getattr(axis.get_transform(), "base", 10) != 10:
                continue
            if type(axis.get_major_formatter()) is LogFormatterSciNotation:
                axis.set_major_formatter(LogFormatterUnicode())
            minor = axis.get_minor_formatter()
            if type(minor) is LogFormatterSciNotation:
                axis.set_minor_formatter(LogFormatterUnicode(labelOnlyBase=minor.labelOnlyBase))
            lo, hi = sorted(axis.get_view_interval())
            if lo > 0 and math.log10(hi / lo) > 4:
                axis.set_minor_locator(LogLocator(subs=(1.0,), numticks=100))


def save(fig: Any, png: str | Path, pdf: str | Path | None = None) -> None:
    """Write ``fig`` as PNG (report) and, if given, PDF (papers); parent folders are created.

    The layout is solved once, for the PNG; the PDF reuses it (layout is most of
    the time a figure takes).
    """
    # matplotlib 3.11's PDF writer sizes its font subsets by ps.fonttype, not pdf.fonttype: with Type 3's 256
    # glyphs (the default) every glyph past U+00FF (the minus sign −, Greek letters) went into a second embedded
    # copy of a TrueType font, which doubled the time of writing each PDF's fonts.
    same_font_type = {"ps.fonttype": matplotlib.rcParams["pdf.fonttype"]}
    _log_axes(fig)
    for path in (png, pdf):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with matplotlib.rc_context(same_font_type):
                fig.savefig(path)
            fig.set_layout_engine("none")


def label(var: xr.DataArray, name: str | None = None) -> str:
    """``long_name [units]`` of a variable or coordinate (``[-]`` for dimensionless)."""
    long_name = name or var.attrs.get("long_name", var.name)
    units = var.attrs.get("units", "")
    return f"{long_name} [{units}]" if units not in ("", "1") else f"{long_name} [-]"


# error metrics (metrics.json keys; all dimensionless) as axis labels
METRIC_LABELS = {
    "rel_l2": "rel. L2 error", "rel_l2_abs": "rel. L2 error of |h|", "rel_l2_complex": "rel. L2 error of h",
    "k_rel_error": "rel. error of the estimate k̂",
    "k_crlb_rel_std": "Cramér–Rao bound on the rel. std of k̂", "rel_l2_mean": "test rel. L2 error (mean)",
    "rel_l2_median": "test rel. L2 error (median)", "one_step_rel_l2": "one-step rel. L2 error",
    "rollout_rel_l2_final": "rel. L2 error after the rollout", "rollout_rel_l2_mean": "rollout rel. L2 error (mean)",
    "nrmse": "normalized RMS error",
}


def metric_label(metric: str) -> str:
    """Axis label of an error metric: its description if known, else its key; ``[-]``: they are ratios."""
    return f"{METRIC_LABELS.get(metric, metric)} [-]"


def outer_ticks(axes: Any) -> None:
    """Map panels on a grid (``axes``: 2D array), all over the same domain: ticks only on the left column's y axes
    and the bottom row's x axes. Not shared axes: those still compute (and lay out) every hidden tick label, half
    of the time of drawing a grid of maps."""
    for (i, j), ax in np.ndenumerate(axes):
        if j > 0:
            ax.yaxis.set_major_locator(NullLocator())
        if i < axes.shape[0] - 1:
            ax.xaxis.set_major_locator(NullLocator())


def panel_letters(axes: Any) -> None:
    """(a), (b), ... in the top-left corner of each axis, as journals want."""
    for i, ax in enumerate(getattr(axes, "flat", axes)):
        ax.text(-0.02, 1.02, f"({chr(ord('a') + i)})", transform=ax.transAxes, ha="right", va="bottom",
                fontweight="bold")
