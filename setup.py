"""The one thing pyproject.toml cannot say: discovered packages plus two mapped folders.

Every package under ``fsm_engine/`` and ``explorer/`` is found by discovery (a new
subpackage ships without editing this file).  Two top-level folders of the checkout are
mapped into the package as data, so nothing has to move and a wheel is still complete:

* ``assets/``      -> ``fsm_engine/assets/``        presets and the text corpus
  (``assets/screenshots`` stays out: only the files ``package-data`` names ship);
* ``.streamlit/``  -> ``explorer/streamlit_config/`` the app's config.toml (theme, headless),
  which ``fsm-explorer app`` passes to Streamlit from any folder (``secrets.toml`` never ships).

Everything else (metadata, package data patterns, the version) is in pyproject.toml.
"""
from setuptools import find_packages, setup

MAPPED = {"fsm_engine.assets": "assets", "explorer.streamlit_config": ".streamlit"}

setup(packages=[*find_packages(include=["fsm_engine", "fsm_engine.*", "explorer", "explorer.*"]),
                *MAPPED],
      package_dir=MAPPED)
