"""The Compare page through Streamlit's AppTest (every control; training advanced by reruns,
since AppTest does not run the fragment's timer), and its glue (explorer/compare_model.py)
against direct engine computations.  Small models keep each rerun short."""
from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer import compare_model, compare_results, settings
from explorer.limits import Limits
from fsm_engine import models, sweep, tasks
from fsm_engine.errors import CapacityError, FSMError

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
COMPARE_PAGE = "explorer/pages/compare.py"
TASK = "delayed_recall"
#: small models on a short task: every rerun trains all three for a moment
SMALL = {"cmp_delayed_recall.T": "600", "cmp_delayed_recall.fsm.n_machines": "40",
         "cmp_delayed_recall.fsm.solver": "adam", "cmp_delayed_recall.esn.n_units": "30",
         "cmp_delayed_recall.esn.solver": "adam", "cmp_delayed_recall.lstm.n_hidden": "8"}
#: the curves chart, one panel per x axis (Plotly's x axes "x", "x2", "x3")
CURVES = "Accuracy against updates, steps seen and seconds"
PANELS = ("x", "x2", "x3")


# ---------------------------------------------------------------------- helpers
def open_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params.update(SMALL if query is None else query)
    at.run()
    at.switch_page(COMPARE_PAGE).run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """The page's charts by title."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def comparison(at: AppTest) -> compare_model.Comparison:
    return at.session_state[compare_model.RUN]


def updates(at: AppTest) -> dict[str, int]:
    return {name: run.live.updates for name, run in comparison(at).runs.items()}


def panel(at: AppTest, xaxis: str = "x") -> list[dict]:
    """The traces of one panel of the curves chart."""
    return [trace for trace in charts(at)[CURVES]["data"] if trace.get("xaxis", "x") == xaxis]


def points(at: AppTest, xaxis: str = "x") -> dict[str, int]:
    """How many points each model's curve in panel ``xaxis`` of the curves chart has."""
    return {trace["name"]: _length(trace["x"]) for trace in panel(at, xaxis)}


def _length(array) -> int:
    if isinstance(array, dict):          # a base64 typed array
        return len(np.frombuffer(base64.b64decode(array["bdata"]),
                                 dtype=np.dtype(array["dtype"])))
    return len(array)


def train(at: AppTest, reruns: int = 4) -> AppTest:
    at.button(key="btn_cmp_start").click().run()
    for _ in range(reruns):
        at.run()
    assert not at.exception, at.exception
    return at


def table_text(at: AppTest) -> str:
    """The Markdown of the models' table."""
    return next(m.value for m in at.markdown if m.value.startswith("| model |"))


def texts(elements) -> list[str]:
    return [element.value for element in elements]


# ---------------------------------------------------------------------- the page
def test_the_page_opens_with_every_chart_titled_and_a_row_per_model():
    at = open_page()
    titles = list(charts(at))
    assert titles[0] == CURVES
    assert "LSTM gate activations on one held-out episode" in titles
    assert "FSM network: one-hot states on the same episode" in titles
    table = table_text(at)
    rows = compare_model.table_rows(comparison(at))
    assert [row["model"] for row in rows] == [models.get(m).label for m in models.names()]
    assert all(f"**{row['model']}**" in table for row in rows)
    assert set(updates(at).values()) == {0}
    assert at.button(key="btn_cmp_pause").disabled and not at.button(key="btn_cmp_start").disabled
    shapes = charts(at)[CURVES]["layout"]["shapes"]       # chance level on every panel
    assert [shape["xref"] for shape in shapes] == [f"{x} domain" for x in PANELS]
    assert all(shape["y0"] == pytest.approx(0.25) for shape in shapes)


def test_start_trains_all_three_models_in_turn_and_their_curves_grow():
    at = open_page()
    before = points(at)
    train(at, reruns=6)
    assert all(count > 0 for count in updates(at).values()), updates(at)
    for xaxis in PANELS:
        grown = points(at, xaxis)
        assert all(grown[name] > before[name] for name in before), (xaxis, grown)
    rows = compare_model.table_rows(comparison(at))
    assert all(row["updates"] > 0 for row in rows) and comparison(at).running
    # a run draws, then trains: the table shows each model as the run before left it, and
    # a paused rerun (no training) shows the counts the models have
    at.button(key="btn_cmp_pause").click().run()
    rows = compare_model.table_rows(comparison(at))
    assert all(f"| {row['updates']:,} |" in table_text(at) for row in rows)


def test_pause_stops_every_model():
    at = train(open_page(), reruns=2)
    at.button(key="btn_cmp_pause").click().run()
    paused = updates(at)
    for _ in range(3):
        at.run()
    assert updates(at) == paused
    assert not comparison(at).running and not at.button(key="btn_cmp_start").disabled
    assert not any(run.live.running for run in comparison(at).runs.values())


def test_reset_gives_fresh_untrained_models_and_keeps_training_paused():
    at = train(open_page(), reruns=2)
    at.button(key="btn_cmp_reset").click().run()
    assert set(updates(at).values()) == {0} and not comparison(at).running
    assert set(points(at).values()) == {1}                   # update 0 only


def test_changing_one_model_setting_rebuilds_that_model_only():
    at = train(open_page(), reruns=3)
    at.button(key="btn_cmp_pause").click().run()
    trained = updates(at)
    at.number_input(key="cmp_delayed_recall.lstm.n_hidden").set_value(12).run()
    assert not at.exception, at.exception
    now = updates(at)
    assert now["lstm"] == 0 and comparison(at).runs["lstm"].learner.n_hidden == 12
    assert now["fsm"] == trained["fsm"] and now["esn"] == trained["esn"]


def test_changing_the_task_or_the_seed_builds_a_fresh_comparison():
    at = train(open_page(), reruns=2)
    at.button(key="btn_cmp_pause").click().run()
    at.selectbox(key="cmp_task").set_value("temporal_parity").run()
    assert not at.exception, at.exception
    assert comparison(at).task.name == "temporal_parity"
    assert set(updates(at).values()) == {0}
    assert any("temporal parity" in m for m in texts(at.markdown))
    at.number_input(key="cmp_seed").set_value(3).run()
    assert comparison(at).config.seed == 3 and comparison(at).task.params["seed"] == 3


def test_a_task_parameter_changes_the_task_every_model_trains_on():
    at = open_page()
    at.number_input(key="cmp_delayed_recall.T").set_value(800).run()
    assert comparison(at).task.T == 800
    assert {run.learner.task.T for run in comparison(at).runs.values()} == {800}


def test_defaults_are_the_committed_validated_choices_else_the_registry_defaults(monkeypatch):
    fake = compare_results.parse({"chosen": {TASK: {"lstm": {"n_hidden": 48, "lr": 0.003},
                                                    "esn": {"n_units": 10 ** 6}}}})
    monkeypatch.setattr(settings, "COMMITTED", fake)
    param = models.get("lstm").param
    assert settings._compare_model_setting(TASK, "lstm", param("n_hidden")).default == 48
    assert settings._compare_model_setting(TASK, "lstm", param("lr")).default == 0.003
    # over the page's cap: the registry default instead
    esn_units = models.get("esn").param("n_units")
    assert settings._compare_model_setting(TASK, "esn", esn_units).default == esn_units.default
    assert settings._compare_model_setting("adding", "lstm", param("n_hidden")).default == 64


@pytest.mark.parametrize("task", tasks.NAMES)
def test_every_task_opens_and_trains_a_tick_with_its_defaults(task):
    """Every task's defaults build all three models and draw every chart (the readouts on
    Adam here: a ridge solve on the largest defaults takes seconds, one update)."""
    at = open_page({"cmp_task": task, f"cmp_{task}.fsm.solver": "adam",
                    f"cmp_{task}.esn.solver": "adam"})
    assert set(comparison(at).runs) == set(models.names()) and not comparison(at).problems
    at.button(key="btn_cmp_start").click().run()
    assert not at.exception, at.exception
    assert sum(updates(at).values()) > 0
    titles = list(charts(at))
    assert "LSTM gate activations on one held-out episode" in titles
    assert "FSM network: one-hot states on the same episode" in titles


# ---------------------------------------------------------------------- bad input
def test_an_over_cap_network_is_refused_naming_the_cap_and_the_previous_one_stays():
    query = {**SMALL, "cmp_delayed_recall.T": "20000"}
    at = train(open_page(query), reruns=1)
    at.button(key="btn_cmp_pause").click().run()
    before = comparison(at).runs["fsm"]
    at.number_input(key="cmp_delayed_recall.fsm.n_machines").set_value(20_000).run()
    assert not at.exception, at.exception
    message = " ".join(texts(at.error))
    assert "FSM network settings were not built" in message and "over the cap of 400 MB" in message
    assert "The model below is the previous one" in message
    assert comparison(at).runs["fsm"] is before and before.learner.source.n_machines == 40


def test_a_mistyped_family_mix_is_explained_and_the_network_kept():
    at = open_page()
    before = comparison(at).runs["fsm"]
    at.text_input(key="cmp_delayed_recall.fsm.family").set_value("randm").run()
    assert not at.exception, at.exception
    message = " ".join(texts(at.error))
    assert "FSM network settings were not built" in message and "randm" in message
    assert comparison(at).runs["fsm"] is before


def test_a_link_over_the_hidden_units_cap_says_so_and_uses_the_default():
    at = open_page({**SMALL, "cmp_delayed_recall.lstm.n_hidden": "5000"})
    warnings = " ".join(texts(at.warning))
    assert "cmp_delayed_recall.lstm.n_hidden" in warnings and "outside 1..256" in warnings
    assert comparison(at).runs["lstm"].learner.n_hidden == 64


def test_check_model_names_every_cap_before_building():
    task = tasks.make(TASK, T=500)
    small = Limits(max_machines=100, max_units=50, max_hidden=16)
    with pytest.raises(CapacityError, match="over the cap of 100 machines"):
        compare_model.check_model("fsm", {"n_machines": 101, "family": "random", "n_states": 8,
                                          "stay": 0.0, "k": 2, "modulus": 3}, task, small)
    with pytest.raises(CapacityError, match="over the cap of 50 units"):
        compare_model.check_model("esn", {"n_units": 51}, task, small)
    with pytest.raises(FSMError, match="over the cap of 16 hidden units$"):
        compare_model.check_model("lstm", {"n_hidden": 17}, task, small)


def test_a_task_that_cannot_be_made_says_why_and_the_comparison_stays():
    at = open_page({**SMALL, "cmp_task": "memory_capacity", "cmp_memory_capacity.K": "200",
                    "cmp_memory_capacity.T": "600"})
    before = comparison(at)
    at.number_input(key="cmp_memory_capacity.T").set_value(200_000).run()
    assert not at.exception, at.exception
    message = " ".join(texts(at.error))
    assert "This task was not made" in message and "the cap is 8,000,000" in message
    assert comparison(at) is before and charts(at)


# ---------------------------------------------------------------------- committed curves
def test_the_switch_draws_the_committed_curves_with_the_command(monkeypatch):
    curve = {"seconds": [0.5, 3.0], "seen": [0, 600], "updates": [0, 10],
             "metric": [0.25, 0.9]}
    fake = compare_results.parse({
        "runs": [{"task": TASK, "model": m, "seed": s, "curve": curve,
                  "task_params": {"k": 3}} for m in ("fsm", "lstm") for s in (0, 1)],
        "meta": {"command": "fsm-explorer bench compare --seeds 2"}})
    monkeypatch.setattr(settings, "COMMITTED", fake)
    at = open_page()
    assert all("committed" not in t["name"] for t in charts(at)[CURVES]["data"])
    at.checkbox(key="cmp_committed").check().run()
    for xaxis in PANELS:
        dotted = [t for t in panel(at, xaxis) if t["line"].get("dash") == "dot"]
        assert len(dotted) == 4 and "LSTM, committed (seed 1)" in [t["name"] for t in dotted]
    note = " ".join(texts(at.caption))
    assert "`fsm-explorer bench compare --seeds 2`" in note
    assert "Their task had k=3" in note                     # the live task has k=5


def test_without_committed_curves_the_switch_says_why(monkeypatch):
    monkeypatch.setattr(settings, "COMMITTED", compare_results.parse({"rows": []}))
    at = open_page()
    at.checkbox(key="cmp_committed").check().run()
    assert any("No committed curves to draw" in c for c in texts(at.caption))
    assert not at.exception


# ---------------------------------------------------------------------- memory capacity
def test_memory_capacity_draws_r2_against_delay_for_every_model():
    query = {"cmp_task": "memory_capacity", "cmp_memory_capacity.K": "5",
             "cmp_memory_capacity.T": "600", "cmp_memory_capacity.fsm.n_machines": "40",
             "cmp_memory_capacity.esn.n_units": "30", "cmp_memory_capacity.lstm.n_hidden": "8"}
    at = train(open_page(query), reruns=1)
    figure = charts(at)["Memory capacity: r² against delay"]
    names = [trace["name"] for trace in figure["data"]]
    assert len(names) == 3 and all(": MC " in name for name in names)
    r2 = compare_model.memory_curves(comparison(at))
    assert [len(line["r2"]) for line in r2] == [5, 5, 5]
    progress = comparison(at).runs["esn"].live.progress.metrics
    assert sum(r2[1]["r2"]) == pytest.approx(progress["memory_capacity"])


# ---------------------------------------------------------------------- run it backwards
TOMITA = {"cmp_task": "tomita", "cmp_tomita.n_strings": "120", "cmp_tomita.max_length": "8",
          "cmp_tomita.fsm.n_machines": "6", "cmp_tomita.fsm.n_states": "2",
          "cmp_tomita.esn.n_units": "20", "cmp_tomita.lstm.n_hidden": "8"}


def test_extract_the_lstm_machine_and_open_it_on_the_machine_page():
    at = open_page(TOMITA)
    at.button(key="btn_cmp_extract_lstm").click().run()
    assert not at.exception, at.exception
    summary = next(m for m in texts(at.markdown) if "after minimisation" in m)
    kept = at.session_state[compare_model.EXTRACTIONS]["lstm"]["result"]
    assert f"**{kept.states} states**" in summary and "minimal automaton has **5**" in summary
    assert 0.0 <= kept.fidelity <= 1.0
    at.button(key="btn_cmp_open_lstm").click().run()
    assert not at.exception, at.exception
    assert at.session_state["machine"] == kept.machine
    assert "extracted from the Compare page's LSTM" in at.session_state["machine_source"]


def test_the_lstar_method_learns_the_lstm_machine_through_aalpy():
    at = open_page(TOMITA)
    at.radio(key="w_cmp_extract_method").set_value("lstar").run()
    at.button(key="btn_cmp_extract_lstm").click().run()
    assert not at.exception, at.exception
    kept = at.session_state[compare_model.EXTRACTIONS]["lstm"]["result"]
    assert kept.method == "lstar" and kept.details["membership_queries"] > 0
    assert any(f"**{kept.states} states**" in m for m in texts(at.markdown))


def test_the_automaton_an_fsm_network_computes():
    at = open_page(TOMITA)
    at.button(key="btn_cmp_extract_fsm").click().run()
    assert not at.exception, at.exception
    kept = at.session_state[compare_model.EXTRACTIONS]["fsm"]["result"]
    assert kept.method == "product" and kept.details["machines"] == 6
    assert kept.raw_states <= 2 ** 6 and kept.states <= kept.raw_states
    assert any(f"**{kept.states} states**" in m for m in texts(at.markdown))
    at.button(key="btn_cmp_open_fsm").click().run()
    assert "FSM network computes" in at.session_state["machine_source"]


def test_extraction_on_a_regression_task_says_it_needs_classes():
    at = open_page({"cmp_task": "memory_capacity", "cmp_memory_capacity.T": "300",
                    "cmp_memory_capacity.fsm.n_machines": "20",
                    "cmp_memory_capacity.esn.n_units": "20",
                    "cmp_memory_capacity.lstm.n_hidden": "4"})
    assert any("needs a classification task" in i for i in texts(at.info))
    assert not [b for b in at.button if b.key == "btn_cmp_extract_lstm"]


# ---------------------------------------------------------------------- sweep files
@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("sweep") / "runs.csv"
    config = {"seeds": [0, 1], "updates": 1, "task": {"name": TASK, "k": [1, 2], "T": 300},
              "models": {"esn": {"n_units": 10}}}
    sweep.execute(sweep.expand(config), out=path)
    return path.read_bytes()


def test_a_sweep_file_draws_the_sweep_figure(sweep_csv):
    at = open_page()
    at.file_uploader(key=compare_model.SWEEP_UPLOADER).set_value(
        ("runs.csv", sweep_csv, "text/csv")).run()
    assert not at.exception, at.exception
    assert "Loaded runs.csv: 4 runs." in texts(at.success)
    figure = next(spec for title, spec in charts(at).items() if title.startswith("Sweep:"))
    assert figure["layout"]["xaxis"]["title"]["text"] == "k"


@pytest.mark.parametrize("name,content,says", [
    ("runs.csv", b"a,b\n1,2\n", "not a sweep output file: no run_id"),
    ("runs.csv", b"\xff\xfe\x00garbage", "not a UTF-8 CSV file"),
    ("runs.parquet", b"PAR1 not really", "not a readable Parquet file"),
])
def test_a_bad_sweep_file_says_what_is_wrong_and_keeps_the_previous_sweep(sweep_csv, name,
                                                                           content, says):
    at = open_page()
    uploader = at.file_uploader(key=compare_model.SWEEP_UPLOADER)
    uploader.set_value(("good.csv", sweep_csv, "text/csv")).run()
    at.file_uploader(key=compare_model.SWEEP_UPLOADER).set_value(
        (name, content, "text/csv")).run()
    assert not at.exception, at.exception
    error = " ".join(texts(at.error))
    assert f"{name} was not used" in error and says in error
    assert "The previous sweep is kept" in error
    assert at.session_state[compare_model.SWEEP]["name"] == "good.csv"


def test_read_sweep_refuses_an_oversized_file_naming_the_cap(sweep_csv):
    with pytest.raises(FSMError, match="over the cap of 100 bytes"):
        compare_model.read_sweep("runs.csv", sweep_csv, max_bytes=100)


def test_read_sweep_refuses_other_extensions_and_sweeps_with_no_finished_run(sweep_csv):
    with pytest.raises(FSMError, match=r"\(.csv or .parquet\), its extension is .txt"):
        compare_model.read_sweep("runs.txt", sweep_csv)
    header = sweep_csv.decode().splitlines()[0]
    with pytest.raises(FSMError, match="holds no runs"):
        compare_model.read_sweep("runs.csv", (header + "\n").encode())


# ---------------------------------------------------------------------- sessions
def test_two_sessions_never_share_a_comparison():
    first, second = train(open_page(), reruns=2), open_page()
    assert comparison(first) is not comparison(second)
    assert set(updates(second).values()) == {0} and sum(updates(first).values()) > 0


# ---------------------------------------------------------------------- the glue
class FakeRun:
    """A model whose every update costs ``cost`` seconds of (pretend) training."""

    def __init__(self, cost: float):
        self.cost, self.owed, self.spent = cost, 0.0, 0.0
        self.live = SimpleNamespace(running=True)

    def advance(self, max_seconds: float) -> None:
        made = max(1, int(max_seconds // self.cost))          # at least one update
        self.spent += made * self.cost
        self.owed = max(self.owed - made * self.cost, -compare_model.MAX_DEBT)


def test_ticks_share_training_time_equally_even_when_an_update_overruns_its_share():
    runs = {"cheap": FakeRun(0.001), "dear": FakeRun(0.25), "mid": FakeRun(0.02)}
    comparison_ = compare_model.Comparison(compare_model.TaskConfig(TASK, (), 0), None, runs)
    for _ in range(300):
        comparison_.tick(0.1)
    spent = [run.spent for run in runs.values()]
    assert max(spent) - min(spent) <= 0.25 + 1e-9           # within one dear update
    runs["mid"].live.running = False
    before = runs["mid"].spent
    comparison_.tick(0.1)
    assert runs["mid"].spent == before


def test_a_model_whose_one_update_is_very_long_owes_at_most_the_debt_cap():
    runs = {"solve": FakeRun(10.0), "steady": FakeRun(0.01)}
    comparison_ = compare_model.Comparison(compare_model.TaskConfig(TASK, (), 0), None, runs)
    comparison_.tick(0.1)
    assert runs["solve"].owed == -compare_model.MAX_DEBT
    ticks = 0
    while runs["solve"].spent == 10.0:
        comparison_.tick(0.1)
        ticks += 1
    assert abs(ticks - compare_model.MAX_DEBT / 0.05) <= 1     # 0.05 s a tick paid back


def test_seen_and_seconds_follow_the_curve_when_points_are_dropped():
    task = tasks.make(TASK, T=400)
    learner = models.build("esn", task, 0, n_units=10, solver="adam")
    run = compare_model.ModelRun("esn", (), learner, build_seconds=0.5)
    for _ in range(4):
        run.advance(0.001)
    curves = run.live.curves
    assert len(run.seen) == len(run.seconds) == len(curves["updates"]) == 5
    assert run.seconds[0] == 0.5 and run.seen == sorted(run.seen)
    for values in curves.values():           # weights restored to an earlier update ...
        del values[3:]
    curves["updates"].append(2.5)            # ... and evaluated again
    curves["metric"].append(0.0)
    run.sync()
    assert len(run.seen) == len(run.seconds) == 4


def test_an_episodic_task_shows_its_first_held_out_episode_from_its_start():
    task = tasks.make("tomita", n_strings=50, max_length=8, seed=0)
    window = compare_model.episode(task)
    starts = np.flatnonzero(task.resets)
    ends = np.append(starts[1:], task.T)
    held = task.holdout[starts]
    longest = (ends - starts)[held].max()
    assert window.start == window.first and window.start in starts
    assert task.holdout[window.start] and window.end in set(ends)
    assert 2 * (window.end - window.start) >= longest           # not a two-symbol string
    earlier = held & (starts < window.start)
    assert (2 * (ends - starts)[earlier] < longest).all()        # the first that long


def test_one_long_stream_shows_held_out_steps_read_after_a_warm_up():
    task = tasks.make(TASK, T=1000)
    window = compare_model.episode(task, stream_steps=30, warmup=50)
    first = int(np.flatnonzero(task.eval_mask)[0])
    assert (window.start, window.first, window.end) == (first - 50, first, first + 30)
    assert "read after the 50 steps before them" in window.description
