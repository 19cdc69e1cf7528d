"""Progress bars that read well both in a terminal and in a Snakemake log file."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


def progress(total: int, desc: str, initial: int = 0) -> tqdm:
    """A tqdm bar on stderr; in a log file (not a TTY) it writes a line every few seconds, not every step."""
    tty = sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=desc, file=sys.stderr, dynamic_ncols=tty,
                mininterval=0.1 if tty else 5.0, ascii=not tty, smoothing=0.1)
