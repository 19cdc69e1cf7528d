"""The whole-workflow benchmark's bookkeeping: job times by stage, every run's metrics."""

import json

from nnphys.bench.workflow import STAGES, job_seconds, run_metrics


def test_job_seconds_are_summed_per_benchmark_file(tmp_path):
    for path, rows in {"reference/heat1d.tsv": ["1.5"], "operator/poisson/fno-s0/train.tsv": ["10", "2.5"]}.items():
        f = tmp_path / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("s\th:m:s\tmax_rss\n" + "".join(f"{r}\t0:00:01\t1\n" for r in rows))
    jobs = job_seconds(tmp_path)
    assert jobs == {"reference/heat1d": 1.5, "operator/poisson/fno-s0/train": 12.5}
    assert {k.split("/")[0] for k in jobs} <= set(STAGES)


def test_every_runs_metrics_are_kept(tmp_path):
    run = tmp_path / "pinn" / "nls" / "tanh-s0"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(json.dumps({"problem": "nls", "train_seconds": 3.0,
                                                  "metrics": {"rel_l2_abs": 1e-2, "rel_l2_h": 5e-2}}))
    assert run_metrics(tmp_path) == {"pinn/nls/tanh-s0": {"rel_l2_abs": 1e-2, "rel_l2_h": 5e-2, "train_seconds": 3.0}}
