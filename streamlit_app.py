"""FSM Network Explorer in a checkout: ``streamlit run streamlit_app.py`` (and Streamlit
Community Cloud, which runs this file from the repository root).

A thin shim: the app itself ships inside the package (``explorer/app.py``), so an
installed wheel runs the same router through ``fsm-explorer app``.  Streamlit executes
this file on every rerun; the import is cached after the first, :func:`main` runs each time.
"""
from explorer.app import main

main()
