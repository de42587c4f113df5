"""FSM Network Explorer: the Streamlit entry point (page config, shared sidebar, router).

Run with ``streamlit run streamlit_app.py``.  Each page is one file in
``explorer/pages``; settings live in ``explorer/settings.py`` and per-session
state in ``explorer/session.py``.
"""
import streamlit as st

st.set_page_config(page_title="FSM Network Explorer", page_icon=":material/account_tree:",
                   layout="wide")

PAGES = [
    st.Page("explorer/pages/machine.py", title="Machine", icon=":material/account_tree:",
            default=True),
    st.Page("explorer/pages/network.py", title="Network", icon=":material/hub:"),
]

page = st.navigation(PAGES)

with st.sidebar:
    st.markdown("**FSM Network Explorer**")
    st.caption("Can many small finite-state machines reading one input, with a trained "
               "linear readout, do the job of an LSTM? Design a machine and build a network "
               "here; `fsm-explorer compare` measures the answer.")
    st.markdown("[Moore machines](https://en.wikipedia.org/wiki/Moore_machine) · "
                "[LSTM](https://en.wikipedia.org/wiki/Long_short-term_memory) · "
                "[JFLAP](https://www.jflap.org/) (draw a machine, save a .jff, import it here)")

page.run()
