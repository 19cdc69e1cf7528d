"""Regeneration from cache on a finished smoke run: the report needs only saved files.

After a full run, changing a plotting option plans only report jobs (default run), regenerating the
report for real runs only those and leaves nothing to do (slow: it redraws every figure), and
`snakemake --report` builds the HTML report. Works on a copy of the session's smoke run, so other
tests see it unchanged.
"""

from __future__ import annotations

import shutil
import time

import pytest

from helpers import jobs
from nnphys.evaluation.figures import OPERATOR, PINN

REPORT_RULES = {"figures", "report_tables", "draw_figures", "report_summary", "all"}
PLOTTING = "report:\n  dpi: 50\n  font_size: 7\n"


def rules_run(output: str) -> set[str]:
    return {job.rule for job in jobs(output)}


@pytest.fixture
def finished(smoke_run, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(smoke_run, work, symlinks=True)
    return work


@pytest.fixture
def plotting_change(finished, run_snakemake, tmp_path):
    """(override file with new plotting options, the rules a plain dry run plans on the finished run).

    On a finished run that baseline is empty. It holds jobs only when the package sources changed
    after the smoke run (their fingerprints are in params); the plotting change may add report jobs only.
    """
    override = tmp_path / "plotting.yaml"
    override.write_text(PLOTTING)
    return override, rules_run(run_snakemake(finished, "-n").stdout)


def test_report_outputs_of_the_smoke_run(smoke_run):
    results = smoke_run / "results"
    report = results / "report"
    assert "nnphys run summary" in (report / "summary.md").read_text()
    assert "<table>" in (report / "summary.html").read_text()
    runs = {path.parent.relative_to(results) for path in results.glob("*/*/*/metrics.json")}
    assert {run.parts[0] for run in runs} == {"pinn", "operator"}
    names = {"pinn": PINN, "operator": OPERATOR}
    expected = {report / "figures" / run / f"{name}.png" for run in runs for name in names[run.parts[0]]}
    expected.add(report / "figures" / "summary.png")
    assert set(report.rglob("*.png")) == expected
    for png in expected:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.with_suffix(".pdf").exists(), png


def test_plotting_change_plans_only_report_jobs(finished, plotting_change, run_snakemake):
    override, baseline = plotting_change
    for target in ("figures", "all"):
        dry = run_snakemake(finished, "-n", target, overrides=[override])
        assert dry.returncode == 0, dry.stderr[-3000:]
        planned = rules_run(dry.stdout + dry.stderr)
        assert "draw_figures" in planned and planned - baseline <= REPORT_RULES, planned - baseline - REPORT_RULES


@pytest.mark.slow
def test_plotting_change_regenerates_only_the_report(finished, plotting_change, run_snakemake):
    override, baseline = plotting_change
    start = time.perf_counter()
    real = run_snakemake(finished, "--cores", "2", "figures", overrides=[override])
    seconds = time.perf_counter() - start
    assert real.returncode == 0, real.stderr[-3000:]
    ran = rules_run(real.stdout + real.stderr)
    assert "draw_figures" in ran and ran - baseline <= REPORT_RULES, ran - baseline - REPORT_RULES
    print(f"regenerated the report ({sorted(ran)}) in {seconds:.1f} s")
    again = rules_run(run_snakemake(finished, "-n", overrides=[override]).stdout)
    assert again - baseline <= {"all"}, f"a second run still has work to do: {again}"


def test_snakemake_html_report(finished, run_snakemake):
    out = finished / "report.html"
    result = run_snakemake(finished, "--report", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert out.stat().st_size > 100_000
