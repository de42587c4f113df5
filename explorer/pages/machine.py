"""Machine page: design one Moore machine and step an input through it.

A thin controller: settings (explorer/settings.py) -> the session's machine and
tape (explorer/session.py) -> figures (explorer/machine_figures.py).  The
machine is rebuilt from the "Start from" settings only when the user changes
one of them (or on a first visit), so table edits, uploads and machines opened
from the Network page stay until the user asks for another.

The address bar reproduces the page: the settings are URL-bound widgets, a
machine no setting describes travels as ``m_machine`` (compactly encoded, see
:func:`explorer.session.machine_link`) and the tape position as ``m_step``.
"""
import streamlit as st

from explorer import live, session, settings
from explorer import machine_figures as figures
from explorer.click_counter import counting_button, new_clicks
from explorer.limits import LIMITS
from fsm_engine.analysis import step_position
from fsm_engine.errors import FSMError
from fsm_engine.families import FAMILIES
from fsm_engine.io import dump_machine

#: session-state names this page assigns (never widget keys); the two messages are stored
#: with the machine version they speak about and shown only while that machine is current
BUILD_MESSAGE = "machine_build_message"
IMPORT_MESSAGE = "machine_import_message"
COMMA_FILE = "machine_comma_file"
#: the machine version rebuild() last made (any other version came from elsewhere)
BUILT_VERSION = "machine_built_version"
#: a link's tape position waiting for the tape it counts on, and a link that could not be read
LINK_STEP = "machine_link_step"
LINK_MESSAGE = "machine_link_message"
#: bumped by "Undo the edit", so the table editor starts again from the current machine
TABLE_REVISION = "machine_table_revision"
#: the family parameter each randomise setting feeds
FAMILY_SETTINGS = {"n_states": "m_states", "stay": "m_stay", "k": "m_k", "modulus": "m_modulus"}


# ---------------------------------------------------------------------- callbacks
def rebuild() -> None:
    """Make the machine the "Start from" settings describe, or say why it cannot be made."""
    try:
        if settings.value("m_start") == "preset":
            name = settings.value("m_preset")
            machine = session.preset(name)
            source = f"example: {session.preset_info(name)['title']}"
        else:
            family, seed = settings.value("m_family"), settings.value("m_seed")
            params = {param: settings.value(key) for param, key in FAMILY_SETTINGS.items()}
            machine = session.generate_machine(family, settings.value("m_alphabet"), seed, **params)
            source = f"drawn from the {family.replace('_', ' ')} family, seed {seed}"
    except FSMError as err:
        session.current_machine()        # on a first visit, the default machine is the one kept
        st.session_state[BUILD_MESSAGE] = (session.machine_version(),
                                           f"No new machine: {err}. The machine is unchanged.")
        return
    session.set_machine(machine, source)
    st.session_state[BUILT_VERSION] = session.machine_version()


def new_seed() -> None:
    st.session_state["m_seed"] = (settings.value("m_seed") + 1) % (settings.MAX_SEED + 1)
    rebuild()


def on_upload() -> None:
    uploaded = st.session_state.get("w_upload")
    st.session_state.pop(COMMA_FILE, None)
    if uploaded is None:
        return
    outcome = session.import_machine(uploaded.getvalue(), uploaded.name)
    if outcome.ambiguous_labels:
        st.session_state[COMMA_FILE] = (uploaded.getvalue(), uploaded.name)
        st.session_state.pop("w_comma_reading", None)
    _apply_import(outcome, uploaded.name)


def on_comma_reading() -> None:
    data, name = st.session_state[COMMA_FILE]
    _apply_import(session.import_machine(data, name, st.session_state["w_comma_reading"]), name)


def _apply_import(outcome: session.ImportOutcome, filename: str) -> None:
    if outcome.machine is not None:
        session.set_machine(outcome.machine, f"file {filename}")
        kind = "success"
    else:
        kind = "warning" if outcome.ambiguous_labels else "error"
    st.session_state[IMPORT_MESSAGE] = (session.machine_version(), kind, outcome.message,
                                        outcome.notes)


def undo_edit() -> None:
    st.session_state[TABLE_REVISION] = st.session_state.get(TABLE_REVISION, 0) + 1


def step_by(delta: int, length: int) -> None:
    session.set_playing(False)
    session.set_tape_position(min(length, session.tape_position() + delta))


def rewind() -> None:
    session.set_playing(False)
    session.set_tape_position(0)


def play(length: int) -> None:
    if session.tape_position() >= length:
        session.set_tape_position(0)
    session.set_playing(True)


# ---------------------------------------------------------------------- links
def open_link() -> None:
    """On a session's first visit: the machine and tape position the link carries, if any.

    A link's machine replaces the one its settings describe (it was on screen when the
    link was copied); a damaged one is named and the settings' machine is shown instead.
    """
    st.session_state[LINK_STEP] = _whole_number(st.query_params.get(session.STEP_PARAM))
    word = st.query_params.get(session.MACHINE_PARAM)
    if word is None:
        return
    try:
        machine, source = session.machine_from_link(word)
    except FSMError as err:
        st.session_state[LINK_MESSAGE] = (f"The link's machine could not be read: {err}. "
                                          "Showing the machine its settings describe.")
        return
    session.set_machine(machine, source)


def _whole_number(raw: str | None) -> int | None:
    try:
        return max(0, int(raw)) if raw is not None else None
    except ValueError:
        return None


def sync_link(position: int) -> None:
    """Write what no widget holds into the address bar: the machine when no setting describes
    it (or nothing, when it is too large: then a note says the link holds the settings
    only), and the tape position."""
    word = None
    if st.session_state.get(BUILT_VERSION) != session.machine_version():
        word = session.machine_link(session.current_machine(), session.machine_source())
    _set_param(session.MACHINE_PARAM, word)
    _set_param(session.STEP_PARAM, str(position) if position else None)


def _set_param(name: str, value: str | None) -> None:
    if st.query_params.get(name) == value:
        return
    if value is None:
        del st.query_params[name]
    else:
        st.query_params[name] = value


# ---------------------------------------------------------------------- page parts
def build_panel() -> None:
    """Start from a preset or a random family member; edit the table; import and export."""
    st.subheader("Build")
    start = settings.render("m_start", on_change=rebuild,
                            labels={"preset": "an example", "random": "a random machine"}.get)
    if start == "preset":
        name = settings.render("m_preset", on_change=rebuild,
                               labels=lambda n: session.preset_info(n)["title"])
        st.markdown(session.preset_info(name)["description"])
    else:
        family = settings.render("m_family", on_change=rebuild,
                                 labels=lambda f: f.replace("_", " "))
        settings.render("m_alphabet", on_change=rebuild)
        for param in FAMILIES[family].params:
            settings.render(FAMILY_SETTINGS[param], on_change=rebuild)
        seed_column, button_column = st.columns([3, 2], vertical_alignment="bottom")
        settings.render("m_seed", seed_column, on_change=rebuild)
        button_column.button("New seed", key="btn_new_seed", on_click=new_seed,
                             icon=":material/casino:", width="stretch")
        st.caption(f"{family.replace('_', ' ')}: {FAMILIES[family].summary}.")
    if not session.has_machine():
        rebuild()
    machine = session.current_machine()
    st.caption(f"Current machine: {session.machine_source()} — {machine.n_states} states, "
               f"alphabet {' '.join(machine.alphabet)}")
    status = st.container()   # always present, so the tabs below keep their place and choice
    build_version, build_message = st.session_state.get(BUILD_MESSAGE, (None, ""))
    link_message = st.session_state.get(LINK_MESSAGE)
    if isinstance(link_message, str):     # about the machine just built in its place
        st.session_state[LINK_MESSAGE] = link_message = (session.machine_version(), link_message)
    if link_message and link_message[0] == session.machine_version():
        status.warning(link_message[1], icon=":material/link_off:")
    if build_version == session.machine_version():
        status.error(build_message, icon=":material/error:")
    elif st.session_state.get(BUILT_VERSION) != session.machine_version():
        status.info(f"The current machine is **{session.machine_source()}**, not the one these "
                    "settings describe; change a setting above to replace it.",
                    icon=":material/info:")

    if settings.classroom():                 # a class edits; files are for the teacher
        st.markdown("**Transition table**")
        table_editor()
        return
    table_tab, file_tab = st.tabs(["Transition table", "Import / export"])
    with table_tab:
        table_editor()
    with file_tab:
        import_export()


def table_editor() -> None:
    """The editable table (rows = states, a target column per symbol, the output) and the start."""
    machine = session.current_machine()
    version = session.machine_version()
    frame = session.table_frame(machine)
    columns = {session.STATE_COLUMN: st.column_config.TextColumn(
        "state", required=True, help="the state's name (every state needs its own)")}
    for x, symbol in enumerate(machine.alphabet):
        columns[session.symbol_column(x)] = st.column_config.SelectboxColumn(
            f"on {symbol}", options=list(machine.states),
            help=f"the next state after reading {symbol!r}")
    columns[session.OUTPUT_COLUMN] = st.column_config.NumberColumn(
        "output", help="the number this state emits")
    if machine.n_states > LIMITS.max_diagram_states:
        st.info(f"This machine has {machine.n_states} states; the table editor handles at most "
                f"{LIMITS.max_diagram_states}. It is shown read-only.", icon=":material/info:")
        st.dataframe(frame, hide_index=True, column_config=columns)
        return
    revision = st.session_state.get(TABLE_REVISION, 0)
    edited = st.data_editor(frame, key=f"w_table_{version}_{revision}", num_rows="dynamic",
                            hide_index=True, column_config=columns, width="stretch")
    names = list(machine.states)
    start = st.selectbox("Start state", names, index=machine.start, key=f"w_start_{version}")
    st.caption(f"Add or delete rows to add or remove states (at most "
               f"{LIMITS.max_diagram_states}). A new state loops to itself until you point it "
               "elsewhere.")
    try:
        changed = session.machine_from_table(edited, machine, start)
    except FSMError as err:
        st.error(f"That edit was not applied: {err}. The diagram shows the last valid machine.",
                 icon=":material/edit_off:")
        st.button("Undo the edit", key="btn_undo_edit", on_click=undo_edit,
                  icon=":material/undo:")
        return
    if changed != machine:
        session.set_machine(changed, "edited in the table")
        st.rerun()   # redraw the editor from the new machine (a fresh key drops the applied edits)


def import_export() -> None:
    """Upload a .json / .jff machine (answering the comma-label question) and download this one."""
    megabytes = LIMITS.max_upload_bytes / 1_000_000
    st.file_uploader(f"Import a machine (.json or JFLAP .jff, at most {megabytes:g} MB)",
                     type=["json", "jff"], key="w_upload", on_change=on_upload,
                     # Streamlit refuses larger files in the browser with only a red mark, so
                     # its limit is set well above ours: most files over our cap reach the
                     # server and get a message saying the cap
                     max_upload_size=max(1, -(-4 * LIMITS.max_upload_bytes // 1_000_000)),
                     help=f"At most {LIMITS.max_upload_bytes:,} bytes. JFLAP: finite automata "
                          "(deterministic) and Moore machines with numeric outputs.")
    version, kind, text, notes = st.session_state.get(IMPORT_MESSAGE, (None, "", "", ()))
    current = version == session.machine_version()
    if current and COMMA_FILE in st.session_state:
        st.radio("How should an edge label with a comma be read?", list(session.COMMA_CHOICES),
                 format_func=session.COMMA_CHOICES.get, index=None, key="w_comma_reading",
                 on_change=on_comma_reading)
    if current:
        show = {"success": st.success, "warning": st.warning, "error": st.error}[kind]
        show(text)
        for note in notes:
            st.caption(f"Note: {note}")
    st.markdown("**Download this machine**")
    machine = session.current_machine()
    formats = [("json", "JSON"), ("jff", "JFLAP .jff"), ("dot", "DOT")]
    with st.container(horizontal=True):
        for fmt, label in formats:
            try:
                payload, filename, mime = dump_machine(machine, fmt)
            except FSMError as err:  # never expected (a Machine is always exportable); say so
                st.caption(f"{label}: cannot be written ({err})")
                continue
            st.download_button(label, payload, filename, mime, key=f"btn_download_{fmt}",
                               on_click="ignore", icon=":material/download:")


def tape_controls(machine) -> session.Tape:
    """The input settings (folded away: they change less often than the step) and the tape."""
    with st.expander("Input and speed", icon=":material/tune:"):
        source = settings.render("m_tape_source", labels={"random": "random symbols",
                                                          "typed": "typed by you"}.get)
        if source == "random":
            length_column, seed_column = st.columns([3, 2])
            settings.render("m_tape_length", length_column)
            settings.render("m_tape_seed", seed_column)
        else:
            settings.render("m_tape")
        settings.render("m_speed")
    tape = session.read_tape(machine, source, settings.value("m_tape"),
                             settings.value("m_tape_length"), settings.value("m_tape_seed"))
    if tape.message:
        st.warning(tape.message, icon=":material/warning:")
    pending = st.session_state.pop(LINK_STEP, None)
    if pending is not None:
        session.set_tape_position(pending)
    if session.tape_position() > tape.length:
        session.set_tape_position(tape.length)
    return tape


def step_controls(tape: session.Tape) -> None:
    """Reset, back, step, play and pause, outside the ticking fragment; each button as wide
    as its label (a row too narrow for all five wraps instead of cutting a label short)."""
    position, playing, length = session.tape_position(), session.is_playing(), tape.length
    with st.container(horizontal=True, gap="small", key="step_controls"):
        st.button("Reset", key="btn_reset", on_click=rewind, icon=":material/first_page:",
                  disabled=position == 0 and not playing)
        st.button("Back", key="btn_back", on_click=step_by, args=(-1, length),
                  icon=":material/chevron_left:", disabled=position == 0)
        # every click is a step, however fast (see explorer/click_counter.py)
        counting_button("Step", "btn_step", disabled=position >= length, primary=True)
        st.button("Play", key="btn_play", on_click=play, args=(length,),
                  icon=":material/play_arrow:", disabled=playing or length == 0)
        st.button("Pause", key="btn_pause", on_click=session.set_playing, args=(False,),
                  icon=":material/pause:", disabled=not playing)


def live_view(tape: session.Tape) -> None:
    """Diagram, tape and output trace; while playing, each run advances one step."""
    machine = session.current_machine()
    states = machine.run(tape.codes)                                           # [T]
    if session.is_playing():
        session.set_tape_position(min(tape.length, session.tape_position() + 1))
        if session.tape_position() >= tape.length:
            session.set_playing(False)
            st.rerun()
    position = session.tape_position()
    current, _ = step_position(states, machine.start, position)
    output = machine.outputs[current]
    st.markdown(f"#### Step {position} of {tape.length} · state **{machine.states[current]}** · "
                f"output **{output:.3g}**")
    if machine.n_states > LIMITS.max_diagram_states:
        st.info(f"This machine has {machine.n_states} states; diagrams are drawn for machines "
                f"of at most {LIMITS.max_diagram_states} states. Stepping, the output trace and "
                "the analysis still work.", icon=":material/info:")
    else:
        readable = machine.n_states <= figures.READABLE_STATES
        height = settings.classroom_size(figures.diagram_height(machine.n_states),
                                         figures.ONE_SCREEN_HEIGHT if readable else None)
        st.graphviz_chart(figures.diagram(machine, states, tape.symbols, position),
                          width="stretch", height=height)
        if machine.n_states > figures.READABLE_STATES:
            st.caption(figures.ENLARGE_HINT)
    st.html(figures.tape_html(tape.symbols, position, legend=True))
    live.chart(figures.output_figure(machine, states, position), "w_output_chart")
    sync_link(position)


def analysis_panel() -> None:
    machine = session.current_machine()
    analysis = session.analysis(machine)
    st.subheader("What it remembers")
    with st.container(horizontal=True, gap="medium"):
        for label, value, help_text in figures.analysis_summary(machine, analysis):
            st.metric(label, value, help=help_text, width="content")
    st.markdown(figures.memory_text(machine, analysis))
    st.caption("Strongly connected parts: " + figures.components_text(machine, analysis))
    if analysis["memory_horizon_note"] and analysis["memory_horizon"] is None \
            and not analysis["memory_horizon_note"].startswith("none"):
        st.caption(f"Reset input: {analysis['memory_horizon_note']}.")
    if analysis["memory_window_note"]:
        st.caption(f"Memory window: {analysis['memory_window_note']}.")


def link_note() -> None:
    """Say so when the machine on screen cannot travel in a link."""
    if st.session_state.get(BUILT_VERSION) == session.machine_version():
        return
    if session.machine_link(session.current_machine(), session.machine_source()) is None:
        st.info(f"This machine is too large to fit in a link (over {LIMITS.max_link_chars:,} "
                "characters): a copied link holds the settings only, and opens the machine they "
                "describe. Download the machine (Import / export) to share it.",
                icon=":material/link_off:")


# ---------------------------------------------------------------------- the page
if not session.has_machine():
    open_link()
st.title("Machine")
st.caption("Build a Moore machine on the left, then step an input through it on the right: the "
           "filled state is where the machine is now, the bold arrow the transition it just took, "
           "and the chart below the outputs it has emitted so far.")
build_column, run_column = st.columns([2, 3], gap="medium")
with build_column:
    build_panel()
machine = session.current_machine()
with run_column:
    link_note()
    tape = tape_controls(machine)
    steps = new_clicks("btn_step")     # Step clicks since the last run, each one a step
    if steps:
        step_by(steps, tape.length)
    step_controls(tape)
    interval = 1.0 / settings.value("m_speed") if session.is_playing() else None
    st.fragment(live_view, run_every=interval)(tape)
analysis_panel()
