"""Every sweep's report: quartiles and divergences per parameter point, band figures, the summary index."""

import csv
import json
import math

import numpy as np
import pytest

from ringbench import sweep
from ringbench.cli import main
from ringbench.results import ResultFileError
from ringbench.sweep import bands
from ringbench.sweep.store import INDEX

CONFIG = """
name = "report"
n = 6
t_max = 30.0
checkpoints = 15
target = 0.05

[seeds]
root = 5
replicates = 4

[[problems]]
name = "worst-case"
d = [6, 8]
noise_std = 0.05

[[timings]]
name = "paper"

[[methods]]
name = "ringmaster"
gamma = 0.2
threshold = [1, 3]

[[methods]]
name = "asgd"
gamma = [0.05, 5.0]
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    config = sweep.parse(CONFIG)
    return config, out, sweep.run(config, out, executor="threads", workers=1)


def test_bands_table_has_the_quartiles_of_each_parameter_point(swept):
    config, out, outcome = swept
    assert len(outcome.statistics) == 2 * 4  # two settings, four points each
    with open(outcome.files["bands_csv"], newline="") as stream:
        written = list(csv.DictReader(stream))
    assert [row["point"] for row in written[:4]] == ["ringmaster threshold=1", "ringmaster threshold=3",
                                                     "asgd gamma=0.05", "asgd gamma=5"]
    for entry in outcome.statistics:
        rows = [row for row in outcome.rows if row["label"] == entry["label"]
                and json.dumps({k[7:]: v for k, v in row.items() if k.startswith("method.")}, sort_keys=True)
                == json.dumps({k[7:]: v for k, v in entry.items() if k.startswith("method.")}, sort_keys=True)
                and entry["setting"].startswith(f"worst-case d={row['problem.d']} ")]
        assert entry["seeds"] == len(rows) == 4
        for column in ("final_grad_norm2", "final_f_gap"):
            values = [math.inf if row["status"] == "diverged" else row[column] for row in rows]
            expected = bands.quantiles(np.array(values))
            got = [entry[f"{column}_q25"], entry[f"{column}_median"], entry[f"{column}_q75"]]
            assert got == pytest.approx(expected.tolist())
        times = [math.inf if row["time_to_target"] is None else row["time_to_target"] for row in rows]
        assert entry["time_to_target_median"] == pytest.approx(float(np.median(times)))  # inf: never reached
        assert entry["reached"] == sum(row["time_to_target"] is not None for row in rows)


def test_divergences_are_named_per_parameter_point(swept):
    config, out, outcome = swept
    diverged = {entry["point"]: json.loads(entry["diverged_seeds"]) for entry in outcome.statistics
                if entry["diverged"]}
    assert set(diverged) == {"asgd gamma=5"}
    assert diverged["asgd gamma=5"] == [0, 1, 2, 3]
    lines = sweep.report.divergences(outcome.statistics)
    assert len(lines) == 2 and all(line.startswith("asgd gamma=5 on worst-case d=") for line in lines)
    assert "diverged on 4 of 4 seeds (seed indices 0, 1, 2, 3)" in lines[0]


def test_every_sweep_writes_one_band_figure_per_setting(swept):
    config, out, outcome = swept
    assert [path.name for path in outcome.files["figures"]] == ["bands-1.png", "bands-2.png"]
    assert all(path.stat().st_size > 10_000 for path in outcome.files["figures"])


def test_summary_reads_the_index_not_the_result_files(swept, tmp_path):
    config, out, outcome = swept
    index = (out / INDEX).read_text().splitlines()
    assert len(index) == len(outcome.specs)
    victim = outcome.specs[0].run_id
    (out / "runs" / f"{victim}.npz").rename(tmp_path / "hidden.npz")  # the summary must not need it
    try:
        rows, statistics = sweep.summarize(config, out)
        assert rows == outcome.rows and statistics == outcome.statistics
        with pytest.raises(ResultFileError, match="no such file"):  # a rebuild reads every result file
            sweep.summarize(config, out, rebuild=True)
    finally:
        (tmp_path / "hidden.npz").rename(out / "runs" / f"{victim}.npz")


def test_a_cut_index_line_or_another_target_is_computed_again_from_the_files(swept):
    config, out, outcome = swept
    lines = (out / INDEX).read_text().splitlines(keepends=True)
    (out / INDEX).write_text("".join(lines[:-1]) + lines[-1][:40])  # a crash cut the last line short
    rows, _ = sweep.summarize(config, out)
    assert rows == outcome.rows
    other = sweep.parse(CONFIG.replace("target = 0.05", "target = 0.5"))
    rows, _ = sweep.summarize(other, out)
    assert {row["target"] for row in rows} == {0.5}
    assert [row["time_to_target"] for row in rows] == [
        sweep.store.Store(out).load(spec.run_id).time_to(0.5) for spec in other.specs()]
    rebuilt, _ = sweep.summarize(config, out, rebuild=True)
    assert rebuilt == outcome.rows


def test_cli_prints_the_quartile_table_and_the_divergences(tmp_path, capsys):
    path = tmp_path / "report.toml"
    path.write_text(CONFIG.replace('d = [6, 8]', 'd = 6').replace("replicates = 4", "replicates = 2"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--executor", "threads", "--workers", "1",
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "asgd gamma=5 on worst-case d=6 noise_std=0.05 | paper n=6: diverged on 2 of 2 seeds (seed indices 0, 1)" \
        in printed
    assert "seeds: median [interquartile range]" in printed and "ringmaster threshold=3" in printed
    assert "bands.csv" in printed and "bands-1.png" in printed


def test_cli_rebuild_summary_reads_every_result_file(tmp_path, capsys):
    path = tmp_path / "report.toml"
    path.write_text(CONFIG.replace('d = [6, 8]', 'd = 6').replace("replicates = 4", "replicates = 1"))
    arguments = ["sweep", str(path), "--out", str(tmp_path / "out"), "--executor", "threads", "--workers", "1",
                 "--quiet"]
    assert main(arguments) == 0
    (tmp_path / "out" / INDEX).unlink()
    first = (tmp_path / "out" / "summary.csv").read_text()
    assert main([*arguments, "--rebuild-summary"]) == 0
    assert "(0 run now, 4 finished before)" in capsys.readouterr().out
    assert (tmp_path / "out" / "summary.csv").read_text() == first
    assert len((tmp_path / "out" / INDEX).read_text().splitlines()) == 4
