"""The explorer's pages, one file each, run as scripts by ``st.navigation`` (see
``explorer/app.py``).  A package only so that package discovery ships them in the wheel."""
