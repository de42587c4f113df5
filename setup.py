"""The one thing pyproject.toml cannot say: discovered packages plus two mapped folders.

Every package under ``fsm_engine/`` and ``explorer/`` is found by discovery (a new
subpackage ships without editing this file).  Three top-level folders of the checkout are
mapped into the package as data, so nothing has to move and a wheel is still complete:

* ``assets/``      -> ``fsm_engine/assets/``         presets and the text corpus; its
  sub-folders are declared too (data-only packages, so setuptools does not warn about
  them), all but ``assets/screenshots``, which stays out of the wheel;
* ``results/``     -> ``fsm_engine/results/``        the committed results the Learn and
  Compare pages quote (``*.json`` only: no CSV, no figures);
* ``.streamlit/``  -> ``explorer/streamlit_config/`` the app's config.toml (theme, headless),
  which ``fsm-explorer app`` passes to Streamlit from any folder (``secrets.toml`` never ships).

Which files ship from those folders (``package-data``), the metadata and the version are in
pyproject.toml.
"""
from setuptools import find_namespace_packages, find_packages, setup

MAPPED = {"fsm_engine.assets": "assets", "fsm_engine.results": "results",
          "explorer.streamlit_config": ".streamlit"}
ASSET_DIRS = [f"fsm_engine.assets.{name}"
              for name in find_namespace_packages("assets", exclude=["screenshots*"])]

setup(packages=[*find_packages(include=["fsm_engine", "fsm_engine.*", "explorer", "explorer.*"]),
                *MAPPED, *ASSET_DIRS],
      package_dir=MAPPED)
