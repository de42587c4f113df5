"""The Compare page's figures (explorer/compare_figures.py), its committed-results reader
(explorer/compare_results.py) and the one colour per model (explorer/theme.py): arrays in,
figures out, checked on what they draw; every figure validated once by Plotly."""
from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer import compare_figures as figures
from explorer import compare_results, theme
from explorer.limits import LIMITS
from fsm_engine import models


def validated(figure: go.Figure) -> dict:
    """The figure as Plotly would send it, after Plotly's own validation (the page builds
    figures without it, for speed)."""
    return go.Figure(figure.to_dict()).to_plotly_json()


def plain(value) -> np.ndarray:
    """An array of a figure spec as NumPy (Plotly sends large ones as base64 typed arrays)."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = str(value.get("shape", flat.size))
        return flat.reshape([int(n) for n in shape.split(",")])
    return np.asarray(value)


def curve(model: str, n: int = 5, **extra) -> dict:
    return {"model": model, "label": models.get(model).label, "x": list(range(n)),
            "y": list(np.linspace(0.2, 0.9, n)), **extra}


# ---------------------------------------------------------------------- colours
def test_every_registry_model_has_its_own_colour_and_keeps_it():
    colours = [theme.model_colour(name) for name in models.names()]
    assert len(set(colours)) == len(colours)
    assert colours == [theme.model_colour(name) for name in models.names()]
    assert theme.model_colour("gru") not in theme.MODEL_COLOURS.values()
    assert theme.model_colour("gru") == theme.model_colour("gru")


# ---------------------------------------------------------------------- learning curves
@pytest.mark.parametrize("axis,phrase,x_title", [
    ("updates", "against updates", "updates"),
    ("seen", "against sequences seen", "sequences seen"),
    ("seconds", "against seconds", "seconds of building and training")])
def test_learning_curves_title_axis_and_one_colour_per_model(axis, phrase, x_title):
    lines = [curve("fsm"), curve("esn"), curve("lstm")]
    figure = figures.learning_curves(lines, axis=axis, metric="accuracy", chance=0.25,
                                     greater_is_better=True)
    spec = validated(figure)
    assert spec["layout"]["title"]["text"] == f"Accuracy {phrase}"
    assert spec["layout"]["xaxis"]["title"]["text"] == x_title
    assert [t["name"] for t in spec["data"]] == ["FSM network", "Echo state network", "LSTM"]
    assert [t["line"]["color"] for t in spec["data"]] == [theme.MODEL_COLOURS[m]
                                                          for m in ("fsm", "esn", "lstm")]
    chance = spec["layout"]["shapes"][0]
    assert chance["y0"] == chance["y1"] == 0.25 and chance["line"]["dash"] == "dash"
    assert spec["layout"]["yaxis"]["range"] == [-0.02, 1.02]


def test_the_row_of_curves_is_one_figure_with_a_panel_per_axis_on_one_scale():
    lines = {axis: [curve("fsm"), curve("lstm")] for axis in figures.AXES}
    figure = figures.learning_curves_row(lines, {"seconds": [curve("lstm", 8, seed=2)]},
                                         metric="accuracy", chance=0.25,
                                         greater_is_better=True, seen_unit="steps")
    spec = validated(figure)
    layout = spec["layout"]
    assert layout["title"]["text"] == "Accuracy against updates, steps seen and seconds"
    assert [layout[a]["title"]["text"] for a in ("xaxis", "xaxis2", "xaxis3")] == [
        "updates", "steps seen", "seconds of building and training"]
    domains = [layout[a]["domain"] for a in ("xaxis", "xaxis2", "xaxis3")]
    assert domains[0][1] < domains[1][0] and domains[1][1] < domains[2][0]   # side by side
    assert layout["yaxis2"]["matches"] == layout["yaxis3"]["matches"] == "y"
    assert layout["yaxis"]["range"] == [-0.02, 1.02]
    by_panel = {x: [t["name"] for t in spec["data"] if t["xaxis"] == x]
                for x in ("x", "x2", "x3")}
    assert by_panel["x"] == by_panel["x2"] == ["FSM network", "LSTM"]
    assert by_panel["x3"] == ["LSTM, committed (seed 2)", "FSM network", "LSTM"]
    assert [shape["y0"] for shape in layout["shapes"]] == [0.25] * 3
    assert "dotted: committed" in layout["title"]["subtitle"]["text"]


def test_committed_curves_are_dotted_in_the_model_colour_and_said_in_the_subtitle():
    figure = figures.learning_curves([curve("lstm")], [curve("lstm", 8, seed=2)],
                                     axis="seconds", metric="nrmse", chance=1.0,
                                     greater_is_better=False)
    spec = validated(figure)
    dotted, solid = spec["data"]
    assert dotted["line"]["dash"] == "dot" and dotted["name"] == "LSTM, committed (seed 2)"
    assert dotted["line"]["color"] == solid["line"]["color"] == theme.MODEL_COLOURS["lstm"]
    assert "dotted: committed" in spec["layout"]["title"]["subtitle"]["text"]
    assert "lower is better" in spec["layout"]["title"]["subtitle"]["text"]
    assert "range" not in spec["layout"]["yaxis"]          # nrmse is not bounded by 1


def test_long_curves_are_thinned_to_the_cap_and_end_at_the_newest_point():
    n = 5 * LIMITS.curve_points
    figure = figures.learning_curves([curve("fsm", n)], axis="updates", metric="accuracy",
                                     chance=float("nan"), greater_is_better=True)
    trace = figure.data[0]
    x = plain(trace.x)
    assert len(x) <= LIMITS.curve_points and x[-1] == n - 1
    assert "shapes" not in validated(figure)["layout"]      # no chance level to draw


def test_learning_curves_refuse_an_unknown_axis():
    with pytest.raises(ValueError, match="axis must be one of"):
        figures.learning_curves([], axis="epochs", metric="accuracy", chance=0.5,
                                greater_is_better=True)


# ---------------------------------------------------------------------- gates and states
def test_gate_figure_has_four_panels_of_units_by_steps_with_symbols_along_time():
    steps, units = 7, np.array([0, 2, 4])
    rng = np.random.default_rng(0)
    gates = {g: rng.uniform(-1, 1, (steps, units.size)) for g in "ifgo"}
    symbols = list("ab ab\nb")
    spec = validated(figures.gate_figure(gates, symbols, units=units, n_hidden=6))
    assert spec["layout"]["title"]["text"] == "LSTM gate activations on one held-out episode"
    assert "3 of 6 hidden units" in spec["layout"]["title"]["subtitle"]["text"]
    heatmaps = spec["data"]
    assert len(heatmaps) == 4 and {h["type"] for h in heatmaps} == {"heatmap"}
    for heatmap, gate in zip(heatmaps, "ifgo", strict=True):
        z = plain(heatmap["z"])
        assert z.shape == (units.size, steps)                # units down, time across
        np.testing.assert_allclose(z, gates[gate].T, atol=5e-4)
        assert plain(heatmap["y"]).tolist() == units.tolist()
    titles = [spec["layout"][f"yaxis{s}"]["title"]["text"] for s in ("", "2", "3", "4")]
    assert titles == ["input gate i", "forget gate f", "cell input g", "output gate o"]
    assert spec["layout"]["xaxis"]["ticktext"] == ["a", "b", "␣", "a", "b", "⏎", "b"]
    assert spec["layout"]["coloraxis"]["cmin"] == -1 and spec["layout"]["coloraxis"]["cmax"] == 1


def test_gate_figure_refuses_mismatched_shapes():
    gates = {g: np.zeros((3, 2)) for g in "ifgo"}
    with pytest.raises(ValueError, match="gate 'i' must be"):
        figures.gate_figure(gates, list("abcd"), units=np.arange(2), n_hidden=2)


def test_state_raster_lights_exactly_the_state_each_machine_is_in():
    states = np.array([[0, 2], [1, 0], [1, 1]])              # [L=3, M=2]
    n_states = np.array([2, 3])
    spec = validated(figures.state_raster(states, n_states, np.array([4, 9]), list("xyz"),
                                          n_machines=10))
    z = plain(spec["data"][0]["z"])
    assert z.shape == (5, 3)                                  # 2 + 3 rows, 3 steps
    expected = np.zeros((5, 3))
    for t in range(3):
        expected[states[t, 0], t] = 1
        expected[2 + states[t, 1], t] = 1
    np.testing.assert_array_equal(z, expected)
    assert spec["data"][0]["y"][2] == "machine 9, state 0"
    assert spec["layout"]["yaxis"]["ticktext"] == ["#4", "#9"]
    assert "2 of 10 machines" in spec["layout"]["title"]["subtitle"]["text"]
    assert len(spec["layout"]["shapes"]) == 1                # one line between the machines


def test_state_raster_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="states must be"):
        figures.state_raster(np.zeros((3, 2), int), np.array([2]), np.array([0]), list("abc"),
                             n_machines=2)


def test_memory_capacity_figure_names_each_model_with_its_capacity():
    lines = [{"model": "esn", "label": "Echo state network", "r2": [1.0, 0.5, 0.25]}]
    committed = [{"model": "esn", "label": "Echo state network", "seed": 0, "r2": [0.9, 0.1]}]
    spec = validated(figures.memory_capacity_figure(lines, committed))
    names = [t["name"] for t in spec["data"]]
    assert names == ["Echo state network, committed (seed 0): MC 1.00",
                     "Echo state network: MC 1.75"]
    assert plain(spec["data"][1]["x"]).tolist() == [1, 2, 3]
    assert spec["layout"]["title"]["text"] == "Memory capacity: r² against delay"


# ---------------------------------------------------------------------- committed results
CURVE = {"seconds": [0.1, 1.0, 2.0], "seen": [0, 32, 64], "updates": [0, 1, 2],
         "metric": [0.25, 0.5, 0.75]}


def committed_file(**extra) -> dict:
    """A results file shaped as ``fsm-explorer bench compare`` writes it: entries by key
    (two keys for five-bit memory), choices and runs by role."""
    def run(key, task, role, seed=0, **more):
        return {"key": key, "task": task, "role": role, "model": role.split("_")[0],
                "seed": seed, "curve": CURVE, **more}
    return {"tasks": {"delayed_recall": {"task": "delayed_recall"},
                      "five_bit_memory": {"task": "five_bit_memory"},
                      "five_bit_memory_held_out": {"task": "five_bit_memory"},
                      "narma10": {"task": "series"}},
            "chosen": {"delayed_recall": {"lstm": {"n_hidden": 32, "lr": 0.005},
                                          "fsm_designed": {"family": "delay_line"},
                                          "gru": {"n_hidden": 3},
                                          "fsm": {"unknown": 1}},
                       "five_bit_memory": {"esn": {"n_units": 100}},
                       "five_bit_memory_held_out": {"esn": {"n_units": 7}},
                       "narma10": {"lstm": {"n_hidden": 16}}},
            "runs": [run("delayed_recall", "delayed_recall", "lstm", task_params={"k": 3},
                         scores={"r2_delay_1": 0.5, "x": "no"}),
                     run("delayed_recall", "delayed_recall", "fsm_designed"),    # other role
                     run("five_bit_memory_held_out", "five_bit_memory", "esn"),  # other key
                     run("five_bit_memory", "five_bit_memory", "esn", seed=1),
                     {**run("delayed_recall", "delayed_recall", "lstm", seed=1),
                      "curve": {**CURVE, "metric": [0.1]}},                      # ragged
                     {"task": "delayed_recall", "model": "FSM random N=500", "curve": CURVE},
                     "not a run"],
            "meta": {"command": "fsm-explorer bench compare --seeds 3", "clock": "cpu"},
            **extra}


def test_committed_results_keep_choices_and_curves_of_registry_models_only():
    committed = compare_results.parse(committed_file())
    assert committed.chosen == {"delayed_recall": {"lstm": {"n_hidden": 32, "lr": 0.005}},
                                "five_bit_memory": {"esn": {"n_units": 100}},
                                "series": {"lstm": {"n_hidden": 16}}}
    assert committed.chosen_for("delayed_recall", "lstm") == {"n_hidden": 32, "lr": 0.005}
    assert committed.chosen_for("adding", "lstm") == {}
    assert [(r["task"], r["model"], r["seed"]) for r in committed.runs] == [
        ("delayed_recall", "lstm", 0), ("five_bit_memory", "esn", 1)]
    run = committed.runs[0]
    assert run["curve"]["metric"] == [0.25, 0.5, 0.75] and run["scores"] == {"r2_delay_1": 0.5}
    assert committed.runs_of("delayed_recall") == [run] and committed.runs_of("adding") == []
    assert committed.command == "fsm-explorer bench compare --seeds 3"
    assert committed.clock == "cpu" and committed.notes == ()


def test_a_file_keyed_by_task_and_model_alone_is_read_too():
    committed = compare_results.parse({"chosen": {"adding": {"lstm": {"n_hidden": 8}}},
                                       "runs": [{"task": "adding", "model": "esn",
                                                 "curve": CURVE}]})
    assert committed.chosen == {"adding": {"lstm": {"n_hidden": 8}}}
    assert len(committed.runs_of("adding")) == 1 and committed.clock == "wall"


@pytest.mark.parametrize("content,says", [
    (b"{not json", "could not be read"),
    (b"[1, 2]", "does not hold a JSON object"),
    (json.dumps({"rows": [], "runs": [{"model": "FSM random N=500"}]}).encode(),
     "no learning curves"),
])
def test_a_bad_or_older_committed_file_gives_a_note_not_an_exception(tmp_path, content, says):
    path = tmp_path / "compare.json"
    path.write_bytes(content)
    committed = compare_results.read(path)
    assert committed.runs == () and committed.chosen == {}
    assert any(says in note for note in committed.notes)


def test_a_missing_or_oversized_committed_file_gives_a_note(tmp_path, monkeypatch):
    missing = compare_results.read(tmp_path / "nowhere.json")
    assert "There is no nowhere.json" in missing.notes[0]
    assert compare_results.DEFAULT_COMMAND in missing.notes[0]
    path = tmp_path / "compare.json"
    path.write_text(json.dumps(committed_file()))
    monkeypatch.setattr(compare_results, "MAX_BYTES", 10)
    assert "over the 10 this page reads" in compare_results.read(path).notes[0]


def test_the_checked_in_committed_file_is_read_without_an_exception():
    committed = compare_results.read()
    assert isinstance(committed.runs, tuple) and isinstance(committed.notes, tuple)
