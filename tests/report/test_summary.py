"""Run summary: stage times from Snakemake benchmark files, devices and versions, HTML and Markdown."""

from __future__ import annotations

import pytest

from nnphys.evaluation.report import read_benchmarks, stage_times, write_summary
from nnphys.io import DataError

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path, seconds, rss="NA"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\tNA\tNA\tNA\tNA\tNA\t0\t0\n")


def test_stage_times_sum_jobs_per_stage(tmp_path):
    bench(tmp_path / "reference" / "heat1d.tsv", 1.5, 100)
    bench(tmp_path / "reference" / "nls.tsv", 2.5, 300)
    bench(tmp_path / "pinn" / "heat1d" / "mlp-s0" / "train.tsv", 40.0)
    stages = stage_times(read_benchmarks(tmp_path)).set_index("stage")
    assert stages.loc["reference", "jobs"] == 2
    assert stages.loc["reference", "total_s"] == pytest.approx(4.0)
    assert stages.loc["reference", "peak_rss_mb"] == pytest.approx(300)
    assert stages.loc["pinn", "longest_s"] == pytest.approx(40.0)


def test_summary_says_what_ran_where_and_how_long(results, tmp_path):
    bench(tmp_path / "bench" / "pinn" / "train.tsv", 12.0)
    html, md = tmp_path / "summary.html", tmp_path / "summary.md"
    write_summary(sorted(results.glob("*/*/*/metrics.json")), tmp_path / "bench", {"device": "auto"}, html, md)
    text = md.read_text()
    assert "8 trained runs on device(s): cpu" in text
    assert "| pinn | 1 | 12 | 12 |" in text and "| torch |" in text and '"device": "auto"' in text
    assert "<table>" in html.read_text()


def test_a_broken_benchmark_file_is_named(tmp_path):
    path = tmp_path / "pinn" / "x.tsv"
    path.parent.mkdir()
    path.write_text("garbage\n")
    with pytest.raises(DataError, match=f"{path}: not a Snakemake benchmark table"):
        read_benchmarks(tmp_path)
