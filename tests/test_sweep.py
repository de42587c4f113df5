"""Sweeps: a TOML file of tasks, models and seeds run on local workers or a Dask cluster.

The issue's example (examples/sweep.toml, 12 runs) runs on 2 local loky workers and on a
2-worker Dask LocalCluster with the same metrics row for row.  Its wall-clock budget is
replaced by an update budget here: on a loaded machine building a model can take the whole
budget and leave it untrained, which would make the result depend on the load, not on the
backend.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fsm_engine import cli, sweep
from fsm_engine.errors import FSMError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sweep.toml"
#: a quick sweep: 2 task settings x 2 ESN sizes x 2 seeds = 8 runs of a fraction of a second
SMALL = {"seeds": [0, 1], "updates": 5,
         "task": {"name": "delayed_recall", "k": [1, 2], "T": 600},
         "models": {"esn": {"n_units": [10, 20]}}}


def example_config() -> dict:
    config = sweep.load_config(EXAMPLE)
    del config["seconds"]
    config["updates"] = 5
    return config


def metrics_by_id(rows):
    return {row["run_id"]: (row["metric"], row["chance"], row["solved"], row["updates"])
            for row in rows}


@pytest.fixture(scope="module")
def loky_rows():
    return sweep.execute(sweep.expand(example_config()), workers=2)


# ---------------------------------------------------------------------- expansion
def test_the_issue_example_is_twelve_runs_with_distinct_content_ids():
    runs = sweep.expand(sweep.load_config(EXAMPLE))
    assert len(runs) == 12 and len({run.id for run in runs}) == 12
    assert sorted({(run.model, dict(run.model_params).get("n_machines"),
                    dict(run.task_params)["k"]) for run in runs}, key=repr) == sorted(
        {(m, n, k) for k in (1, 3) for m, n in (("fsm", 100), ("fsm", 400), ("esn", None))},
        key=repr)
    assert {run.seed for run in runs} == {0, 1} and {run.seconds for run in runs} == {5.0}


def test_a_run_id_depends_on_its_content_not_on_the_order_of_the_file():
    reordered = {"models": {"esn": {"n_units": [20, 10]}}, "task": {"T": 600, "k": [2, 1],
                                                                      "name": "delayed_recall"},
                 "updates": 5, "seeds": [1, 0]}
    assert {run.id for run in sweep.expand(SMALL)} == {run.id for run in sweep.expand(reordered)}
    # a default written out is the same run; a different budget is not
    explicit = {**SMALL, "models": {"esn": {"n_units": [10, 20], "leak": 1.0}}}
    assert [r.id for r in sweep.expand(explicit)] == [r.id for r in sweep.expand(SMALL)]
    assert not {r.id for r in sweep.expand({**SMALL, "updates": 6})} & \
        {r.id for r in sweep.expand(SMALL)}


def test_several_tasks_and_several_tables_of_one_model_are_each_a_product():
    config = {"seeds": 2, "seconds": 1,
              "tasks": [{"name": "delayed_recall", "k": [1, 2]}, {"name": "temporal_parity"}],
              "models": {"fsm": [{"n_machines": [50, 60]},
                                 {"family": "delay_line", "n_machines": 1, "k": [2, 3]}]}}
    runs = sweep.expand(config)
    assert len(runs) == 2 * 3 * 4
    assert {r.task for r in runs} == {"delayed_recall", "temporal_parity"}
    assert {dict(r.model_params)["family"] for r in runs} == {"random", "delay_line"}


def test_text_values_stand_for_numbers_and_auto():
    runs = sweep.expand({**SMALL, "models": {"esn": {"l2": ["auto", "1e-3"]}}})
    assert {dict(r.model_params)["l2"] for r in runs} == {None, 1e-3}


@pytest.mark.parametrize(("change", "named"), [
    ({"models": {"gru": {}}}, "unknown model 'gru'"),
    ({"models": {"fsm": {"machines": [100, 400]}}}, "unknown parameter 'machines' (did you "
                                                    "mean 'n_machines'?)"),
    ({"models": {"esn": {"n_units": [100, 0]}}}, "n_units=0 is out of range"),
    ({"models": {"esn": {"spectral_radius": "high"}}}, "spectral_radius='high' is not a number"),
    ({"models": {"esn": {"n_units": 1.5}}}, "n_units must be a whole number"),
    ({"models": {"fsm": {"features": "both"}}}, "features='both' is not allowed"),
    ({"models": {"esn": {"n_units": []}}}, "n_units is an empty list"),
    ({"models": {"esn": {"n_units": [10, 10]}}}, "n_units lists a value twice"),
    ({"models": {}}, "name at least one model"),
    ({"task": {"name": "delayed_recal"}}, "unknown task 'delayed_recal' (did you mean "
                                          "'delayed_recall'?)"),
    ({"task": {"name": "delayed_recall", "delay": 3}}, "unknown parameter 'delay'"),
    ({"task": {"name": "delayed_recall", "k": 2000}}, "k=2000 is out of range"),
    ({"task": {"name": "delayed_recall", "seed": 3}}, "top-level seeds"),
    ({"task": {"k": 3}}, "name the task"),
    ({"tasks": [{"name": "adding"}]}, "one of the two"),
    ({"seeds": []}, "seeds must be a non-empty list"),
    ({"seeds": [0, 0]}, "seeds lists a seed twice"),
    ({"seeds": [-1]}, "seed=-1 is out of range"),
    ({"seconds": 0}, "seconds=0.0 is out of range"),
    ({"updates": "many"}, "updates must be a whole number"),
    ({"seed": [0]}, "unknown key 'seed' (did you mean 'seeds'?)"),
])
def test_a_bad_config_is_refused_naming_the_key(change, named):
    with pytest.raises(FSMError) as caught:
        sweep.expand({**SMALL, **change}, "my.toml")
    assert named in str(caught.value) and str(caught.value).startswith("my.toml")


def test_a_task_setting_that_cannot_be_made_is_refused_before_any_run():
    config = {**SMALL, "task": {"name": "delayed_recall", "k": 999, "T": 600}}
    with pytest.raises(FSMError, match="task delayed_recall T=600 k=999: .*T=600 is too short"):
        sweep.expand(config)


def test_a_bad_file_exits_2_before_anything_runs(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text(EXAMPLE.read_text().replace("n_units = 100", "n_units = 100_000"))
    out = tmp_path / "results.csv"
    code = cli.main(["sweep", str(config), "--workers", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "[models.esn]" in err and "n_units=100000 is out of range" in err
    assert not out.exists()
    config.write_text("seeds = [0\n")
    assert cli.main(["sweep", str(config)]) == 2
    assert "not a valid TOML file" in capsys.readouterr().err


# ---------------------------------------------------------------------- backends
def test_the_example_on_two_local_workers_gives_one_row_per_run(loky_rows):
    runs = sweep.expand(example_config())
    assert [row["run_id"] for row in loky_rows] == [run.id for run in runs]
    row = loky_rows[0]
    assert row["task.k"] == 1 and row["task.m"] == 4 and row["model.n_machines"] == 100
    assert row["metric_name"] == "accuracy" and row["chance"] == 0.25
    assert row["version"] and row["host"] and row["error"] is None
    assert row["curve"]["metric"][-1] == row["metric"]
    assert "model.n_units" not in row                  # another model's parameter
    assert all(r["error"] is None and 0 <= r["metric"] <= 1 for r in loky_rows)


def test_the_example_on_a_dask_local_cluster_gives_the_same_metrics_row_for_row(loky_rows):
    rows = sweep.execute(sweep.expand(example_config()), workers=2, scheduler="local")
    assert metrics_by_id(rows) == metrics_by_id(loky_rows)


def test_runs_in_this_process_give_the_same_metrics_as_the_workers(loky_rows):
    runs = [run for run in sweep.expand(example_config())
            if dict(run.model_params).get("n_machines") != 400]
    rows = sweep.execute(runs, workers=1)
    assert metrics_by_id(rows) == {key: value for key, value in metrics_by_id(loky_rows).items()
                                   if key in {run.id for run in runs}}


def test_an_unreachable_scheduler_is_named(monkeypatch):
    monkeypatch.setattr(sweep, "CONNECT_TIMEOUT", "1s")
    runs = sweep.expand(SMALL)[:1]
    with pytest.raises(FSMError, match="could not reach the Dask scheduler"):
        sweep.execute(runs, scheduler="tcp://127.0.0.1:9")


def test_a_run_that_cannot_be_built_is_a_row_with_its_error_and_the_rest_run():
    config = {**SMALL, "seeds": [0], "task": {"name": "delayed_recall", "T": 200_000},
              "models": {"esn": {"n_units": [2000, 10], "density": 0.001}}}
    too_big, fine = sweep.execute(sweep.expand(config), workers=1)
    assert too_big["error"].startswith("CapacityError") and "1.6 GB" in too_big["error"]
    assert too_big["metric"] is None and too_big["label"].startswith("ESN N=2000")
    assert fine["error"] is None and fine["metric"] is not None
    summary = sweep.summarise([too_big, fine])
    assert summary[0]["errors"] == 1 and summary[0]["mean"] is None
    assert "failed" in sweep.format_summary(summary)


# ---------------------------------------------------------------------- files and resuming
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_output_file_reads_back_as_the_rows(tmp_path, suffix):
    runs = sweep.expand({**SMALL, "models": {"esn": {"n_units": 10, "l2": ["auto", 0.01]}}})
    rows = sweep.execute(runs, workers=1, out=tmp_path / f"r{suffix}")
    back = sweep.read(tmp_path / f"r{suffix}")
    assert sorted(back, key=lambda r: r["run_id"]) == sorted(rows, key=lambda r: r["run_id"])
    assert {r["model.l2"] for r in back} == {None, 0.01}
    assert sweep.read((tmp_path / f"r{suffix}").read_bytes(), suffix[1:])[0] == back[0]


def test_an_existing_file_is_kept_unless_resumed(tmp_path):
    out = tmp_path / "r.csv"
    runs = sweep.expand(SMALL)
    sweep.execute(runs[:2], out=out)
    with pytest.raises(FSMError, match="--resume"):
        sweep.execute(runs, out=out)
    calls = []
    rows = sweep.execute(runs, out=out, resume=True,
                         progress=lambda done, total, row: calls.append((done, total)))
    assert calls[0] == (2, 8) and calls[-1] == (8, 8) and len(calls) == 7
    assert [r["run_id"] for r in rows] == [run.id for run in runs]
    assert sorted(r["run_id"] for r in sweep.read(out)) == sorted(run.id for run in runs)


def test_an_interrupted_sweep_resumes_with_each_run_once(tmp_path):
    out = tmp_path / "r.csv"
    runs = sweep.expand(SMALL)

    def stop_after_three(done, total, row):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.execute(runs, out=out, progress=stop_after_three)
    assert len(sweep.read(out)) == 3
    with out.open("a") as handle:                      # a line torn by a kill mid-write
        handle.write(f"{runs[5].id},delayed_recall,esn,ESN N=20")
    sweep.execute(runs, out=out, resume=True)
    ids = [row["run_id"] for row in sweep.read(out)]
    assert sorted(ids) == sorted(run.id for run in runs)


def test_a_killed_sweep_keeps_what_finished_and_resumes_with_each_run_once(tmp_path):
    """A real SIGKILL of a sweep on 2 local workers (it kills itself after 3 rows)."""
    out = tmp_path / "r.csv"
    script = textwrap.dedent(f"""
        import os, signal
        from fsm_engine import sweep

        def kill_after_three(done, total, row):
            if done == 3:
                os.kill(os.getpid(), signal.SIGKILL)

        sweep.execute(sweep.expand({SMALL!r}), workers=2, out={str(out)!r},
                      progress=kill_after_three)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        assert process.wait(timeout=600) == -signal.SIGKILL
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)         # the workers it left, if any
        except ProcessLookupError:
            pass
    kept = sweep.read(out)
    assert len(kept) == 3
    rows = sweep.execute(sweep.expand(SMALL), workers=2, out=out, resume=True)
    ids = [row["run_id"] for row in sweep.read(out)]
    assert len(ids) == len(set(ids)) == 8
    assert {r["run_id"]: r for r in rows}[kept[0]["run_id"]] == kept[0]


def test_a_parquet_output_needs_a_known_extension(tmp_path):
    with pytest.raises(FSMError, match=".csv or .parquet"):
        sweep.execute(sweep.expand(SMALL)[:1], out=tmp_path / "r.xlsx")


# ---------------------------------------------------------------------- summary and figure
def test_the_summary_is_mean_and_sd_over_seeds_per_setting(loky_rows):
    summary = sweep.summarise(loky_rows)
    assert len(summary) == 6 and all(s["seeds"] == 2 and s["errors"] == 0 for s in summary)
    first = summary[0]
    values = [r["metric"] for r in loky_rows if r["task.k"] == 1
              and r.get("model.n_machines") == 100]
    assert first["mean"] == pytest.approx(sum(values) / 2)
    assert first["swept"] == {"k": 1, "n_machines": 100}
    table = sweep.format_summary(summary)
    assert "k=3 n_machines=400" in table and table.count("\n") == 7


def test_the_figure_draws_the_metric_against_the_swept_parameter(loky_rows):
    figure = sweep.sweep_figure(loky_rows)
    assert len(figure.data) == 3                       # FSM N=100, FSM N=400, ESN N=100
    for trace in figure.data:
        assert list(trace.x) == [1, 3] and len(trace.error_y.array) == 2
    assert figure.layout.xaxis.title.text == "k"
    assert figure.layout.yaxis.title.text == "accuracy"
    assert "accuracy against k" in figure.layout.title.text


def test_the_figure_of_a_model_sweep_puts_the_model_parameter_on_x(loky_rows):
    figure = sweep.sweep_figure([r for r in loky_rows if r["task.k"] == 3])
    names = {trace.name: trace for trace in figure.data}
    assert list(names["FSM network"].x) == [100, 400]
    assert names["ESN N=100 ρ=0.9 leak=1, ridge"].line.dash == "dash"   # not swept: a level
    assert figure.layout.xaxis.title.text == "n_machines"


# ---------------------------------------------------------------------- command line
def test_the_command_runs_a_sweep_writes_its_figure_and_resumes(tmp_path, capsys, monkeypatch):
    config = tmp_path / "small.toml"
    config.write_text(textwrap.dedent("""
        seeds = [0, 1]
        updates = 5
        [task]
        name = "delayed_recall"
        k = [1, 2]
        T = 600
        [models.esn]
        n_units = [10, 20]
    """))
    monkeypatch.chdir(tmp_path)
    code = cli.main(["sweep", str(config), "--workers", "1", "--plot"])
    out = capsys.readouterr().out
    assert code == 0 and "8 runs in small.csv" in out and "k=2 n_units=20" in out
    assert (tmp_path / "small.csv").exists() and (tmp_path / "small.html").exists()
    assert cli.main(["sweep", str(config), "--workers", "1"]) == 2
    assert "--resume" in capsys.readouterr().err
    code = cli.main(["sweep", str(config), "--resume", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and len(data["rows"]) == 8 and len(data["summary"]) == 4


def test_a_dry_run_lists_the_runs(capsys):
    assert cli.main(["sweep", str(EXAMPLE), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "12 runs" in out and "fsm n_machines=400" in out
