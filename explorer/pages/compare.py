"""Compare page: the FSM network, the echo state network and the LSTM learn one task, live.

A thin controller: settings (explorer/settings.py: the task, and per task every
registry model's parameters, defaulting to the committed validated choices) ->
this session's comparison (explorer/compare_model.py, training through the Train
page's live runs) -> figures (explorer/compare_figures.py).  Start / Pause / Reset
sit outside the ticking fragments: the fast one redraws the curves and the table
and then trains (each tick shares its time equally between the models); a slower one
redraws the LSTM's gates beside the FSM network's states and, on the
memory-capacity task, r² against delay.  Below: the machine a trained model
computes (opens on the Machine page) and a sweep file.
"""
import html

import pandas as pd
import streamlit as st

from explorer import compare_figures as figures
from explorer import compare_model as model
from explorer import live, settings, theme
from explorer.limits import LIMITS
from fsm_engine import families, models, sweep, tasks
from fsm_engine.errors import FSMError

live.follow_page_request()      # "Open it on the Machine page" asked for the Machine page


# ---------------------------------------------------------------------- settings panels
def task_panel() -> None:
    st.subheader("Task")
    # labels, not format_func: the URL keeps the task's name (cmp_task=delayed_recall)
    task = settings.render("cmp_task", labels=lambda name: name.replace("_", " "))
    st.caption(tasks.describe(task)["summary"])
    for key in model.task_keys(task).values():
        settings.render(key)
    settings.render("cmp_seed")


def model_panel(task: str, name: str) -> None:
    """The main settings of model ``name`` on ``task``, the others in an expander."""
    keys = model.model_keys(task, name)
    names = list(keys)
    if "family" in keys:                     # only the parameters of the families in the mix
        try:
            used = {p for family in families.parse_mix(settings.param_value(keys["family"]))
                    for p in families.FAMILIES[family].params}
        except (FSMError, KeyError):
            used = set(families.PARAM_TABLE)
        names = [n for n in names if n not in families.PARAM_TABLE or n in used]
    with st.container(border=True):
        st.markdown(colour_key([name]), unsafe_allow_html=True)
        main = st.container()
        advanced = settings.hidden_in_classroom(f"more_{name}").expander("More settings")
        for param_name in names:
            setting = settings.SETTINGS[keys[param_name]]
            settings.render(setting.key, advanced if setting.param.advanced else main)


def results_table(rows: list[dict]) -> str:
    """The models' table as Markdown, each model named in its colour (a Markdown table is
    redrawn on every tick far more cheaply than an interactive data frame)."""
    if not rows:
        return ""
    columns = [c for c in rows[0] if c != "key"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [colour_key([row["key"]]) if c == "model" else
                 "—" if row[c] is None else f"{row[c]:,}" if isinstance(row[c], int) else
                 f"{row[c]:.4g}" if isinstance(row[c], float)
                 else html.escape(str(row[c])).replace("|", "\\|")
                 for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def colour_key(names) -> str:
    """Markdown (with HTML) naming each model in its colour, as every chart draws it."""
    return " &nbsp; ".join(f"<span style='color:{theme.model_colour(name)};font-size:1.3em'>"
                           f"■</span> **{models.get(name).label}**" for name in names)


# ---------------------------------------------------------------------- the live view
def controls(comparison) -> None:
    running = comparison is not None and comparison.running
    done = comparison is None or not comparison.runs or comparison.finished
    start_col, pause_col, reset_col = st.columns(3)
    start_col.button("Start", key="btn_cmp_start", on_click=model.start, type="primary",
                     icon=":material/play_arrow:", width="stretch", disabled=running or done)
    pause_col.button("Pause", key="btn_cmp_pause", on_click=model.pause,
                     icon=":material/pause:", width="stretch", disabled=not running)
    reset_col.button("Reset", key="btn_cmp_reset", on_click=model.reset,
                     icon=":material/restart_alt:", width="stretch",
                     help="Every model afresh (the same seed gives the same start).")


def curves_view() -> None:
    """The curves (one chart, a panel per x axis) and the table (a fragment while training,
    each run followed by a tick of training: :func:`compare_model.tick`)."""
    comparison = model.get()
    if comparison is None or not comparison.runs:
        return
    task = comparison.task
    held_out = task.holdout.any()
    where = "held-out steps" if held_out else "the training steps (none held out)"
    committed = settings.COMMITTED if settings.value("cmp_committed") else None
    st.markdown(colour_key(comparison.runs) + " &nbsp; · dashed: chance"
                + (" · dotted: committed full-budget runs" if committed else ""),
                unsafe_allow_html=True)
    live.chart(figures.learning_curves_row(
        {axis: model.curves(comparison, axis) for axis in figures.AXES},
        {axis: model.committed_curves(committed, task.name, axis) for axis in figures.AXES}
        if committed else None,
        metric=task.metric, chance=task.chance, greater_is_better=model.greater_is_better(task),
        seen_unit=model.seen_unit(comparison), where=where), "w_cmp_curves")
    st.markdown(results_table(model.table_rows(comparison)), unsafe_allow_html=True)


def inside_view() -> None:
    """What the models hold on one held-out episode — the LSTM's gates beside the FSM
    network's states — and, on the memory-capacity task, r² against delay: the charts that
    cost the browser most, redrawn in their own slower fragment while training."""
    comparison = model.get()
    if comparison is None or not comparison.runs:
        return
    task = comparison.task
    window = model.episode(task)
    lstm, fsm = comparison.run_of("lstm"), comparison.run_of("fsm")
    left, right = st.columns(2, gap="medium")
    if lstm is not None:
        gates, units = model.gate_activations(lstm, task, window)
        with left:
            live.chart(figures.gate_figure(gates, model.symbols(task, window), units=units,
                                           n_hidden=lstm.learner.net.n_hidden,
                                           n_layers=lstm.learner.net.n_layers,
                                           where=window.description), "w_cmp_gates")
    if fsm is not None:
        states, n_states, machines = model.network_states(fsm, task, window)
        with right:
            live.chart(figures.state_raster(states, n_states, machines,
                                            model.symbols(task, window),
                                            n_machines=fsm.learner.source.n_machines,
                                            where=window.description), "w_cmp_states")
    if task.metric == "memory_capacity":
        committed = settings.COMMITTED if settings.value("cmp_committed") else None
        live.chart(figures.memory_capacity_figure(
            model.memory_curves(comparison),
            model.committed_memory_curves(committed) if committed else ()), "w_cmp_memory")
    else:
        st.caption("Memory-capacity curves (r² of the input k steps ago, read back from each "
                   "model's state) appear when the task is **memory capacity**.")


def committed_panel(comparison) -> None:
    settings.render("cmp_committed")
    if settings.value("cmp_committed") and comparison is not None:
        st.caption(model.committed_note(settings.COMMITTED, comparison.config))


# ---------------------------------------------------------------------- run it backwards
def extraction_view(comparison, kind: str) -> None:
    kept = model.extraction(comparison, kind)
    if kept is None:
        return
    if "error" in kept:
        st.error(f"Nothing was extracted: {kept['error']}.", icon=":material/error:")
        return
    result = kept["result"]
    grammar = (f" — the task's own minimal automaton has **{result.minimal_states}**"
               if result.minimal_states is not None else "")
    source = "LSTM" if kind == "lstm" else "FSM network"
    st.markdown(f"**{result.states} states** after minimisation ({result.raw_states:,} "
                f"before){grammar}.  \nFidelity (agrees with the {source} on held-out steps): "
                f"**{result.fidelity:.1%}** · the machine's accuracy **{result.accuracy:.1%}** "
                f"· the {source}'s **{result.model_accuracy:.1%}** · {result.seconds:.1f} s, "
                f"after {kept['updates']:,} updates")
    for note in result.notes:
        st.caption(note)
    if result.cut:
        st.warning("The search was cut by a cap (see above): the machine is partial.",
                   icon=":material/content_cut:")
    if st.button("Open it on the Machine page", key=f"btn_cmp_open_{kind}",
                 icon=":material/account_tree:") and model.open_extracted(kind):
        # switching here would clear the URL, which this run's bound widgets refuse: switch at
        # the top of the next run, before any widget
        live.request_page(model.MACHINE_PAGE)


def backwards_panel(comparison) -> None:
    st.subheader("Run the question backwards")
    st.caption("How big a finite-state machine does each trained model actually compute? "
               "Training pauses while a machine is read off.")
    why_not = model.can_extract(comparison)
    if why_not:
        st.info(f"Not on this task: {why_not}.", icon=":material/info:")
        return
    lstm_column, fsm_column = st.columns(2, gap="large")
    with lstm_column:
        method = st.radio("Method", tuple(model.EXTRACT_METHODS), horizontal=True,
                          format_func=lambda m: model.EXTRACT_METHODS[m],
                          key="w_cmp_extract_method")
        if st.button("Extract the machine this LSTM learned", key="btn_cmp_extract_lstm",
                     icon=":material/memory:", disabled=comparison.run_of("lstm") is None,
                     wrap=True):
            with st.spinner("Reading the machine off the LSTM…"):
                model.extract_lstm(method)
        extraction_view(comparison, "lstm")
    with fsm_column:
        if st.button("The automaton this FSM network computes", key="btn_cmp_extract_fsm",
                     icon=":material/hub:", disabled=comparison.run_of("fsm") is None, wrap=True,
                     help=f"The product of every machine's state, explored from the start "
                          f"(at most {model.PRODUCT_STATES:,} states, "
                          f"{model.EXTRACT_SECONDS:g} s), labelled with the readout's "
                          "decision, then minimised."):
            with st.spinner("Exploring the network's product automaton…"):
                model.extract_fsm()
        extraction_view(comparison, "fsm")


# ---------------------------------------------------------------------- sweep files
def sweep_panel() -> None:
    with settings.hidden_in_classroom("sweep"), \
            st.expander("Load a sweep file (fsm-explorer sweep … --out runs.csv)"):
        st.file_uploader("A sweep output file (.csv or .parquet)", type=["csv", "parquet", "pq"],
                         key=model.SWEEP_UPLOADER, on_change=model.on_sweep_upload,
                         max_upload_size=max(1, -(-LIMITS.max_sweep_bytes // 1_000_000)),
                         help=f"The rows `fsm-explorer sweep CONFIG.toml --out FILE` wrote; at "
                              f"most {LIMITS.max_sweep_bytes:,} bytes.")
        message = model.sweep_message()
        if message:
            (st.error if message[0] == "error" else st.success)(message[1])
        loaded = model.loaded_sweep()
        if loaded is None:
            return
        try:
            figure = sweep.sweep_figure(loaded["rows"])
        except FSMError as err:
            st.error(f"{loaded['name']} cannot be drawn: {err}.")
            return
        live.chart(figure, "w_cmp_sweep_figure")
        st.dataframe(pd.DataFrame(
            [{"task": s["task"], "model": s["label"],
              "swept": " ".join(f"{k}={v}" for k, v in s["swept"].items()) or "—",
              "metric": s["metric"], "mean": s["mean"], "sd": s["sd"], "seeds": s["seeds"]}
             for s in sweep.summarise(loaded["rows"])]), hide_index=True, width="stretch")


# ---------------------------------------------------------------------- the page
st.title("Compare")
st.caption("The FSM network, the echo state network and the LSTM learn the same task side by "
           "side. Press Start: they train in turn, sharing the time equally, so the curves "
           "against wall-clock seconds are a fair race. Which wins, how fast, at what cost?")
settings_column, view_column = st.columns([1, 3], gap="large")
with settings_column:
    task_panel()
    chosen_task = settings.value("cmp_task")
    st.subheader("Models")
    if settings.COMMITTED.chosen.get(chosen_task):
        st.caption("Defaults: the settings validated for this task in the committed results.")
    for name in settings.COMPARE_MODELS:
        model_panel(chosen_task, name)
comparison = model.sync()
with view_column:
    problem = model.task_problem()
    if problem:
        kept = " The comparison below is the previous one." if comparison is not None else ""
        st.error(f"This task was not made: {problem}.{kept}", icon=":material/block:")
    if comparison is None:
        st.stop()
    task = comparison.task
    st.markdown(f"**{task.name.replace('_', ' ')}** · {task.T:,} steps · "
                f"{task.metric.replace('_', ' ')} (chance {task.chance:.3g})")
    controls(comparison)
    for kind, text in model.messages(comparison):
        {"error": st.error, "warning": st.warning, "success": st.success,
         "info": st.info}[kind](text)
    committed_panel(comparison)
    live.ticking(curves_view, comparison.running, work=model.tick)
    live.ticking(inside_view, comparison.running, every=live.SLOW_EVERY)
    st.caption("Seconds are each model's own building and training time (the evaluations that "
               "draw these charts not counted). Gates (the LSTM's first layer): i, f and o run "
               "from shut (white, 0) to open (blue, 1), the cell input g from -1 (orange) to 1. "
               "States: a sample of the FSM network's machines, one row per state, blue where "
               "the machine is.")
    backwards_panel(comparison)
    sweep_panel()
