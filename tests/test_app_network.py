"""The Network page through Streamlit's AppTest (every control, asserted on what the user sees),
and the engine glue under it (explorer/network_model.py) against direct engine computations."""
from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer import limits, network_model, settings
from explorer.network_model import NetworkSpec
from fsm_engine import Machine, tasks
from fsm_engine.analysis import SORT_ORDERS
from fsm_engine.errors import CapacityError, FSMError
from fsm_engine.families import FAMILIES, make_bank

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
NETWORK_PAGE = "explorer/pages/network.py"
LIT = re.compile(r'"([^"]+)" \[label="[^"]*", fillcolor="#f4a261"')
BOLD_EDGE = re.compile(r'"([^"]+)" -> "([^"]+)" \[label="([^"]*)", penwidth=3.5')
SMALL = {"net_machines": "100", "net_steps": "120"}


# ---------------------------------------------------------------------- helpers
def open_page(query: dict | None = None) -> AppTest:
    """The app opened on the Network page (with URL query parameters, if given)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(NETWORK_PAGE).run()
    assert not at.exception, at.exception
    return at


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " machines** (" in m.value)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def state_raster(at: AppTest) -> dict:
    return charts(at)[0]["data"][0]


def z_of(trace: dict) -> np.ndarray:
    """A heatmap's z as an array (Plotly may send it as base64 typed data)."""
    z = trace["z"]
    if isinstance(z, dict):
        flat = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
        shape = str(z.get("shape", flat.size))
        return flat.reshape([int(n) for n in shape.split(",")])
    return np.asarray(z)


def dot(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def errors(at: AppTest) -> list[str]:
    return [element.value for element in at.error]


def default_spec(**changes) -> NetworkSpec:
    """The spec the page builds from its default settings, with ``changes``."""
    values = dict(mix=tuple((name, float(settings.SETTINGS[f"net_mix_{name}"].default))
                            for name in FAMILIES),
                  n_machines=100, n_states=8, stay=0.0, k=2, modulus=3, seed=0,
                  source="delayed_recall", text="abc", n_steps=120)
    values.update(changes)
    return NetworkSpec(**values)


# ---------------------------------------------------------------------- the page
def test_page_shows_rasters_occupancy_separation_and_a_diagram():
    at = open_page(SMALL)
    assert [chart["layout"]["height"] for chart in charts(at)] == [430, 430, 330]
    assert len(at.get("graphviz_chart")) == 1
    assert [metric.label for metric in at.metric] == ["Output features", "One-hot state features"]
    assert "100 machines" in summary(at) and "120 inputs" in summary(at)
    assert not errors(at)


def test_machines_slider_sets_the_network_size():
    at = open_page(SMALL)
    at.slider(key="net_machines").set_value(300).run()
    assert "300 machines" in summary(at)


def test_family_shares_set_the_mix():
    at = open_page(SMALL)
    at.slider(key="net_mix_random").set_value(0.25)
    at.slider(key="net_mix_parity").set_value(0.75).run()
    assert "25 random · 75 parity" in summary(at)
    occupancy = charts(at)[2]
    assert [bar["name"] for bar in occupancy["data"]] == ["random", "parity"]
    assert z_of({"z": occupancy["data"][1]["x"]}).tolist() == [0, 1]


def test_family_parameters_show_only_for_families_in_the_mix():
    at = open_page(SMALL)
    keys = {widget.key for widget in [*at.slider, *at.number_input]}
    assert {"net_states", "net_stay"} <= keys and not {"net_k", "net_modulus"} & keys
    at.slider(key="net_mix_random").set_value(0.0)
    at.slider(key="net_mix_delay_line").set_value(1.0).run()
    keys = {widget.key for widget in [*at.slider, *at.number_input]}
    assert "net_k" in keys and not {"net_states", "net_stay"} & keys
    assert "100 delay line" in summary(at)


def test_states_per_machine_sets_the_state_colours():
    at = open_page(SMALL)
    at.number_input(key="net_states").set_value(4).run()
    raster = state_raster(at)
    assert raster["zmax"] == 3.5 and z_of(raster).max() == 3


def test_stay_probability_slows_the_machines_down():
    def changes_per_step(at):
        z = z_of(state_raster(at)).astype(int)
        return (np.diff(z, axis=1) != 0).mean()

    at = open_page(SMALL)
    restless = changes_per_step(at)
    at.slider(key="net_stay").set_value(0.9).run()
    assert changes_per_step(at) < restless / 3


def test_seed_draws_other_machines():
    at = open_page(SMALL)
    before = z_of(state_raster(at))
    at.number_input(key="net_seed").set_value(1).run()
    assert not np.array_equal(before, z_of(state_raster(at)))


def test_task_input_brings_its_alphabet_and_episodes():
    at = open_page(SMALL)
    at.selectbox(key="net_input").select("five_bit_memory").run()
    assert "4 symbols** (a1 a2 d c)" in summary(at)
    assert "the task five bit memory" in summary(at)
    assert at.selectbox(key="net_input").options[:2] == ["delayed recall", "memory capacity"]
    assert at.query_params["net_input"] == "five_bit_memory"          # the URL keeps the name
    assert re.search(r'label="[^"]*a1', dot(at))


def test_typed_text_input_reads_its_characters():
    at = open_page(SMALL)
    at.selectbox(key="net_input").select(settings.TYPED_TEXT).run()
    at.text_input(key="net_text").input("abba cab").run()
    assert "4 symbols** (a b c ␣)" in summary(at)
    assert "your text (8 characters, repeated 15.0 times)" in summary(at)


def test_steps_slider_sets_the_length_of_the_run():
    at = open_page(SMALL)
    at.slider(key="net_steps").set_value(300).run()
    assert "300 inputs" in summary(at)
    assert at.slider(key="net_time").max == 300
    assert z_of({"z": state_raster(at)["x"]}).max() == 299


def test_every_sort_order_the_engine_knows_is_offered_and_sorts_the_raster():
    """Each order the radio offers is one the engine sorts by, keeps every machine in the
    raster, and the orders really differ."""
    at = open_page({**SMALL, "net_mix_counter": "0.5"})
    assert len(at.radio(key="net_sort").options) == len(SORT_ORDERS)
    arrangements = set()
    for order in SORT_ORDERS:
        at.radio(key="net_sort").set_value(order).run()
        assert not at.exception, at.exception
        assert at.radio(key="net_sort").value == order
        rows = tuple(int(label.split()[0][1:]) for label in state_raster(at)["y"])
        assert sorted(rows) == list(range(100))                # a permutation: none lost
        arrangements.add(rows)
    assert len(arrangements) == len(SORT_ORDERS)


@pytest.mark.parametrize("order", ["index", "family", "activity", "entropy"])
def test_sort_order_arranges_the_raster_rows(order):
    """100 machines x 120 steps fit a raster unthinned, so each row is a whole machine's run."""
    at = open_page({**SMALL, "net_mix_counter": "0.5"})
    at.radio(key="net_sort").set_value(order).run()
    raster = state_raster(at)
    z = z_of(raster).astype(int)                                               # [M, T]
    machines = [int(label.split()[0][1:]) for label in raster["y"]]
    families = [label.split()[1] for label in raster["y"]]
    if order == "index":
        assert machines == sorted(machines)
    elif order == "family":
        assert families == sorted(families, key=["random", "counter"].index)
    elif order == "activity":
        changes = (np.diff(z, axis=1) != 0).sum(axis=1) + (z[:, 0] != 0)      # all start in 0
        assert np.all(np.diff(changes) >= 0)
    else:
        shares = [np.bincount(row) / row.size for row in z]
        entropy = [-(p[p > 0] * np.log2(p[p > 0])).sum() for p in shares]
        assert np.all(np.diff(entropy) >= -1e-9)


def test_machine_picker_shows_that_machine():
    at = open_page(SMALL)
    at.number_input(key="net_pick").set_value(42).run()
    assert dot(at).startswith('digraph "machine 42"')
    assert any(m.value.startswith("Machine **42** is a **random** machine") for m in at.markdown)


def test_time_slider_moves_the_lit_state_and_the_bold_edge():
    at = open_page(SMALL)
    at.number_input(key="net_pick").set_value(7).run()
    machine = make_bank("random", 100, 4, 0).machine(7)
    inputs = tasks.make("delayed_recall", T=120, seed=0).inputs
    expected = machine.run(inputs)                                             # [T]
    seen = set()
    for t in (1, 2, 3, 50, 120):
        at.slider(key="net_time").set_value(t).run()
        lit = LIT.search(dot(at)).group(1)
        assert lit == machine.states[expected[t - 1]]
        source, target, label = BOLD_EDGE.search(dot(at)).groups()
        before = machine.start if t == 1 else expected[t - 2]
        assert (source, target) == (machine.states[before], lit)
        assert reads(label, machine.alphabet[inputs[t - 1]], machine.alphabet)
        seen.add(lit)
    assert len(seen) > 1
    at.slider(key="net_time").set_value(0).run()
    assert LIT.search(dot(at)).group(1) == machine.states[machine.start]
    assert not BOLD_EDGE.search(dot(at))


def test_picker_and_slider_follow_a_network_that_shrinks():
    at = open_page({**SMALL, "net_machines": "300", "net_steps": "300"})
    at.number_input(key="net_pick").set_value(250)
    at.slider(key="net_time").set_value(300).run()
    at.slider(key="net_machines").set_value(100)
    at.slider(key="net_steps").set_value(120).run()
    assert not at.exception
    assert at.number_input(key="net_pick").value == 99
    assert at.slider(key="net_time").value == 120
    assert dot(at).startswith('digraph "machine 99"')


def reads(label: str, symbol: str, alphabet) -> bool:
    """Whether an edge labelled ``label`` is taken on ``symbol`` ("a,b", "any", "not c")."""
    if label == "any":
        return True
    if label.startswith("not "):
        return symbol in alphabet and symbol not in label[4:].split(",")
    return symbol in label.split(",")


def machine_heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### Step"))


def test_open_in_machine_page_continues_on_the_networks_input_at_that_time():
    """The Machine page shows the same machine in the same state, on the network's input (its
    typed input) at the same step — not a new random tape."""
    at = open_page(SMALL)
    at.number_input(key="net_pick").set_value(5)
    at.slider(key="net_time").set_value(37).run()
    lit_here = LIT.search(dot(at)).group(1)
    at.button(key="btn_open_machine").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Machine"
    machine = make_bank("random", 100, 4, 0).machine(5)
    assert at.session_state["machine"] == machine
    assert at.session_state["machine_source"] == "network machine 5 (random)"
    inputs = tasks.make("delayed_recall", T=120, seed=0).inputs
    assert at.session_state["m_tape"] == "".join(machine.alphabet[x] for x in inputs)
    assert at.radio(key="m_tape_source").value == "typed"
    assert machine_heading(at).startswith("#### Step 37 of 120")
    assert LIT.search(dot(at)).group(1) == lit_here
    assert at.query_params["m_step"] == "37" and "m_machine" in at.query_params


def test_a_delay_line_is_drawn_with_states_named_by_the_symbols_they_remember():
    at = open_page({**SMALL, "net_mix_random": "0", "net_mix_delay_line": "1",
                    "net_time": "30"})
    inputs = tasks.make("delayed_recall", T=120, seed=0).inputs
    remembered = "".join(str(x) for x in inputs[28:30])             # the last two inputs
    assert LIT.search(dot(at)).group(1) == remembered
    assert '"00" [label=' in dot(at) and '"q0"' not in dot(at)


def test_an_episode_of_the_network_opens_from_its_start_with_the_machine_reset():
    """five-bit memory restarts every machine at each episode: the Machine page (which knows
    no resets) gets the episode being read, from its first input."""
    at = open_page({**SMALL, "net_input": "five_bit_memory", "net_time": "100",
                    "net_pick": "3"})
    lit_here = LIT.search(dot(at)).group(1)
    at.button(key="btn_open_machine").click().run()
    task = tasks.make("five_bit_memory", seed=0)
    first = int(np.flatnonzero(task.resets[:100])[-1])
    following = np.flatnonzero(task.resets[first + 1:120])
    end = first + 1 + int(following[0]) if following.size else 120
    assert machine_heading(at).startswith(f"#### Step {100 - first} of {end - first}")
    assert LIT.search(dot(at)).group(1) == lit_here
    assert at.session_state["machine"].start == make_bank("random", 100, task.alphabet,
                                                          0).machine(3).start


def test_machine_page_view_of_a_long_stream_starts_where_the_machine_was():
    spec = default_spec(n_steps=3000, source="temporal_parity")
    network = network_model.build_network(spec)
    view = network_model.machine_page_view(network, 2, 2500, max_tape=400)
    assert view.start == 2300 and view.position == 200
    states = network_model.machine_states(network, 2)                         # [T]
    assert view.machine.start == states[2299]
    assert view.machine.run(view.tape)[view.position - 1] == states[2499]
    assert view.source == "network machine 2 (random), from input 2,300 on"


def test_machine_page_view_makes_whitespace_symbols_typeable():
    spec = default_spec(source="text", n_steps=300)
    network = network_model.build_network(spec)
    view = network_model.machine_page_view(network, 0, 50)
    assert " " not in view.machine.alphabet and "\n" not in view.machine.alphabet
    assert "\u2423" in view.machine.alphabet
    states = network_model.machine_states(network, 0)
    assert view.machine.run(view.tape)[49] == states[49]


def test_the_drill_down_machine_and_time_travel_in_the_link():
    by_link = open_page({**SMALL, "net_pick": "42", "net_time": "57"})
    by_hand = open_page(SMALL)
    by_hand.number_input(key="net_pick").set_value(42)
    by_hand.slider(key="net_time").set_value(57).run()
    assert dot(by_link) == dot(by_hand) and dot(by_link).startswith('digraph "machine 42"')
    assert any("After **57 inputs**" in m.value for m in by_link.markdown)


def test_a_drill_down_link_outside_this_network_is_named_with_what_is_shown():
    """The link's machine is past this network's last one: the page shows the last one
    (the nearest) and says so."""
    at = open_page({**SMALL, "net_pick": "5000"})
    note = next(w.value for w in at.warning if "`net_pick`" in w.value)
    assert "outside 0..99" in note and "the page uses **99**" in note
    assert dot(at).startswith('digraph "machine 99"')


@pytest.mark.parametrize("key, raw, used, shown", [
    ("net_machines", "150", 200, "200 machines"),
    ("net_machines", "140", 100, "100 machines"),
    ("net_stay", "0.333", 0.33, "100 random"),
])
def test_an_off_grid_link_value_moves_to_the_nearest_step_and_the_page_agrees(key, raw, used,
                                                                            shown):
    """Between the slider's steps (which the slider cannot show): the slider, the summary,
    the network and the message all use the nearest step (was: "using 1000 instead" while
    the slider and the summary used 150)."""
    at = open_page({**SMALL, key: raw})
    assert at.slider(key=key).value == used
    assert shown in summary(at)
    note = next(w.value for w in at.warning if f"`{key}`" in w.value)
    assert f"the page uses **{used:g}**, the nearest step" in note
    expected = open_page({**SMALL, key: str(used)})
    assert charts(at) == charts(expected) and not expected.warning


def test_a_link_value_the_slider_cannot_hold_is_named_with_the_value_really_used():
    at = open_page({**SMALL, "net_machines": "150.5"})
    used = at.slider(key="net_machines").value
    note = next(w.value for w in at.warning if "`net_machines`" in w.value)
    assert "not a whole number" in note and f"the page uses **{used}**" in note
    assert f"{used} machines" in summary(at)


def test_raster_orders_are_offered_in_words_and_explained():
    at = open_page(SMALL)
    assert at.radio(key="net_sort").options == ["machine number", "family", "activity",
                                                 "spread over states"]
    at.radio(key="net_sort").set_value("activity").run()
    assert any("calmest machines" in c.value for c in at.caption)
    assert at.query_params["net_sort"] == "activity"


def test_over_cap_machines_are_refused_and_the_previous_network_kept(monkeypatch):
    at = open_page(SMALL)
    monkeypatch.setattr(limits, "LIMITS", dataclasses.replace(limits.LIMITS, max_machines=500))
    at.slider(key="net_machines").set_value(600).run()
    assert any("600 machines is over the cap of 500 machines" in e for e in errors(at))
    assert any("previous network is still shown" in e for e in errors(at))
    assert "100 machines" in summary(at)


def test_over_cap_states_are_refused_and_the_previous_network_kept():
    at = open_page(SMALL)
    at.slider(key="net_mix_delay_line").set_value(1.0).run()
    at.slider(key="net_k").set_value(3)
    at.selectbox(key="net_input").select(settings.TYPED_TEXT).run()
    at.text_input(key="net_text").input("abcdefg").run()                     # 7**3 = 343 states
    assert any("343 states" in e and "cap of 256 states per machine" in e for e in errors(at))
    assert "delayed recall" in summary(at)


def test_over_cap_bytes_are_refused_before_allocating_and_the_previous_network_kept():
    """64 symbols x 20 000 machines x 256 states would need 2.6 GB to build."""
    at = open_page(SMALL)
    at.selectbox(key="net_input").select(settings.TYPED_TEXT).run()
    at.text_input(key="net_text").input("".join(chr(ord("!") + i) for i in range(64)))
    at.number_input(key="net_states").set_value(256)
    at.slider(key="net_machines").set_value(20_000).run()
    assert any("building the bank would need" in e and "over the cap of 800.0 MB" in e
               for e in errors(at))
    assert "100 machines" in summary(at)


def test_an_empty_mix_is_refused_with_a_message():
    at = open_page(SMALL)
    at.slider(key="net_mix_random").set_value(0.0).run()
    assert any("every family's share is 0" in e for e in errors(at))
    assert "100 random" in summary(at)


def test_a_link_reproduces_the_setup():
    """The same settings given as URL parameters (what the address bar holds) or set by hand."""
    link = {**SMALL, "net_mix_gated_cell": "0.5", "net_stay": "0.3", "net_seed": "3",
            "net_input": "embedded_reber", "net_sort": "family"}
    by_link = open_page(link)
    assert by_link.slider(key="net_stay").value == 0.3
    assert by_link.radio(key="net_sort").value == "family"
    by_hand = open_page(SMALL)
    by_hand.slider(key="net_mix_gated_cell").set_value(0.5)
    by_hand.slider(key="net_stay").set_value(0.3)
    by_hand.number_input(key="net_seed").set_value(3)
    by_hand.selectbox(key="net_input").select("embedded_reber")
    by_hand.radio(key="net_sort").set_value("family").run()
    assert "embedded reber" in summary(by_link)
    assert summary(by_link) == summary(by_hand)
    assert charts(by_link) == charts(by_hand)
    assert dot(by_link) == dot(by_hand)


def test_a_bad_link_value_is_named_and_the_default_used():
    at = open_page({**SMALL, "net_states": "9999"})
    assert any("net_states" in w.value for w in at.warning)
    assert state_raster(at)["zmax"] == 7.5


# ---------------------------------------------------------------------- the engine glue
def test_summaries_match_a_direct_run_with_resets():
    spec = default_spec(mix=(("random", 0.5), ("counter", 0.5)), n_machines=30, n_steps=300,
                        source="five_bit_memory", seed=4)
    network = network_model.build_network(spec)
    stream = network.stream
    assert stream.resets[0] and stream.resets.sum() > 1
    trace = network.bank.run(stream.inputs, stream.resets).astype(np.int64)    # [T, N]
    start = network.bank.start.astype(np.int64)
    previous = np.vstack([start[None, :], trace[:-1]])
    np.testing.assert_array_equal(network.changes, (trace != previous).sum(axis=0))
    np.testing.assert_array_equal(network.raster_states,
                                  trace[np.ix_(network.raster_steps, network.raster_machines)])
    np.testing.assert_array_equal(
        network.raster_outputs,
        network.bank.outputs[network.raster_machines[None, :],
                             trace[np.ix_(network.raster_steps, network.raster_machines)]])
    for n in (0, 29):
        share = np.bincount(trace[:, n], minlength=network.bank.n_states[n]) / 300
        nonzero = share[share > 0]
        assert network.entropy[n] == pytest.approx(-(nonzero * np.log2(nonzero)).sum())
    counter = trace[:, 15:]
    np.testing.assert_allclose(network.occupancy["counter"],
                               np.bincount(counter.ravel(), minlength=3) / counter.size)


def test_ranks_match_dense_matrix_ranks():
    spec = default_spec(mix=(("random", 1.0), ("parity", 1.0)), n_machines=40, n_steps=60, seed=2)
    network = network_model.build_network(spec)
    trace = network.bank.run(network.stream.inputs, network.stream.resets)
    outputs = network.bank.output_features(network.stream.inputs, network.stream.resets)
    onehot = network.bank.state_features(network.stream.inputs, network.stream.resets).toarray()
    assert network.output_rank == (np.linalg.matrix_rank(outputs), 60, 40)
    assert network.state_rank == (np.linalg.matrix_rank(onehot), 60, onehot.shape[1])
    assert trace.shape == (60, 40)


def test_copies_of_one_machine_add_features_but_no_rank():
    spec = default_spec(mix=(("delay_line", 1.0),), n_machines=200, n_steps=200,
                        source="memory_capacity")
    network = network_model.build_network(spec)
    assert network.output_rank.rank == 1          # every machine outputs the same +-1 column
    assert network.state_rank.rank == 4          # 2 symbols ** k=2 states, shared by all
    assert network.state_rank.n_features == 200 * 4


def test_arrays_of_a_cached_network_are_read_only():
    network = network_model.build_network(default_spec())
    with pytest.raises(ValueError):
        network.raster_states[0, 0] = 1
    with pytest.raises(ValueError):
        network.bank.transitions[0, 0, 0] = 1


def test_position_starts_from_the_start_state_at_a_reset():
    stream = network_model.Stream(("a", "b"), np.array([1, 1, 0, 1]),
                                  np.array([True, False, True, False]), "")
    states = np.array([3, 4, 5, 6])
    assert network_model.position(states, stream, 0, 0) == (0, None)
    assert network_model.position(states, stream, 0, 1) == (3, (0, "b"))
    assert network_model.position(states, stream, 0, 2) == (4, (3, "b"))
    assert network_model.position(states, stream, 0, 3) == (5, (0, "a"))
    assert network_model.position(states, stream, 0, 4) == (6, (5, "b"))


def test_typed_text_is_repeated_to_the_asked_length_over_its_own_characters():
    stream = network_model.typed_text_stream("ab ba", 12, max_symbols=64)
    assert stream.alphabet == ("a", "b", "␣")
    assert "".join(stream.alphabet[x] for x in stream.inputs) == "ab␣baab␣baab"
    assert stream.resets.tolist() == [True] + [False] * 11


def test_typed_text_over_the_symbol_cap_or_empty_is_refused():
    with pytest.raises(CapacityError, match="5 different characters, over the cap of 4 symbols"):
        network_model.typed_text_stream("abcde", 10, max_symbols=4)
    with pytest.raises(FSMError, match="empty"):
        network_model.typed_text_stream("", 10, max_symbols=4)


def test_task_stream_is_as_long_as_asked_or_says_it_is_shorter():
    assert network_model.task_stream("delayed_recall", 3_000, 0, 64).inputs.shape == (3_000,)
    assert network_model.task_stream("temporal_parity", 50, 0, 64).inputs.shape == (50,)
    short = network_model.task_stream("five_bit_memory", 20_000, 0, 64)
    assert short.inputs.shape == (6_720,) and "fewer than the 20,000 asked" in short.note


def test_request_checks_name_the_cap_in_plain_words():
    spec = default_spec(n_machines=50_000)
    with pytest.raises(CapacityError, match=r"50,000 machines is over the cap of 20,000 machines$"):
        network_model.check_request(spec, network_model.make_stream(spec))


@pytest.mark.parametrize("changes, message", [
    ({"source": settings.TYPED_TEXT, "n_steps": 10**9}, "1,000,000,000 input steps is over"),
    ({"source": settings.TYPED_TEXT, "text": "ab" * 10**6},
     "2,000,000 characters of typed text is over the cap of 20,000"),
    ({"source": "delayed_recall", "n_steps": 10**9}, "1,000,000,000 input steps is over"),
    ({"n_machines": 10**12}, "1,000,000,000,000 machines is over"),
])
def test_load_network_refuses_oversized_requests_before_building_their_stream(
        monkeypatch, changes, message):
    def never(*args, **kwargs):
        raise AssertionError("a stream was built before the size check")

    monkeypatch.setattr(network_model, "typed_text_stream", never)
    monkeypatch.setattr(network_model, "task_stream", never)
    with pytest.raises(CapacityError, match=re.escape(message)):
        network_model.load_network(default_spec(**changes))


def test_opened_machine_is_the_banks_machine():
    network = network_model.build_network(default_spec())
    machine = network.bank.machine(3)
    assert isinstance(machine, Machine)
    np.testing.assert_array_equal(network_model.machine_states(network, 3),
                                  machine.run(network.stream.inputs))
