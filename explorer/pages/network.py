"""Network page: build thousands of machines, drive them with one input, and watch them all.

A thin controller: settings (explorer/settings.py) -> a cached, summarised
network (explorer/network_model.py) -> figures (explorer/network_figures.py).
A request over a cap is refused with a message naming the cap and the last good
network stays on screen.  The one-machine drill-down is a fragment, so moving
its time slider reruns only the diagram, never the network; its machine and time
are URL-bound settings (``net_pick``, ``net_time``) like every other, so a link
shows the same machine at the same time.
"""
import numpy as np
import streamlit as st

from explorer import machine_figures, session, settings
from explorer import network_figures as figures
from explorer import network_model as model
from explorer.limits import LIMITS
from fsm_engine import analysis
from fsm_engine.errors import FSMError
from fsm_engine.families import FAMILIES

#: settings of the drill-down (URL-bound; their ranges follow the network on screen)
MACHINE_KEY, TIME_KEY = "net_pick", "net_time"
#: how the raster orders read (the URL keeps the engine's names)
ORDER_LABELS = {"index": "machine number", "family": "family", "activity": "activity",
                "entropy": "spread over states"}
#: what each order puts first, said under the pictures
ORDER_TEXT = {
    "index": "Rows are in machine-number order.",
    "family": "Rows are grouped by family; within a family, machines that use few of their "
              "states come first.",
    "activity": "Rows are ordered by activity, how often a machine's state changes: the calmest "
                "machines (the longest memory) are at the top, the busiest at the bottom.",
    "entropy": "Rows are ordered by how evenly a machine spreads its time over its states (the "
               "entropy of its state visits): machines stuck in a few states are at the top, "
               "machines using all their states at the bottom."}


def current_spec() -> model.NetworkSpec:
    """The settings as one hashable value."""
    return model.spec_from(settings.value)


# ---------------------------------------------------------------------- page parts
def build_panel() -> None:
    """The network's settings: size, family mix, family parameters, seed, input."""
    st.subheader("Build")
    settings.render("net_machines")
    st.markdown("**Family mix** (shares, rescaled to add up to 1)")
    shares = {name: settings.render(model.mix_key(name)) for name in FAMILIES}
    used = [name for name, share in shares.items() if share > 0]
    params = dict.fromkeys(param for name in used for param in FAMILIES[name].params)
    if params:
        st.markdown("**Family parameters**")
    for param in params:
        settings.render(model.FAMILY_SETTINGS[param])
    settings.render("net_seed")
    st.markdown("**Input**")
    source = settings.render("net_input", labels=lambda name: name.replace("_", " "))
    if source == settings.TYPED_TEXT:
        settings.render("net_text")
    settings.render("net_steps")


def load() -> model.Network:
    """The network the settings describe, or the last good one with a message saying why not."""
    spec = current_spec()
    try:
        network = model.load_network(spec)
    except FSMError as err:
        previous = st.session_state.get(model.LAST_SPEC)
        kept = " The previous network is still shown." if previous is not None else ""
        st.error(f"This network was not built: {err}.{kept}", icon=":material/block:")
        if previous is None:
            st.stop()
        return model.cached_network(previous)
    st.session_state[model.LAST_SPEC] = spec
    return network


def summary(network: model.Network) -> None:
    bank = network.bank
    counts = {name: int((network.families == name).sum()) for name in network.occupancy}
    mix = " · ".join(f"{count:,} {figures.family_label(name)}" for name, count in counts.items())
    st.markdown(f"**{bank.n_machines:,} machines** ({mix}) read **{network.n_steps:,} inputs** "
                f"over **{bank.n_symbols} symbols** ({' '.join(bank.alphabet[:16])}"
                f"{' …' if bank.n_symbols > 16 else ''}): {network.stream.note}.")


def rasters(network: model.Network) -> None:
    """States and outputs over time for a sample of machines, in the chosen order."""
    sample = network.raster_machines
    families = network.families[sample]
    chosen = settings.render("net_sort", labels=ORDER_LABELS.get)
    order = analysis.row_order(chosen, families, network.entropy[sample], network.changes[sample])
    labels = (network.raster_steps, sample[order], families[order])
    thinned = _thinning_note(network)
    st.markdown("##### States over time")
    raster = figures.state_raster(network.raster_states[:, order], *labels)
    st.plotly_chart(settings.classroom_figure(raster), key="w_state_raster",
                    config={"displayModeBar": False})
    st.caption("Each row is one machine and each column one input; the colour is the state the "
               "machine is in after reading that input. Vertical stripes: many machines react to "
               "the same input at once. Long flat runs: a machine holds its state — that is "
               f"memory. {ORDER_TEXT[chosen]} {thinned}")
    st.markdown("##### Outputs over time")
    raster = figures.output_raster(network.raster_outputs[:, order], *labels)
    st.plotly_chart(settings.classroom_figure(raster), key="w_output_raster",
                    config={"displayModeBar": False})
    st.caption("The same machines coloured by their output: orange below 0, white at 0, blue "
               "above 0. These numbers, one per machine per step, are the features f the readout "
               "y = W f + b weighs and adds up.")


def _thinning_note(network: model.Network) -> str:
    """Say which machines and steps a thinned raster shows."""
    parts = []
    for shown, total, what in ((network.raster_machines, network.bank.n_machines, "machines"),
                               (network.raster_steps, network.n_steps, "steps")):
        if shown.shape[0] < total:
            stride = int(shown[1] - shown[0]) if shown.shape[0] > 1 else total
            parts.append(f"one in {stride} of the {total:,} {what}")
    return f"Shown: {' and '.join(parts)}." if parts else ""


def occupancy_and_rank(network: model.Network) -> None:
    occupancy_column, rank_column = st.columns([3, 2], gap="large")
    with occupancy_column:
        st.markdown("##### How often each state is visited")
        shares = {figures.family_label(name): share for name, share in network.occupancy.items()}
        st.plotly_chart(settings.classroom_figure(figures.occupancy_figure(shares)),
                        key="w_occupancy", config={"displayModeBar": False})
        st.caption("For each family, the share of time its machines spend in each state. Flat "
                   "bars: the machines use all their states. One tall bar: they mostly sit in one "
                   "state and carry little information about the input.")
    with rank_column:
        st.markdown("##### Separation: how many independent features?")
        output_rank, state_rank = network.output_rank, network.state_rank
        with st.container(horizontal=True, gap="medium"):
            for label, rank in (("Output features", output_rank),
                                ("One-hot state features", state_rank)):
                st.metric(label, f"{rank.rank:,} of {min(rank.n_steps, rank.n_features):,}",
                          width="content",
                          help=f"The rank of a {rank.n_steps:,} × {rank.n_features:,} matrix "
                               "(steps × features); it can be at most the smaller of the two.")
        st.caption(
            f"Measured over {output_rank.n_steps:,} evenly spaced steps and "
            f"{output_rank.n_features:,} machines (their {output_rank.n_features:,} outputs, or "
            f"their {state_rank.n_features:,} one-hot states). The rank counts the independent "
            "directions the features span. A linear readout can only output combinations of its "
            "features, so the rank bounds what it can fit: it can match any target on at most "
            "rank-many steps. Copies of the same machine add features but no rank.")


@st.fragment
def machine_view(network: model.Network) -> None:
    """Pick a machine and a time; its diagram shows the state it is in then.

    A fragment: the picker, the slider and the button rerun only this part.
    """
    n_machines, n_steps = network.bank.n_machines, network.n_steps
    _clamp(MACHINE_KEY, n_machines - 1)
    _clamp(TIME_KEY, n_steps)
    pick_column, time_column = st.columns([1, 3], vertical_alignment="bottom")
    index = settings.render(MACHINE_KEY, pick_column, maximum=n_machines - 1)
    t = settings.render(TIME_KEY, time_column, maximum=n_steps)
    machine = model.drill_machine(network, index)
    family = str(network.families[index])
    states = model.machine_states(network, index)                              # [T]
    state, edge = model.position(states, network.stream, machine.start, t)
    read = (f"has read **{edge[1]}** and moved **{machine.states[edge[0]]} → "
            f"{machine.states[state]}**" if edge else f"is in its start state "
            f"**{machine.states[state]}**")
    symbols = np.asarray(network.bank.alphabet, dtype=object)[network.stream.inputs]  # [T]
    st.html(machine_figures.tape_html(symbols, t, legend=True))
    diagram_column, text_column = st.columns([2, 1], gap="large")
    with text_column:
        st.markdown(f"Machine **{index:,}** is a **{figures.family_label(family)}** machine with "
                    f"{machine.n_states} states: {FAMILIES[family].summary}.")
        st.markdown(f"After **{t:,} inputs** it {read}; its output is "
                    f"**{machine.outputs[state]:.2f}**.")
        opened = st.button("Open in the Machine page", key="btn_open_machine",
                           icon=":material/open_in_new:")
        st.caption("The Machine page continues with this machine on the network's input from "
                   "here: step it on, edit it, and see how long it remembers.")
    with diagram_column:
        if machine.n_states > LIMITS.max_diagram_states:
            st.info(f"This machine has {machine.n_states} states; diagrams are drawn for machines "
                    f"of at most {LIMITS.max_diagram_states} states. Pick a machine of a smaller "
                    "family, or lower the states per machine.", icon=":material/info:")
        else:
            st.graphviz_chart(machine.to_dot(state, edge, name=f"machine {index}"),
                              width="stretch",
                              height=settings.classroom_size(diagram_height(machine.n_states)))
            st.caption("The filled circle is the state the machine is in; the bold red arrow is "
                       "the transition it just took. Each circle shows the state's name and its "
                       "output." + (f" {machine_figures.ENLARGE_HINT}"
                                    if machine.n_states > machine_figures.READABLE_STATES else ""))
    if opened:
        open_on_machine_page(network, index, t)


def diagram_height(n_states: int) -> int:
    """Pixels of the drill-down diagram's box: this column is wider than the Machine page's,
    so its box is taller for the same readable labels."""
    return machine_figures.diagram_height(n_states) + (40 if n_states <= 4 else 80)


def open_on_machine_page(network: model.Network, index: int, t: int) -> None:
    """Switch to the Machine page with this machine, reading the network's input at time ``t``
    (the input becomes the Machine page's typed input, the step its position)."""
    try:
        view = model.machine_page_view(network, index, t)
    except FSMError as err:
        st.error(f"This machine cannot be opened on the Machine page: {err}.",
                 icon=":material/block:")
        return
    session.set_machine(view.machine, view.source)
    session.set_tape_position(view.position)
    st.session_state["m_tape_source"] = "typed"
    st.session_state["m_tape"] = view.tape
    # the Network page's URL-bound settings cannot be cleared by a plain switch_page
    st.switch_page("explorer/pages/machine.py",
                   query_params={"m_tape_source": "typed", "m_tape": view.tape,
                                 session.STEP_PARAM: str(view.position)})


def _clamp(key: str, highest: int) -> None:
    """Keep a drill-down setting's value inside a network that may have shrunk."""
    if settings.value(key) > highest:
        st.session_state[key] = highest


# ---------------------------------------------------------------------- the page
st.title("Network")
st.caption("Many small machines read the same input at the same time. Each keeps its own state; "
           "together their states and outputs are the features a trained readout combines.")
build_column, view_column = st.columns([1, 3], gap="large")
with build_column:
    build_panel()
with view_column:
    network = load()
    summary(network)
    rasters(network)
occupancy_and_rank(network)
st.subheader("One machine up close")
machine_view(network)
