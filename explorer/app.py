"""FSM Network Explorer: the Streamlit app (page config, shared sidebar, router).

It ships inside the package, so the same router runs from a checkout (the root
``streamlit_app.py`` calls :func:`main` on every rerun) and from an installed wheel
(``fsm-explorer app`` runs this file as Streamlit's main script).  Each page is one
file in ``explorer/pages``; settings live in ``explorer/settings.py`` and per-session
state in ``explorer/session.py``.
"""
from pathlib import Path

import streamlit as st

#: the page files, found next to this module wherever the package is (checkout or wheel)
PAGE_DIR = Path(__file__).resolve().parent / "pages"

#: the pages in menu order, one line each: (file in explorer/pages, title, icon);
#: the first one is the page the app opens on
PAGES = [
    ("machine.py", "Machine", ":material/account_tree:"),
    ("network.py", "Network", ":material/hub:"),
    ("train.py", "Train", ":material/model_training:"),
    ("compare.py", "Compare", ":material/compare_arrows:"),
]


def main() -> None:
    """Draw the shared frame and run the page the user is on (called on every rerun)."""
    st.set_page_config(page_title="FSM Network Explorer", page_icon=":material/account_tree:",
                       layout="wide")
    page = st.navigation([st.Page(PAGE_DIR / file, title=title, icon=icon, default=index == 0)
                          for index, (file, title, icon) in enumerate(PAGES)])
    with st.sidebar:
        st.markdown("**FSM Network Explorer**")
        st.caption("Can many small finite-state machines reading one input, with a trained "
                   "linear readout, do the job of an LSTM? Design a machine and build a network "
                   "here; `fsm-explorer compare` measures the answer.")
        st.markdown("[Moore machines](https://en.wikipedia.org/wiki/Moore_machine) · "
                    "[LSTM](https://en.wikipedia.org/wiki/Long_short-term_memory) · "
                    "[JFLAP](https://www.jflap.org/) (draw a machine, save a .jff, import it here)")
    page.run()


if __name__ == "__main__":  # Streamlit runs its main script as __main__ (fsm-explorer app)
    main()
