"""The shared look of every figure: a PDF embeds each font once."""

from __future__ import annotations

import re

from nnphys.evaluation import style as st


def test_a_pdf_embeds_each_font_once(tmp_path):
    with st.figure(st.Style(dpi=40), 3.0, 2.0, ncols=2) as (fig, axes):
        axes[0].plot([-2.0, -1.0], [-1e-3, 1e-2])  # tick labels with the minus sign U+2212
        axes[1].semilogy([1, 2], [1e-5, 1.0])        # mathtext tick labels 10^{-5}
        axes[1].set_title("predicted − true: φ [V], ρ/ε₀, ± 2 %")
        st.panel_letters(axes)
        st.save(fig, tmp_path / "f.png", tmp_path / "f.pdf")
    fonts = re.findall(rb"/FontName /[A-Z]{6}\+([\w-]+)", (tmp_path / "f.pdf").read_bytes())
    assert fonts and len(fonts) == len(set(fonts)), fonts
