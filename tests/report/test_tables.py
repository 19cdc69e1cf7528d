"""Error tables: per-run rows, mean ± std over seeds, and errors that name the run and the file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nnphys.evaluation.tables import aggregate, per_run, write_tables
from nnphys.io import DataError


def metrics_files(root):
    return sorted(root.glob("*/*/*/metrics.json"))


def test_aggregate_is_mean_and_sample_std_over_seeds(results, tmp_path):
    csv, summary, md = tmp_path / "errors.csv", tmp_path / "errors_summary.csv", tmp_path / "errors.md"
    write_tables(metrics_files(results), csv, summary, md, {"heat1d": "rel_l2"})
    runs = pd.read_csv(csv)
    assert len(runs) == 8 and set(runs["kind"]) == {"pinn", "operator"}
    agg = pd.read_csv(summary).set_index(["problem", "model"])
    heat = agg.loc[("heat1d", "mlp")]
    assert heat["n"] == 2
    assert heat["rel_l2_mean"] == pytest.approx(0.015)                    # seeds 0.01 and 0.02
    assert heat["rel_l2_std"] == pytest.approx(0.01 / np.sqrt(2), rel=1e-5)  # ddof = 1
    assert np.isnan(agg.loc[("nls", "mlp")]["rel_l2_abs_std"])             # one seed: no spread
    text = md.read_text()
    assert "| heat1d | pinn | mlp | 2 | rel_l2 | 0.015 ± 0.0071 |" in text
    assert "## poisson (operator)" in text


def test_metrics_not_reported_by_a_problem_stay_empty(results):
    df = per_run(metrics_files(results))
    nls = df[df["problem"] == "nls"].iloc[0]
    assert np.isnan(nls["rel_l2"]) and nls["rel_l2_abs"] == pytest.approx(0.012)
    assert aggregate(df)["n"].sum() == len(df)


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "malformed JSON"),
    (json.dumps({"kind": "pinn"}), "missing key"),
    (json.dumps({"kind": "pinn", "problem": "heat1d", "model": "mlp", "seed": 0, "run": "mlp-s0", "device": "cpu",
                 "train_seconds": 1.0, "metrics": {"rel_l2": "small"}}), "not numbers"),
])
def test_malformed_metrics_name_the_run_and_the_file(tmp_path, content, fragment):
    path = tmp_path / "pinn" / "heat1d" / "mlp-s0" / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(DataError, match=fragment) as err:
        per_run([path])
    assert "run heat1d/mlp-s0" in str(err.value) and str(path) in str(err.value)


def test_missing_metrics_file_names_the_run(tmp_path):
    path = tmp_path / "operator" / "poisson" / "unet-s3" / "metrics.json"
    with pytest.raises(DataError, match="run poisson/unet-s3: .*metrics.json: file not found"):
        per_run([path])


def test_cli_stops_with_one_line_naming_the_run(tmp_path, capsys):
    from nnphys import cli

    path = tmp_path / "pinn" / "nls" / "mlp-s2" / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text("[]")
    out = tmp_path / "report"
    rc = cli.main(["tables", "--metrics", str(path), "--csv", str(out / "e.csv"), "--summary-csv",
                   str(out / "s.csv"), "--md", str(out / "e.md")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "run nls/mlp-s2" in err and str(path) in err and "expected a JSON object" in err
    assert not out.exists()
