"""Where the checkout's files are: the repository root and its shipped assets.

The engine reads presets and corpora from the checkout (``make`` installs the
package editable), so every module finds them through this one place.
"""
from pathlib import Path

#: the checkout's root: the parent of the ``fsm_engine`` package directory
REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS = REPO_ROOT / "assets"
