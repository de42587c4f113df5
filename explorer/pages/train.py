"""Train page: the question's model learns live — loss, metric, weights and predictions.

A thin controller: settings (explorer/settings.py, widgets generated from the
engine's parameter tables) -> this session's live run (explorer/train_model.py,
explorer/live.py) -> figures (explorer/train_figures.py).  Start / Pause / Step /
Reset sit outside the ticking fragments: a fast one redraws the loss and the
metric and then does a bounded slice of training, a slower one redraws the
weight map (one image while training, clickable squares once paused) and the
predictions.
Clicking a square of the weight map (paused) opens that machine on the Machine
page, lit on the input it read.
"""
import streamlit as st

from explorer import live, settings
from explorer import train_figures as figures
from explorer import train_model as model
from explorer.click_counter import counting_button, new_clicks
from explorer.limits import LIMITS
from fsm_engine import families, metrics, models, tasks
from fsm_engine.errors import FSMError
from fsm_engine.readout_learner import READOUT_PARAMS

#: parameters drawn under "Readout" (what it reads, then the readout's own table), and the
#: ones drawn above the learning rate
READOUT_GROUP = ("features",) + tuple(p.name for p in READOUT_PARAMS)
READOUT_FIRST = ("features", "loss", "solver")
#: session-state name of the weight map's key generation (a fresh key clears a click)
WEIGHTS_GENERATION = "train_weights_generation"
#: the Step button (a counting button: it sends its running number of clicks)
STEP_BUTTON = "btn_train_step"

live.follow_page_request()      # a click on a weight asked for the Machine page


# ---------------------------------------------------------------------- callbacks
def _with_run(action: str) -> None:
    run = live.get_run(model.RUN)
    if run is not None:
        getattr(run, action)()


def start() -> None:
    _with_run("start")


def pause() -> None:
    _with_run("pause")


def show_message(message: tuple[str, str] | None) -> None:
    if message is not None:
        kind, text = message
        {"error": st.error, "warning": st.warning, "success": st.success,
         "info": st.info}[kind](text)


# ---------------------------------------------------------------------- settings panels
def render_params(keys: dict, names) -> list:
    """Draw the settings of the parameters ``names`` that are not advanced; return the
    advanced ones (for :func:`render_advanced`)."""
    advanced = [n for n in names if settings.SETTINGS[keys[n]].param.advanced]
    for name in names:
        if name not in advanced:
            settings.render(keys[name])
    return advanced


def render_advanced(keys: dict, names, label: str) -> None:
    """The advanced parameters ``names`` in an expander called ``label`` (hidden in
    classroom mode)."""
    if names:
        hidden = label.lower().replace(" ", "_")
        with settings.hidden_in_classroom(hidden), st.expander(label):
            for name in names:
                settings.render(keys[name])


def task_panel() -> None:
    st.subheader("Task")
    # labels, not format_func: the URL keeps the task's name (tr_task=delayed_recall)
    task = settings.render("tr_task", labels=lambda name: name.replace("_", " "))
    if task == settings.UPLOAD:
        sequence_panel()
        return
    st.caption(tasks.describe(task)["summary"])
    keys = model.task_keys(task)
    render_advanced(keys, render_params(keys, keys), "More task settings")


def sequence_panel() -> None:
    st.file_uploader(
        "Your sequence: a CSV (one symbol per row, optional target column) or a text file",
        type=["csv", "txt", "text", "md"], key="w_train_sequence",
        on_change=model.on_sequence_upload,
        max_upload_size=max(1, -(-LIMITS.max_sequence_bytes // 1_000_000)),
        help=f"At most {LIMITS.max_sequence_bytes:,} bytes and {LIMITS.max_train_steps:,} "
             "rows. CSV: column 1 the input symbol, column 2 (optional) the target — class "
             "names, or numbers with decimals for a regression; an empty target is not "
             "scored; without targets the task is to predict the next symbol. A first row "
             "'symbol,target' is skipped. Text: one character per step, predict the next.")
    settings.render("tr_upload.test_fraction")
    show_message(model.file_message("sequence"))
    name = model.sequence_name()
    if name:
        st.caption(f"Training on **{name}**.")


def reservoir_panel() -> None:
    st.subheader("Reservoir")
    name = settings.render("tr_model", labels=lambda m: models.get(m).label)
    settings.hidden_in_classroom("use_network").button(
        "Use the Network page's network", key="btn_use_network",
        on_click=model.use_network_page, icon=":material/hub:", wrap=True,
        help="Fill in the FSM network settings from the Network page's network: family mix, "
             "N, states, stay, k, modulus and seed.")
    keys = model.model_keys(name)
    names = [n for n in keys if n not in READOUT_GROUP]
    if "family" in keys:
        try:
            used = {p for family in families.parse_mix(settings.param_value(keys["family"]))
                    for p in families.FAMILIES[family].params}
        except (FSMError, KeyError):
            used = set(families.PARAM_TABLE)
        names = [n for n in names if n not in families.PARAM_TABLE or n in used]
    advanced = render_params(keys, names)
    settings.render("tr_seed")
    render_advanced(keys, advanced, "More reservoir settings")


def readout_panel():
    """The readout's settings; returns the slot where the learning rate goes (drawn once
    the model is built, so it can show what "automatic" is)."""
    st.subheader("Readout")
    keys = model.model_keys(settings.value("tr_model"))
    first = [n for n in READOUT_FIRST if n in keys]
    rest = [n for n in READOUT_GROUP if n in keys and n not in READOUT_FIRST and n != "lr"]
    advanced = render_params(keys, first)
    rate_slot = st.container()
    render_advanced(keys, advanced + render_params(keys, rest), "More readout settings")
    return rate_slot


def rate_widget(slot, run) -> None:
    auto = f"automatic: {run.auto_lr:.3g}" if run is not None else "automatic"
    settings.render("tr_lr", slot, placeholder=auto)
    if run is not None:
        solver = run.learner.readout.solver
        why = {"gd": "the largest step plain gradient descent cannot diverge with",
               "adam": "Adam's usual step"}.get(solver, "a ridge solve has no step")
        slot.caption(f"In use: **{run.learner.lr:.3g}**. Empty = automatic, {run.auto_lr:.3g} "
                     f"({why}). The rate and the L2 penalty change without a reset.")


# ---------------------------------------------------------------------- the live view
def controls(run) -> None:
    running = run is not None and run.running
    finished = run is not None and run.finished
    start_col, pause_col, step_col, reset_col = st.columns(4)
    start_col.button("Start", key="btn_train_start", on_click=start, type="primary",
                     icon=":material/play_arrow:", width="stretch",
                     disabled=run is None or running or finished)
    pause_col.button("Pause", key="btn_train_pause", on_click=pause, icon=":material/pause:",
                     width="stretch", disabled=not running)
    with step_col:      # every click is one update, however fast (explorer/click_counter.py)
        counting_button("Step", STEP_BUTTON, disabled=run is None or finished,
                        help="Exactly one update of the weights per click.")
    reset_col.button("Reset", key="btn_train_reset", on_click=model.reset,
                     icon=":material/restart_alt:", width="stretch",
                     help="Fresh weights (the same seed gives the same start).")


def stats(run) -> None:
    rate, per_update = run.updates_per_second, run.seconds_per_update
    metric_value = run.curves["metric"][-1] if run.curves["metric"] else float("nan")
    parts = [f"**{run.updates:,} update{'' if run.updates == 1 else 's'}**",
             f"{rate:,.1f} updates/s" if rate == rate else "paused" if not run.running else "…",
             f"{per_update * 1000:,.1f} ms per update" if per_update == per_update else "",
             f"{run.task.metric.replace('_', ' ')} **{metric_value:.3g}**"]
    st.markdown(" · ".join(p for p in parts if p))


def held_out(task) -> bool:
    return bool((task.mask & task.holdout).any())


def curves_view() -> None:
    """The status line and the two curves (a fast fragment while training, each run
    followed by a tick of training: :func:`train_tick`)."""
    run = live.get_run(model.RUN)
    if run is None:
        return
    stats(run)
    task, curves, kept_out = run.task, run.curves, held_out(run.task)
    left, right = st.columns(2, gap="medium")
    with left:
        live.chart(figures.loss_figure(
            curves["updates"], curves["train_loss"], curves["held_out_loss"],
            loss_name="squared error" if run.loss == "mse" else "cross-entropy",
            held_out_name="held-out steps" if kept_out else "held-out steps (none in this task)"),
            "w_train_loss")
    with right:
        live.chart(figures.metric_figure(
            curves["updates"], curves["metric"], task.chance, metric=task.metric,
            greater_is_better=metrics.GREATER_IS_BETTER[task.metric],
            where="held-out steps" if kept_out else "the training steps (none held out)"),
            "w_train_metric")


def train_tick() -> None:
    live.tick(live.get_run(model.RUN))


def weights_view() -> None:
    """The weight map (clickable squares while paused, one image while training) and the
    predictions, redrawn from the latest evaluation (a slower fragment while training)."""
    run = live.get_run(model.RUN)
    if run is None:
        return
    task = run.task
    window = model.prediction_window(task, LIMITS.prediction_steps)
    left, right = st.columns(2, gap="medium")
    with left:
        weights, kind = model.weight_view(run)
        bank = model.is_bank(run)
        generation = st.session_state.setdefault(WEIGHTS_GENERATION, 0)
        # clickable while paused: a chart redrawn with new weights is a new element to
        # Streamlit, and a click on the one being replaced is lost (about half of them
        # while training, measured), so a training map asks for a pause instead and is
        # drawn as one image (train_figures.weight_map)
        clickable = bank and not run.running
        figure = figures.weight_map(weights, kind, classes=task.classes,
                                    unit="machine" if bank else "unit", clickable=clickable,
                                    pause_to_click=bank and run.running)
        event = live.chart(figure, f"w_train_weights_{generation}", clickable=clickable,
                           width="content")
        clicked = live.clicked_index(event, figure)
        if clicked is not None:
            st.session_state[WEIGHTS_GENERATION] = generation + 1
            run.pause()
            model.open_machine(run, clicked, window)
    with right:
        targets, predicted = model.predictions(run, window)
        width = task.targets.reshape(task.T, -1).shape[1]
        live.chart(figures.predictions_figure(
            window, targets, predicted,
            classes=task.classes if task.kind == tasks.CLASSIFICATION else (),
            column=f"column 1 of {width}" if width > 1 else "",
            where="held-out steps" if held_out(task) else "training steps"),
            "w_train_predictions")
    st.caption("Loss: how far the outputs are from the targets, per step (training steps in "
               "blue, held-out steps in orange). Weights: orange < 0 < blue, white at 0 — "
               + ("click a square to open that machine on the Machine page, lit on the input "
                  "it read." if bank else "one square per unit."))


def files_panel(run) -> None:
    with settings.hidden_in_classroom("files"), \
            st.expander("Save or load a trained model (.npz)"):
        if run is not None:
            st.download_button("Save this model", lambda: model.export_bytes(run),
                               file_name=f"fsm-explorer-{run.config.model}.npz",
                               mime="application/octet-stream", key="btn_train_save",
                               on_click="ignore", icon=":material/download:")
        st.file_uploader("Load a model file", type=["npz"], key="w_train_model_file",
                         on_change=model.on_model_upload,
                         max_upload_size=max(1, -(-LIMITS.max_model_bytes // 1_000_000)),
                         help="A file saved here: the reservoir (machines or ESN), the readout's "
                              f"weights and the task. At most {LIMITS.max_model_bytes:,} bytes.")
        show_message(model.file_message("model"))


# ---------------------------------------------------------------------- the page
st.title("Train")
st.caption("Press Start and watch the readout learn: every machine reads the input, each "
           "machine's output is multiplied by a weight, and gradient descent moves the weights "
           "to make the sum match the target — the question's model, live.")
settings_column, view_column = st.columns([1, 3], gap="large")
with settings_column:
    task_panel()
    reservoir_panel()
    rate_slot = readout_panel()
run = model.sync()
with settings_column:
    rate_widget(rate_slot, run)
    if run is not None:
        model.apply_rates(run)
    files_panel(run)
with view_column:
    problem = model.build_problem()
    if problem:
        kept = " The model below is the previous one." if run is not None else ""
        st.error(f"These settings were not built: {problem}.{kept}", icon=":material/block:")
    if run is None:
        st.stop()
    st.markdown(f"**{run.label}** on **{run.task.name.replace('_', ' ')}** "
                f"({run.task.T:,} steps, {run.learner.n_parameters:,} trained numbers)")
    steps = new_clicks(STEP_BUTTON)     # Step clicks since the last run, one update each
    if steps:
        run.step(steps)
    controls(run)
    show_message(run.message)
    live.ticking(curves_view, run.running, work=train_tick)
    live.ticking(weights_view, run.running, every=live.SLOW_EVERY)
