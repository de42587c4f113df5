"""The Train page through Streamlit's AppTest (every control; training advanced by reruns, since
AppTest does not run ``run_every`` timers), and the pieces under it: the live run
(explorer/live.py) and the session glue (explorer/train_model.py)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest import step_button
from explorer import live, settings, train_model
from explorer.limits import LIMITS
from fsm_engine import models, persist, tasks
from fsm_engine.families import PARAM_TABLE
from fsm_engine.sequences import load_sequence

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TRAIN_PAGE = "explorer/pages/train.py"
NETWORK_PAGE = "explorer/pages/network.py"
#: a small network on a short stream: every rerun stays quick
SMALL = {"tr_fsm.n_machines": "200", "tr_temporal_parity.T": "600"}
STEP = "btn_train_step"
GOOD_CSV = ("symbol,target\n" + "a,no\nb,yes\nb,no\na,yes\n" * 40).encode()


# ---------------------------------------------------------------------- helpers
def open_page(query: dict | None = None) -> AppTest:
    """The app opened on the Train page (with URL query parameters; SMALL by default)."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params.update(SMALL if query is None else query)
    at.run()
    at.switch_page(TRAIN_PAGE).run()
    assert not at.exception, at.exception
    return at


def run_of(at: AppTest) -> live.LiveRun:
    return at.session_state[train_model.RUN]


def charts(at: AppTest) -> dict[str, dict]:
    """Every chart's figure, by its title."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def chart(at: AppTest, title_start: str) -> dict:
    return next(spec for title, spec in charts(at).items() if title.startswith(title_start))


def values(array) -> np.ndarray:
    """A figure array as NumPy (Plotly may send it as base64 typed data)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array)


def status(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " update" in m.value and "·" in m.value)


def messages(at: AppTest, kind: str = "error") -> list[str]:
    return [element.value for element in getattr(at, kind)]


def click(at: AppTest, key: str) -> AppTest:
    if key == STEP:
        return step_clicks(at, 1)
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def step_clicks(at: AppTest, clicks: int, mount: str = "apptest") -> AppTest:
    """What the Step button sends after ``clicks`` more clicks: its running total (fast
    clicks reach the server as one total, see explorer/click_counter.py)."""
    try:
        current = at.session_state[STEP]["clicks"]
    except (KeyError, TypeError):
        current = None
    count = current["count"] if current and current["mount"] == mount else 0
    at.session_state[STEP] = {"clicks": {"mount": mount, "count": count + clicks}}
    at.run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------------- the page
def test_the_page_opens_on_the_questions_model_with_four_titled_charts():
    at = open_page()
    run = run_of(at)
    learner = run.learner
    assert learner.features == "output" and learner.readout.loss == "mse"
    assert learner.readout.solver == "gd" and learner.source.n_machines == 200
    assert "output features, squared error, plain GD" in run.label
    assert set(charts(at)) == {"Loss: training and held-out steps", "Accuracy on held-out steps",
                               "Readout weights, one block per output",
                               "Predictions against targets on held-out steps"}
    assert status(at).startswith("**0 updates**")
    assert at.button(key="btn_train_pause").disabled
    assert not at.button(key="btn_train_start").disabled


def test_step_makes_exactly_one_update_per_click():
    at = open_page()
    assert step_button(at)["label"] == "Step" and not step_button(at)["disabled"]
    click(at, "btn_train_step")
    assert run_of(at).updates == 1 and status(at).startswith("**1 update**")
    click(at, "btn_train_step")
    assert run_of(at).updates == 2
    assert run_of(at).curves["updates"] == [0.0, 1.0, 2.0]
    assert not run_of(at).running
    step_clicks(at, 3)                 # three fast clicks reach the server as one total
    assert run_of(at).updates == 5
    at.run()
    assert run_of(at).updates == 5     # a rerun counts no click twice


def test_step_while_training_pauses_and_makes_one_update():
    at = open_page()
    click(at, "btn_train_start")
    before = run_of(at).updates
    click(at, "btn_train_step")
    assert not run_of(at).running and run_of(at).updates == before + 1


def test_start_trains_on_every_rerun_and_the_loss_falls():
    at = open_page()
    click(at, "btn_train_start")
    assert run_of(at).running and at.button(key="btn_train_start").disabled
    seen = [run_of(at).updates]
    for _ in range(4):
        at.run()
        seen.append(run_of(at).updates)
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False))
    loss = values(chart(at, "Loss")["data"][0]["y"])
    assert len(loss) >= 5 and loss[-1] < loss[0]
    assert "updates/s" in status(at) and "ms per update" in status(at)


def test_pause_stops_training_and_start_resumes_it():
    at = open_page()
    click(at, "btn_train_start")
    at.run()
    click(at, "btn_train_pause")
    stopped = run_of(at).updates
    at.run()
    at.run()
    assert run_of(at).updates == stopped and not run_of(at).running
    assert at.button(key="btn_train_pause").disabled
    click(at, "btn_train_start")
    at.run()
    assert run_of(at).updates > stopped


def test_reset_gives_fresh_weights_from_the_same_seed():
    at = open_page()
    first = run_of(at).learner.state_dict()["coef"]
    for _ in range(3):
        click(at, "btn_train_step")
    assert not np.array_equal(run_of(at).learner.state_dict()["coef"], first)
    click(at, "btn_train_reset")
    assert run_of(at).updates == 0
    assert np.array_equal(run_of(at).learner.state_dict()["coef"], first)


def test_a_rerun_never_loses_the_model():
    at = open_page()
    click(at, "btn_train_step")
    run = run_of(at)
    for _ in range(3):
        at.run()
    assert run_of(at) is run and run.updates == 1


def test_learning_rate_and_l2_change_without_a_reset():
    at = open_page()
    click(at, "btn_train_step")
    click(at, "btn_train_step")
    run = run_of(at)
    safe = run.auto_lr
    assert f"automatic: {safe:.3g}" == at.number_input(key="tr_lr").proto.placeholder
    at.number_input(key="tr_lr").set_value(safe / 10).run()
    at.number_input(key="tr_l2").set_value(0.5).run()
    assert run_of(at) is run and run.updates == 2
    assert run.learner.lr == pytest.approx(safe / 10) and run.learner.l2 == 0.5
    assert any(f"In use: **{safe / 10:.3g}**" in c.value for c in at.caption)
    at.number_input(key="tr_lr").set_value(None).run()           # empty = automatic again
    assert run.learner.lr == safe


def test_a_setting_that_changes_the_model_builds_a_fresh_one():
    at = open_page()
    click(at, "btn_train_step")
    before = run_of(at)
    at.number_input(key="tr_fsm.n_machines").set_value(300).run()
    assert run_of(at) is not before and run_of(at).updates == 0
    assert run_of(at).learner.source.n_machines == 300


def test_every_task_gets_its_parameters_as_widgets_from_its_table():
    at = open_page({"tr_fsm.n_machines": "50"})
    for task in tasks.NAMES:
        at.selectbox(key="tr_task").set_value(task).run()
        assert not at.exception, (task, at.exception)
        for param in tasks.params(task):
            assert at.get_by_key(settings.task_key(task, param.name)) is not None, (task, param)
        assert run_of(at).task.name == task, (task, messages(at))   # every default builds


@pytest.mark.parametrize("model", settings.TRAIN_MODELS)
def test_every_model_parameter_has_a_widget(model):
    """A new parameter in a model's table appears on the page with no page edit (family
    parameters show when the family mix uses them)."""
    at = open_page({**SMALL, "tr_esn.n_units": "50"})
    at.selectbox(key="tr_model").set_value(model).run()
    for param in models.get(model).params:
        if param.name in PARAM_TABLE and param.name not in ("n_states", "stay"):
            continue                             # only random machines in the default mix
        assert at.get_by_key(settings.model_key(model, param.name)) is not None, param.name


def test_the_echo_state_network_is_one_click_away():
    at = open_page({**SMALL, "tr_esn.n_units": "50"})
    at.selectbox(key="tr_model").set_value("esn").run()
    run = run_of(at)
    assert run.label.startswith("ESN N=50") and run.learner.readout.solver == "gd"
    weights = chart(at, "Readout weights")
    subtitle = weights["layout"]["title"]["subtitle"]["text"]
    assert subtitle == "a square per unit, all 50 units"
    click(at, "btn_train_step")
    assert run_of(at).updates == 1


def test_the_network_pages_network_is_one_click_away():
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params.update({"net_machines": "300", "net_mix_counter": "0.5", "net_states": "6",
                            "net_seed": "5", "net_steps": "100"})
    at.run()
    at.switch_page(NETWORK_PAGE).run()
    assert not at.exception
    at.switch_page(TRAIN_PAGE).run()
    click(at, "btn_use_network")
    learner = run_of(at).learner
    assert learner.source.n_machines == 300
    assert at.text_input(key="tr_fsm.family").value == "random:1,counter:0.5"
    assert at.number_input(key="tr_fsm.n_states").value == 6
    assert at.number_input(key="tr_seed").value == 5
    assert run_of(at).config.seed == 5 and learner.source.max_states == 6


# ---------------------------------------------------------------------- bad situations
def test_a_diverging_run_stops_with_a_message_and_the_last_good_weights():
    at = open_page()
    at.number_input(key="tr_lr").set_value(10.0).run()
    click(at, "btn_train_start")
    for _ in range(3):
        if not run_of(at).running:
            break
        at.run()
    run = run_of(at)
    assert not run.running
    (message,) = [m for m in messages(at) if "Training stopped" in m]
    assert "diverged" in message and "Lower the learning rate" in message
    coef = run.learner.state_dict()["coef"]
    assert np.isfinite(coef).all() and np.abs(coef).max() < 1.0
    assert np.isfinite(values(chart(at, "Loss")["data"][0]["y"])).all()
    assert not at.button(key="btn_train_start").disabled


def test_sizes_over_a_cap_are_refused_naming_the_cap_and_the_model_stays():
    at = open_page({**SMALL, "tr_temporal_parity.T": "20000"})
    click(at, "btn_train_step")
    kept = run_of(at)
    at.number_input(key="tr_fsm.n_machines").set_value(LIMITS.max_machines).run()
    (message,) = [m for m in messages(at) if "were not built" in m]
    assert "over the cap of 400 MB" in message and "FSM_EXPLORER" not in message
    assert "previous one" in message
    assert run_of(at) is kept and kept.updates == 1


def test_a_mistyped_family_mix_is_explained_and_the_model_stays():
    at = open_page()
    kept = run_of(at)
    at.text_input(key="tr_fsm.family").input("random:0.5,delay:0.5").run()
    (message,) = [m for m in messages(at) if "were not built" in m]
    assert "unknown family 'delay'" in message and "delay_line" in message
    assert run_of(at) is kept
    at.text_input(key="tr_fsm.family").input("random:0.5,delay_line:0.5").run()
    assert run_of(at) is not kept and not [m for m in messages(at) if "were not built" in m]


def test_a_link_over_a_cap_is_explained_and_not_used():
    at = open_page({"tr_fsm.n_machines": str(LIMITS.max_machines + 1)})
    assert any("machines N" in w and "outside" in w for w in messages(at, "warning"))
    assert run_of(at).learner.source.n_machines == settings.TRAIN_DEFAULTS["n_machines"]


def test_the_ridge_solver_finishes_in_one_update():
    at = open_page()
    at.selectbox(key="tr_solver").set_value("ridge").run()
    click(at, "btn_train_start")
    at.run()
    run = run_of(at)
    assert run.finished and not run.running and run.updates == 1
    assert any("finished" in m for m in messages(at, "success"))
    assert at.button(key="btn_train_start").disabled and step_button(at)["disabled"]


def test_two_browser_sessions_never_share_a_model():
    first, second = open_page(), open_page()
    click(first, "btn_train_step")
    assert run_of(first) is not run_of(second)
    assert run_of(first).updates == 1 and run_of(second).updates == 0


# ---------------------------------------------------------------------- your own sequence
def upload_sequence(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="w_train_sequence").set_value((name, content, "text/csv"))
    return at.run()


def test_an_uploaded_csv_becomes_the_task():
    at = open_page()
    at.selectbox(key="tr_task").set_value(settings.UPLOAD).run()
    assert any("were not built" in m and "no sequence" in m for m in messages(at))
    upload_sequence(at, "mine.csv", GOOD_CSV)
    run = run_of(at)
    assert run.task.name == "sequence" and run.task.classes == ("no", "yes")
    assert any("Loaded mine.csv: 160 steps, 2 symbols" in m for m in messages(at, "success"))
    click(at, "btn_train_step")
    assert run_of(at).updates == 1


@pytest.mark.parametrize("content, words", [
    (b"a,1\nb,2,3\n", ["row 2", "3 columns"]),
    (b"a,0.5\nb,x\n", ["row 2, column 2", "'x'"]),
    (b"a\n\xff\n", ["byte 2", "UTF-8"]),
])
def test_a_bad_upload_is_refused_naming_the_place_and_the_sequence_stays(content, words):
    at = open_page()
    at.selectbox(key="tr_task").set_value(settings.UPLOAD).run()
    upload_sequence(at, "good.csv", GOOD_CSV)
    kept = run_of(at)
    upload_sequence(at, "bad.csv", content)
    (message,) = [m for m in messages(at) if "bad.csv was not used" in m]
    for word in words:
        assert word in message
    assert "previous sequence is kept" in message
    assert run_of(at) is kept


def test_an_upload_over_the_byte_cap_is_refused_naming_the_cap():
    at = open_page()
    at.selectbox(key="tr_task").set_value(settings.UPLOAD).run()
    big = b"a,1\n" * (LIMITS.max_sequence_bytes // 4 + 1)
    upload_sequence(at, "big.csv", big)
    assert any(f"over the cap of {LIMITS.max_sequence_bytes:,} bytes" in m for m in messages(at))


# ---------------------------------------------------------------------- model files
def test_an_exported_model_imports_in_another_session_with_the_same_predictions():
    at = open_page()
    for _ in range(3):
        click(at, "btn_train_step")
    run = run_of(at)
    data = persist.dumps(run.learner, run.config.model, run.config.model_params,
                         run.config.seed, updates=run.updates)
    other = open_page({})                              # another browser, default settings
    other.file_uploader(key="w_train_model_file").set_value(
        ("model.npz", data, "application/octet-stream")).run()
    assert not other.exception, other.exception
    loaded = run_of(other)
    assert np.array_equal(loaded.outputs, run.outputs)
    assert loaded.learner.source.n_machines == 200
    assert other.number_input(key="tr_fsm.n_machines").value == 200
    assert other.number_input(key="tr_temporal_parity.T").value == 600
    assert any("trained for 3 updates" in m for m in messages(other, "success"))
    other.run()
    assert run_of(other) is loaded                     # the settings match the file: no reset
    click(other, "btn_train_step")
    assert run_of(other).updates == 1


def test_a_bad_model_file_changes_nothing_and_says_why():
    at = open_page()
    kept = run_of(at)
    at.file_uploader(key="w_train_model_file").set_value(
        ("notes.npz", b"not a zip at all", "application/octet-stream")).run()
    assert any("notes.npz was not loaded" in m and "not a readable .npz" in m
               for m in messages(at))
    assert run_of(at) is kept


def test_the_save_button_is_offered_for_the_model_on_screen():
    at = open_page()
    assert at.get("download_button")


# ---------------------------------------------------------------------- leaving for a machine
def test_a_page_request_from_the_fragment_lands_on_the_machine_page():
    at = open_page()
    at.session_state[live.PAGE_REQUEST] = (train_model.MACHINE_PAGE, {})
    at.run()
    assert [t.value for t in at.title] == ["Machine"]


def test_the_tape_is_the_predictions_window_from_its_last_episode_start():
    stream = tasks.make("delayed_recall", T=400, k=1, m=3)
    window = train_model.prediction_window(stream, 20)
    start, end, text = train_model.tape_for(stream, window, 1000)
    assert (start, end) == (int(window[0]), int(window[-1]) + 1)
    assert text == "".join(stream.alphabet[x] for x in stream.inputs[start:end])
    episodic = tasks.make("five_bit_memory", T0=20)
    window = train_model.prediction_window(episodic, 12)
    start, end, text = train_model.tape_for(episodic, window, 1000)
    assert episodic.resets[start] and not episodic.resets[start + 1:end].any()
    assert text.split() == [episodic.alphabet[x] for x in episodic.inputs[start:end]]
    _, _, short = train_model.tape_for(stream, window, 3)
    assert len(short) == 3
    text_task = load_sequence(b"hello world, hello there " * 4, "t.txt")
    assert train_model.tape_for(text_task, np.arange(10), 100)[2] is None   # a space symbol


# ---------------------------------------------------------------------- the live run itself
def small_run(**params) -> live.LiveRun:
    task = tasks.make("temporal_parity", T=300)
    learner = models.build("fsm", task, 0, n_machines=50, **{
        "features": "output", "loss": "mse", "solver": "gd", **params})
    return live.LiveRun(learner, learner.readout.loss)


def test_a_live_run_evaluates_update_zero_and_records_each_advance():
    run = small_run()
    assert run.curves["updates"] == [0.0] and run.outputs.shape == (300, 2)
    run.step()
    run.advance(3)
    assert run.curves["updates"] == [0.0, 1.0, 4.0] and run.updates == 4
    assert run.curves["train_loss"][-1] < run.curves["train_loss"][0]


def test_step_loss_is_the_training_rule_per_scored_step():
    run = small_run()
    task, outputs = run.task, run.outputs
    mask = task.train_mask
    onehot = np.eye(2)[task.targets[mask]]
    expected = np.mean(np.sum((outputs[mask] - onehot) ** 2, axis=1))
    assert live.step_loss(task, outputs, "mse", mask) == pytest.approx(expected)
    learner = run.learner
    assert live.step_loss(task, outputs, "mse", mask) * mask.sum() == pytest.approx(
        learner.readout.partial_fit(learner.train_features, np.eye(2)[task.targets[mask]],
                                    n_updates=1).loss_, rel=1e-4)


def test_a_live_run_that_diverges_pauses_with_the_trainers_message():
    run = small_run(lr=5.0)
    run.start()
    for _ in range(5):
        run.tick(max_seconds=1.0)
        if not run.running:
            break
    assert not run.running and run.message[0] == "error" and "diverged" in run.message[1]
    assert max(run.curves["updates"]) <= run.updates
    assert np.isfinite(run.learner.state_dict()["coef"]).all()


def test_a_click_event_gives_the_machine_of_the_square():
    class Event:
        class selection:
            points = [{"customdata": [17, 0], "point_index": 3}]

    assert live.clicked_index(Event, None) is not None and live.clicked_index(Event, None) == 17

    class NoData:
        class selection:
            points = [{"point_index": 1, "curve_number": 0}]

    class Figure:
        data = [type("Trace", (), {"customdata": np.array([[5, 0], [9, 0]])})]

    assert live.clicked_index(NoData, Figure) == 9
    assert live.clicked_index(None, Figure) is None
