"""The figure benchmark: it draws every figure of every run the report draws, times each format apart, and
leaves the style as it found it."""

import json

import pytest

import fake
from nnphys.bench import figures as bench
from nnphys.evaluation import style
from nnphys.evaluation.figures import FORMATS, OPERATOR, PINN


def test_every_figure_of_every_run_is_drawn_and_timed_in_each_format(tmp_path):
    results = tmp_path / "results"
    fake.write_results(results)
    rc_before = style.Style.rc
    out = tmp_path / "figures.json"
    bench.main(["--results", str(results), "--rc", '{"pdf.fonttype": 3}', "--out", str(out)])
    assert style.Style.rc is rc_before
    got = json.loads(out.read_text())
    runs = {str(p.relative_to(results)) for p in bench.run_dirs(results)}
    assert set(got["runs"]) == runs | {"summary"} and len(runs) == 8
    for run, saves in got["runs"].items():
        names = ("summary",) if run == "summary" else PINN if run.startswith("pinn/") else OPERATOR
        assert set(saves) == {f"{n}.{f}" for n in names for f in FORMATS}, run
        assert all(s > 0 for s in saves.values())
    total = got["save_seconds"]
    assert total["all"] == pytest.approx(total["all.png"] + total["all.pdf"])
    assert total["all"] == pytest.approx(sum(sum(s.values()) for s in got["runs"].values()))
    assert got["rc"] == {"pdf.fonttype": 3} and got["import_seconds"] > 0
    assert got["workers"] >= 1 and got["draw_seconds_workers"] > 0


def test_a_folder_without_runs_is_refused_by_name(tmp_path):
    with pytest.raises(SystemExit, match=f"no run with a prediction.nc under {tmp_path}"):
        bench.main(["--results", str(tmp_path), "--out", str(tmp_path / "f.json")])
