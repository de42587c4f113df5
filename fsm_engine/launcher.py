"""``fsm-explorer app``: run the packaged Streamlit app with the project's settings, anywhere.

The app's main script is ``explorer/app.py`` inside the installed package (or the
checkout).  Streamlit reads ``.streamlit/config.toml`` only from the current folder, the
user's home and the main script's folder, so this launcher reads the project's config
(shipped in a wheel as ``explorer/streamlit_config/config.toml``; the checkout's
``.streamlit/config.toml`` otherwise) and passes every setting as a ``streamlit run``
option; an option the user gives wins over the file.

Streamlit runs headless (no first-run e-mail prompt, which would stop a run without
terminal input) and the launcher opens the browser itself once the server answers, where
there is a display.  A ``--server.headless`` of the user's own is passed on unchanged:
``true`` opens no browser, ``false`` lets Streamlit open it (and ask its first-run question).

Standard library only: importing this module never needs Streamlit.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import webbrowser
from importlib import resources
from pathlib import Path

from .paths import locate

#: what the app needs beyond the engine (the ``app`` extra)
APP_PACKAGES = ("streamlit", "plotly", "pandas")
#: the command that installs them
INSTALL_APP = 'pip install "fsm-network-explorer[app]"'
#: the port Streamlit would start from
DEFAULT_PORT = 8501
#: how long to wait for the server before opening the browser anyway
STARTUP_SECONDS = 60.0


def missing_app_packages() -> list[str]:
    """The packages of :data:`APP_PACKAGES` that are not installed."""
    return [name for name in APP_PACKAGES if importlib.util.find_spec(name) is None]


def app_script() -> Path:
    """The app's main script, ``explorer/app.py``, wherever the package is."""
    return Path(str(resources.files("explorer") / "app.py"))


def config_file() -> Path:
    """The project's Streamlit config (packaged copy in a wheel, ``.streamlit/`` in a checkout)."""
    return Path(str(locate("explorer", "streamlit_config", ".streamlit") / "config.toml"))


def config_options() -> dict[str, object]:
    """The project's config as ``{"section.option": value}`` (nested tables flattened)."""
    def flatten(table: dict, prefix: str) -> dict[str, object]:
        flat: dict[str, object] = {}
        for key, value in table.items():
            if isinstance(value, dict):
                flat.update(flatten(value, f"{prefix}{key}."))
            else:
                flat[f"{prefix}{key}"] = value
        return flat
    path = config_file()
    return flatten(tomllib.loads(path.read_text(encoding="utf-8")), "") if path.is_file() else {}


def user_options(streamlit_args: list[str]) -> dict[str, str]:
    """The ``--section.option value`` / ``--section.option=value`` pairs among the user's
    arguments (script arguments after ``--`` are not options)."""
    options: dict[str, str] = {}
    for i, arg in enumerate(streamlit_args):
        if arg == "--":
            break
        if arg.startswith("--") and "." in arg:
            name, sep, value = arg[2:].partition("=")
            if not sep:
                value = streamlit_args[i + 1] if i + 1 < len(streamlit_args) else ""
            options[name] = value
    return options


def _as_flags(options: dict[str, object]) -> list[str]:
    flags: list[str] = []
    for name, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            text = str(item).lower() if isinstance(item, bool) else str(item)
            flags += [f"--{name}", text]
    return flags


def _free_port(address: str) -> int:
    """The first port from :data:`DEFAULT_PORT` on that nothing listens on."""
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 100):
        with socket.socket() as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
            return port
    return DEFAULT_PORT  # let Streamlit report the clash


def command(streamlit_args: list[str]) -> tuple[list[str], str]:
    """The ``streamlit run`` command line and the URL the app will answer on."""
    mine = user_options(streamlit_args)
    options = {name: value for name, value in config_options().items() if name not in mine}
    if "server.headless" not in mine:
        options["server.headless"] = True  # never the first-run e-mail prompt
    address = mine.get("server.address", str(options.get("server.address", "")))
    if "server.port" not in mine:
        options["server.port"] = (int(str(options["server.port"])) if "server.port" in options
                                  else _free_port(address if address not in ("", "::") else ""))
    port = mine.get("server.port", str(options.get("server.port")))
    host = "localhost" if address in ("", "0.0.0.0", "::") else address
    base = mine.get("server.baseUrlPath", str(options.get("server.baseUrlPath", ""))).strip("/")
    url = f"http://{host}:{port}/" + (f"{base}/" if base else "")
    run = [sys.executable, "-m", "streamlit", "run", str(app_script()), *_as_flags(options),
           *streamlit_args]
    return run, url


def _display_available() -> bool:
    """Whether a browser window can open here (Linux needs a display or $BROWSER; a text
    browser taking over the terminal is not wanted)."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))
    return True


def _wait_until_up(server: subprocess.Popen, url: str) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}_stcore/health", timeout=1) as answer:
                if answer.read().strip() == b"ok":
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def launch(streamlit_args: list[str]) -> int:
    """Run the app until the user stops it (Ctrl+C); returns Streamlit's exit status."""
    run, url = command(streamlit_args)
    # the user's --server.headless true: no browser; false: Streamlit opens one itself
    wants_browser = "server.headless" not in user_options(streamlit_args)
    server = subprocess.Popen(run)
    # a SIGTERM for this process (kill PID) stops Streamlit too instead of orphaning it
    previous = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        if wants_browser and _wait_until_up(server, url):
            if _display_available() and _open(url):
                print(f"  Opened {url} in your browser.", flush=True)
            else:
                print(f"  No browser here: open {url} yourself.", flush=True)
        return server.wait()
    except KeyboardInterrupt:  # the terminal's Ctrl+C reached Streamlit too
        return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
