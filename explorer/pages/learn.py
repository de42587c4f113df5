"""Learn page: a guided lesson from the forum question to the measured answer.

A thin controller: the lesson (explorer/lesson.py: its steps as data, their text built
from the committed results files) -> one step per screen, its text beside its picture
(explorer/learn_figures.py, or the other pages' figure builders) and a button that opens
the page the step is about, set up by that page's own URL settings.  Back, Next and the
step menu move through the lesson; the step is in the URL (``learn_step``), so a link
opens the same step.  The "readout" step trains the question's model live, ten updates
per click.
"""
import numpy as np
import streamlit as st

from explorer import (
    compare_figures,
    compare_model,
    compare_results,
    lesson,
    live,
    machine_figures,
    network_figures,
    network_model,
    session,
    settings,
    train_figures,
)
from explorer import learn_figures as figures
from fsm_engine import analysis, models, tasks
from fsm_engine.esn import EchoStateNetwork
from fsm_engine.families import FAMILIES
from fsm_engine.metrics import GREATER_IS_BETTER
from fsm_engine.paths import committed_results

#: the page file each lesson link opens, by the name lesson.Link.page gives it, and the
#: prefix of that page's settings
PAGE_FILES = {"machine": "explorer/pages/machine.py", "network": "explorer/pages/network.py",
              "train": "explorer/pages/train.py", "compare": "explorer/pages/compare.py"}
PAGE_PREFIXES = {"machine": "m_", "network": "net_", "train": "tr_", "compare": "cmp_"}
#: session-state name of the "readout" step's live run (never a widget key)
RUN = "learn_run"
#: the "network" step's small network: machines and steps drawn
NETWORK_SEED = 0
#: pixels of the pictures' diagram boxes
SCHEMATIC_HEIGHT, DIAGRAM_HEIGHT = 330, 300

live.follow_page_request()      # a step's button asked for its page (see open_page)


# ---------------------------------------------------------------------- results and links
@st.cache_data(show_spinner=False, max_entries=4)
def _read(stamp: tuple) -> lesson.Results:
    """The committed results as the lesson reads them (``stamp``: the files' sizes and
    times, so a rewritten file is read again)."""
    return lesson.read_results()


def results() -> lesson.Results:
    directory = committed_results()
    stamp = []
    for name in lesson.FILES:
        try:
            info = (directory / name).stat()
            stamp.append((name, info.st_size, info.st_mtime_ns))
        except OSError:
            stamp.append((name, None, None))
    return _read(tuple(stamp))


def open_page(link: lesson.Link) -> None:
    """Button: open ``link``'s page exactly as its URL says (classroom mode kept).

    What this session holds of that page's settings (and, for the Machine page, its
    machine) is forgotten first, so the page opens as a student's browser opens the same
    link; the switch itself happens at the top of the next run (``live.PAGE_REQUEST``)."""
    params = dict(link.params)
    if settings.classroom():
        params[settings.CLASSROOM] = "1"
    settings.forget(PAGE_PREFIXES[link.page])
    if link.page == "machine":
        for name in (session.MACHINE, session.MACHINE_SOURCE, session.TAPE_POSITION,
                     session.PLAYING):
            st.session_state.pop(name, None)
    st.session_state[live.PAGE_REQUEST] = (PAGE_FILES[link.page], params)


def move(by: int) -> None:
    """Back / Next."""
    index = lesson.step_index(settings.value("learn_step")) + by
    st.session_state["learn_step"] = lesson.STEP_KEYS[max(0, min(len(lesson.STEP_KEYS) - 1,
                                                                 index))]


# ---------------------------------------------------------------------- pictures
def draw_schematic(step: lesson.Step, found: lesson.Results) -> None:
    st.graphviz_chart(figures.schematic(), width="stretch",
                      height=settings.classroom_size(SCHEMATIC_HEIGHT))


def draw_machine(step: lesson.Step, found: lesson.Results) -> None:
    data = step.data
    machine = session.preset(data["preset"])
    symbols = list(data["tape"])
    states = machine.run(symbols)                                                  # [T]
    st.graphviz_chart(machine_figures.diagram(machine, states, symbols, data["position"]),
                      width="stretch", height=settings.classroom_size(DIAGRAM_HEIGHT))
    st.html(machine_figures.tape_html(symbols, data["position"], legend=True))


def draw_raster(step: lesson.Step, found: lesson.Results) -> None:
    data = step.data
    # the Network page's defaults, but for the lesson's mix, size, seed and length
    chosen = {network_model.mix_key(name): data["mix"].get(name, 0.0) for name in FAMILIES}
    chosen.update(net_machines=data["machines"], net_seed=NETWORK_SEED, net_steps=data["steps"])
    spec = network_model.spec_from(lambda key: chosen.get(key, settings.SETTINGS[key].default))
    network = network_model.load_network(spec)
    sample = network.raster_machines
    families = network.families[sample]
    order = analysis.row_order("family", families, network.entropy[sample],
                               network.changes[sample])
    figure = network_figures.state_raster(network.raster_states[:, order],
                                          network.raster_steps, sample[order], families[order])
    live.chart(figure, "w_learn_raster")


def readout_run(step: lesson.Step) -> live.LiveRun:
    """This session's live run of the question's model (built on first use)."""
    run = live.get_run(RUN)
    if run is None:
        data = step.data
        task = tasks.make(data["task"], seed=0, **data["task_params"])
        learner = models.build(data["model"], task, 0, **data["model_params"])
        run = live.LiveRun(learner, learner.readout.loss,
                           label=models.label(data["model"], data["model_params"]))
        live.keep_run(RUN, run)
    return run


def train_more() -> None:
    run = live.get_run(RUN)
    if run is not None:
        for _ in range(lesson.UPDATES_PER_CLICK):          # every update a point of the curve
            run.step(1)


def start_again() -> None:
    st.session_state.pop(RUN, None)


def draw_live_readout(step: lesson.Step, found: lesson.Results) -> None:
    run = readout_run(step)
    with st.container(horizontal=True, gap="small"):
        st.button(f"Train {lesson.UPDATES_PER_CLICK} updates", key="btn_learn_train",
                  on_click=train_more, type="primary", icon=":material/play_arrow:")
        st.button("Start again", key="btn_learn_reset", on_click=start_again,
                  icon=":material/restart_alt:", disabled=run.updates == 0)
    curves = run.curves
    accuracy = curves["metric"][-1] if curves["metric"] else float("nan")
    error = curves["train_loss"][-1] if curves["train_loss"] else float("nan")
    st.markdown(f"**{run.updates:,} updates** · squared error per step **{error:.3f}** · "
                f"accuracy on held-out steps **{lesson.percent(accuracy)}**")
    live.chart(train_figures.metric_figure(
        curves["updates"], curves["metric"], run.task.chance, metric=run.task.metric,
        greater_is_better=GREATER_IS_BETTER[run.task.metric]), "w_learn_readout")
    if run.message:
        st.warning(run.message[1])


def draw_bars(step: lesson.Step, found: lesson.Results, keys=None, roles=None) -> None:
    rows = lesson.chart_rows(found, keys or step.data["keys"], roles or tuple(lesson.ROLES))
    if not rows:
        st.info("No committed results to draw here yet (results/compare.json).",
                icon=":material/hourglass_empty:")
        return
    live.chart(figures.score_bars(rows, step.title), f"w_learn_bars_{step.key}")


def draw_esn(step: lesson.Step, found: lesson.Results) -> None:
    units, steps = step.data["units"], step.data["steps"]
    bits = np.random.default_rng(0).integers(0, 2, steps)                        # [T]
    network = EchoStateNetwork(1, units, spectral_radius=0.9, density=1.0, random_state=0)
    states = network.run((2.0 * bits - 1.0)[:, None])                            # [T, U]
    live.chart(figures.esn_traces(np.asarray(states), bits), "w_learn_esn")


def draw_curves(step: lesson.Step, found: lesson.Results) -> None:
    task = step.data["task"]
    committed = compare_model.committed_curves(compare_results.Committed(runs=found.curves),
                                               task, "seconds")
    score = next((s for s in found.scores if s.key == task and s.source == "compare.json"),
                 None)
    if not committed or score is None:
        draw_bars(step, found, ("embedded_reber", "twenty_bit_memory", "text"),
                  ("fsm", "lstm"))
        return
    live.chart(compare_figures.learning_curves(
        (), committed, axis="seconds", metric=score.metric,
        chance=score.chance if score.chance is not None else float("nan"),
        greater_is_better=GREATER_IS_BETTER.get(score.metric, True)), "w_learn_curves")


def draw_extract(step: lesson.Step, found: lesson.Results) -> None:
    if not step.data["rows"]:
        st.info("No extraction results to draw here yet (results/extract.json).",
                icon=":material/hourglass_empty:")
        return
    live.chart(figures.extract_figure(step.data["rows"]), "w_learn_extract")


def draw_answer(step: lesson.Step, found: lesson.Results) -> None:
    table = lesson.answer_table(step.data["rows"])
    if table:
        st.markdown(table)
    else:
        st.info("No committed comparison to tabulate yet (results/compare.json).",
                icon=":material/hourglass_empty:")


PICTURES = {"schematic": draw_schematic, "machine": draw_machine, "raster": draw_raster,
            "live_readout": draw_live_readout, "bars": draw_bars, "esn": draw_esn,
            "curves": draw_curves, "extract": draw_extract, "answer": draw_answer}


# ---------------------------------------------------------------------- the page
found = results()
steps = lesson.steps(found)
titles = {step.key: step.title for step in steps}
st.title("Learn")
st.caption("The question, answered in ten steps: each one opens the page it is about, set up, "
           "and every measured number comes from the project's committed results.")
back_column, pick_column, next_column = st.columns([1, 4, 1], vertical_alignment="bottom")
index = lesson.step_index(settings.value("learn_step"))
back_column.button("Back", key="btn_learn_back", on_click=move, args=(-1,),
                   icon=":material/chevron_left:", disabled=index == 0, width="stretch")
current = settings.render("learn_step", pick_column,
                          labels=lambda key: f"{lesson.step_index(key) + 1}. {titles[key]}")
index = lesson.step_index(current)
next_column.button("Next", key="btn_learn_next", on_click=move, args=(1,),
                   icon=":material/chevron_right:", icon_position="right",
                   disabled=index == len(steps) - 1, width="stretch")
step = steps[index]
heading_column, open_column = st.columns([2, 1], vertical_alignment="center")
heading_column.subheader(f"{index + 1}. {step.title}")
open_column.button(step.link.label, key="btn_learn_open", on_click=open_page,
                   args=(step.link,), type="primary", icon=":material/open_in_new:",
                   wrap=True, width="stretch",
                   help="Opens the page set up for this step: its address is a link you can "
                        "hand out.")
text_column, picture_column = st.columns([2, 3], gap="large")
with text_column:
    st.markdown(step.text)
with picture_column:
    PICTURES[step.picture](step, found)
    if step.caption:
        st.caption(step.caption)
