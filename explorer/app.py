"""FSM Network Explorer: the Streamlit app (page config, shared sidebar, router).

It ships inside the package, so the same router runs from a checkout (the root
``streamlit_app.py`` calls :func:`main` on every rerun) and from an installed wheel
(``fsm-explorer app`` runs this file as Streamlit's main script).  Each page is one
file in ``explorer/pages``; settings live in ``explorer/settings.py`` and per-session
state in ``explorer/session.py``.
"""
from pathlib import Path

import streamlit as st

from explorer import settings, theme

#: the page files, found next to this module wherever the package is (checkout or wheel)
PAGE_DIR = Path(__file__).resolve().parent / "pages"

#: the pages in menu order, one line each: (file in explorer/pages, title, icon).  Learn
#: comes first, where a class starts: it walks through the other pages in their order
PAGES = [
    ("learn.py", "Learn", ":material/school:"),
    ("machine.py", "Machine", ":material/account_tree:"),
    ("network.py", "Network", ":material/hub:"),
    ("train.py", "Train", ":material/model_training:"),
    ("compare.py", "Compare", ":material/compare_arrows:"),
]
#: the page the app opens on: its address is the app's root, so the Machine page stays
#: there and every link made before the Learn page existed (``/?m_preset=…``) still opens it
DEFAULT_PAGE = "machine.py"


def main() -> None:
    """Draw the shared frame and run the page the user is on (called on every rerun)."""
    st.set_page_config(page_title="FSM Network Explorer", page_icon=":material/account_tree:",
                       layout="wide")
    page = st.navigation([st.Page(PAGE_DIR / file, title=title, icon=icon,
                                  default=file == DEFAULT_PAGE)
                          for file, title, icon in PAGES])
    st.html(theme.PAGE_STYLE)                 # one page padding for every page
    with st.sidebar:
        st.markdown("**FSM Network Explorer**")
        st.caption("Can many small finite-state machines reading one input, with a trained "
                   "linear readout, do the job of an LSTM? **Learn** walks from the question "
                   "to the measured answer; the other pages let you try each piece.")
        # drawn here, on every page, so the mode survives page changes (and stays in the URL)
        classroom = settings.render_classroom()
        st.markdown("[Moore machines](https://en.wikipedia.org/wiki/Moore_machine) · "
                    "[LSTM](https://en.wikipedia.org/wiki/Long_short-term_memory) · "
                    "[JFLAP](https://www.jflap.org/) (draw a machine, save a .jff, import it here)")
    if classroom:
        st.html(theme.CLASSROOM_STYLE)
    page.run()


if __name__ == "__main__":  # Streamlit runs its main script as __main__ (fsm-explorer app)
    main()
