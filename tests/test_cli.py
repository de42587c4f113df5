"""The fsm-explorer command line, run as a user would (in-process through ``main``)."""
import json
import time

import pytest

from fsm_engine import cli, presets


@pytest.fixture
def machine_file(tmp_path):
    path = tmp_path / "ends_in_ab.json"
    path.write_text(presets.load("ends_in_ab").to_json())
    return path


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_machine_show_prints_the_table_and_the_analysis(capsys, machine_file):
    code, out, _ = run(capsys, "machine", "show", str(machine_file))
    assert code == 0
    assert ">other" in out
    assert "memory window         the last 2 symbols decide the state" in out
    assert "reset input           a (length 1) leads to state a from any state" in out


def test_machine_show_json_round_trips_the_machine(capsys, machine_file):
    code, out, _ = run(capsys, "machine", "show", str(machine_file), "--json")
    data = json.loads(out)
    assert code == 0 and data["minimal_states"] == 3
    assert data["machine"] == presets.load("ends_in_ab").to_dict()


def test_machine_run_lists_every_step(capsys, machine_file):
    code, out, _ = run(capsys, "machine", "run", str(machine_file), "aab", "--json")
    rows = json.loads(out)
    assert [r["to"] for r in rows] == ["a", "a", "ab"]
    assert [r["output"] for r in rows] == [0.0, 0.0, 1.0]


def test_machine_dot_lights_the_state_reached(capsys, machine_file):
    code, out, _ = run(capsys, "machine", "dot", str(machine_file), "ab")
    assert code == 0
    lit = [line for line in out.splitlines() if "fillcolor=\"#f4a261\"" in line]
    assert len(lit) == 1 and lit[0].strip().startswith('"ab"')


def test_bad_machine_file_exits_2_with_a_message(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"alphabet": ["a"], "transitions": {"q0": {"a": "q9"}}, '
                   '"outputs": {"q0": 0}, "start": "q0"}')
    code, out, err = run(capsys, "machine", "validate", str(bad))
    assert code == 2 and out == ""
    assert "q9" in err and "Traceback" not in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "machine", "validate", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json" in err


def test_comma_label_jflap_needs_a_choice_then_loads(capsys, tmp_path):
    jff = tmp_path / "comma.jff"
    jff.write_text("""<?xml version="1.0"?><structure><type>fa</type><automaton>
      <state id="0" name="q0"><initial/></state><state id="1" name="q1"><final/></state>
      <transition><from>0</from><to>1</to><read>a,b</read></transition>
      <transition><from>1</from><to>1</to><read>a,b</read></transition>
    </automaton></structure>""")
    code, _, err = run(capsys, "machine", "validate", str(jff))
    assert code == 2 and "--comma-labels" in err
    code, out, _ = run(capsys, "machine", "validate", "--comma-labels", "split", str(jff))
    assert code == 0 and "alphabet a b" in out


def test_task_parameters_are_parsed_with_the_task_table(capsys):
    code, out, _ = run(capsys, "train", "--task", "text", "-p", "corpus=fsm", "-p", "T=1_000",
                       "-p", "test_fraction=0.2", "-P", "n_machines=3", "--json")
    result = json.loads(out)
    assert code == 0
    assert result["task_params"]["corpus"] == "fsm" and result["task_params"]["T"] == 1000
    code, _, err = run(capsys, "train", "--task", "text", "-p", "T=many")
    assert code == 2 and "T='many' is not a number" in err
    code, _, err = run(capsys, "train", "--task", "text", "-p", "k3")
    assert code == 2 and "name=value" in err


def test_train_solves_delayed_recall_with_a_delay_line_bank(capsys):
    code, out, _ = run(capsys, "train", "--task", "delayed_recall", "-p", "k=2", "-p", "m=3",
                       "-p", "T=1500", "-P", "n_machines=1", "-P", "family=delay_line",
                       "-P", "fsm.k=3", "-P", "l2=1e-3", "--json")
    result = json.loads(out)
    assert code == 0
    assert result["metric_name"] == "accuracy" and result["metric"] == 1.0 and result["solved"]
    assert result["chance"] == pytest.approx(1 / 3)
    assert result["model"] == "fsm" and result["params"]["k"] == 3


def test_train_with_a_bad_task_parameter_exits_2(capsys):
    code, _, err = run(capsys, "train", "--task", "delayed_recall", "-p", "k=-4")
    assert code == 2 and "k=-4" in err


def test_train_with_a_bad_model_parameter_exits_2_naming_it(capsys):
    code, _, err = run(capsys, "train", "--task", "delayed_recall", "-P", "n_units=5")
    assert code == 2 and "fsm: unknown parameter 'n_units'" in err
    code, _, err = run(capsys, "train", "--task", "delayed_recall", "--model", "esn",
                       "-P", "spectral_radius=-1")
    assert code == 2 and "spectral_radius" in err
    code, _, err = run(capsys, "compare", "--task", "delayed_recall", "-P", "n_units=5")
    assert code == 2 and "must name its model" in err


def test_train_with_plain_gd_reports_divergence_clearly(capsys):
    code, _, err = run(capsys, "train", "--task", "adding", "-P", "n_machines=200",
                       "-P", "features=output", "-P", "solver=gd", "-P", "lr=10",
                       "--updates", "20")
    assert code == 2 and "learning rate" in err


def test_the_questions_model_trains_without_diverging_by_default(capsys):
    # plain GD on the machines' outputs, squared error: the safe step size is the default
    code, out, _ = run(capsys, "train", "--task", "delayed_recall", "-p", "k=1", "-p", "m=2",
                       "-p", "T=1000", "-P", "n_machines=50", "-P", "features=output",
                       "-P", "solver=gd", "-P", "loss=mse", "--updates", "30", "--json")
    result = json.loads(out)
    assert code == 0 and result["updates"] == 30
    assert result["curve"]["metric"][-1] > result["chance"]


@pytest.mark.parametrize("model", ["fsm", "esn", "lstm"])
def test_train_trains_any_registry_model(capsys, model):
    code, out, _ = run(capsys, "train", "--task", "temporal_parity", "-p", "n=1", "-p", "T=600",
                       "--model", model, "--updates", "3", "--json")
    result = json.loads(out)
    assert code == 0 and result["model"] == model
    assert {"metric", "metric_name", "chance"} <= set(result)


def test_compare_trains_every_model_on_the_same_task(capsys):
    code, out, _ = run(capsys, "compare", "--task", "temporal_parity", "-p", "n=1", "-p", "T=600",
                       "-P", "fsm.n_machines=50", "-P", "esn.n_units=50", "-P", "lstm.n_hidden=8",
                       "--seeds", "2", "--seconds", "6", "--json")
    result = json.loads(out)
    rows = result["rows"]
    assert code == 0 and [r["model"] for r in rows] == ["fsm", "esn", "lstm"]
    required = {"model", "label", "metric", "mean", "sd", "chance", "successes", "seeds",
                "seconds", "updates", "sequences", "parameters"}
    assert all(required <= set(r) for r in rows)
    assert all(r["metric"] == "accuracy" and r["chance"] == 0.5 and r["seeds"] == 2 for r in rows)
    assert len(result["runs"]) == 6 and all(run["curve"]["seconds"] for run in result["runs"])


def test_compare_respects_its_wall_clock_budget(capsys):
    started = time.perf_counter()
    code, out, _ = run(capsys, "compare", "--task", "temporal_order", "--models", "lstm",
                       "-P", "lstm.n_hidden=16", "--seconds", "3", "--json")
    spent = time.perf_counter() - started
    assert code == 0
    run_row = json.loads(out)["runs"][0]
    assert not run_row["solved"] and run_row["seconds"] <= 3.0 + 1.5   # one update may overrun
    assert spent < 60      # generous: the budget plus making the task and evaluating


def test_models_lists_every_registry_model_and_its_parameters(capsys):
    code, out, _ = run(capsys, "models", "--json")
    listing = json.loads(out)
    assert code == 0 and set(listing) == {"fsm", "esn", "lstm"}
    assert listing["esn"]["params"]["spectral_radius"]["default"] == 0.9


def test_train_on_your_own_text_file(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 200, encoding="utf-8")
    code, out, _ = run(capsys, "train", "--task", "text", "--text-file", str(corpus),
                       "-p", "T=3000", "-P", "n_machines=1", "-P", "family=delay_line",
                       "-P", "k=1", "-P", "loss=softmax", "-P", "solver=adam", "-P", "lr=0.05",
                       "--updates", "200", "--no-early-stop", "--json")
    result = json.loads(out)
    assert code == 0 and result["metric_name"] == "bits_per_symbol"
    assert result["metric"] < result["chance"]          # a bigram beats the unigram here


def test_text_file_that_is_not_utf8_exits_2_naming_the_byte(capsys, tmp_path):
    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes("caf\xe9 au lait".encode("latin-1"))
    code, _, err = run(capsys, "train", "--task", "text", "--text-file", str(corpus))
    assert code == 2 and "byte" in err and "UTF-8" in err


def test_bench_lists_the_results_benchmarks():
    # the --quick runs end to end are in tests/test_bench_results.py
    assert {"compare", "tasks", "scaling"} <= set(cli.benchmark_names())
    assert "results" not in cli.benchmark_names() and "figures" not in cli.benchmark_names()


def test_bench_compare_refuses_an_unknown_task_key_naming_the_known_ones(capsys, tmp_path):
    with pytest.raises(SystemExit, match="unknown task key.*delayed_recall"):
        cli.main(["bench", "compare", "--quick", "--only", "nonsense", "--out",
                  str(tmp_path / "compare.json")])


def test_a_command_well_over_its_seconds_says_why(capsys):
    """One ridge solve cannot be interrupted: an overrun is said, with what keeps to time."""
    now = cli.time.perf_counter()
    cli._budget_note(3.0, now - 16.0)
    said = capsys.readouterr().err
    assert "took 16" in said and "3 s budget" in said and "-P solver=adam" in said
    cli._budget_note(10.0, now - 5.0)
    cli._budget_note(None, now - 500.0)
    assert capsys.readouterr().err == ""
