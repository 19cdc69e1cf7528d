"""Whether a drawn figure reads: every label inside the page, no label running into another panel's labels
or over another panel's plotting area."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _shown(labels, axis: int, limits) -> list:
    """The tick labels inside the view (an axis also keeps labels for ticks just outside it)."""
    lo, hi = sorted(limits)
    span = hi - lo
    return [t for t in labels if lo - 1e-9 * span <= t.get_position()[axis] <= hi + 1e-9 * span]


def _texts(ax) -> Iterator[Any]:
    yield from (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts,
                ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text())
    for axis, i, limits in ((ax.xaxis, 0, ax.get_xlim()), (ax.yaxis, 1, ax.get_ylim())):
        yield from _shown(axis.get_ticklabels(minor=False), i, limits)
        yield from _shown(axis.get_ticklabels(minor=True), i, limits)
    if ax.get_legend() is not None:
        yield from ax.get_legend().get_texts()
    for child in ax.child_axes:  # colorbars drawn as insets of their panel
        yield from _texts(child)


def problems(fig, renderer, pad: float = 1.0) -> list[str]:
    """What does not read in ``fig`` as drawn by ``renderer``: text outside the page, text of one panel (with
    its colorbars) touching text of another or the plotting area of another; ``pad`` pixels of air."""
    groups = [[t for t in _texts(ax) if t.get_visible() and t.get_text()] for ax in fig.axes]
    groups += [[t] for t in fig.texts if t.get_visible() and t.get_text()]
    groups += [[t for t in legend.get_texts() if t.get_text()] for legend in fig.legends]
    boxes = [[(t.get_text(), t.get_window_extent(renderer).padded(pad)) for t in g] for g in groups]
    areas = [[ax.get_window_extent(renderer), *(c.get_window_extent(renderer) for c in ax.child_axes)]
             for ax in fig.axes]
    page = fig.bbox.padded(pad)
    found = []
    for i, group in enumerate(boxes):
        for text, box in group:
            if not (page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1):
                found.append(f"{text!r} leaves the page")
            for other in boxes[i + 1:]:
                found += [f"{text!r} runs into {other_text!r}" for other_text, other_box in other
                          if box.overlaps(other_box)]
            found += [f"{text!r} lies over panel {j}" for j, area in enumerate(areas)
                      if j != i and i < len(areas) and any(box.overlaps(a.padded(-pad)) for a in area)]
    return found
