"""The wheel is complete: built, installed into a fresh venv and used from another folder.

What a pip user gets must work without the checkout: the preset names, the text corpus,
the app and its pages, the benchmarks.  The module fixture

1. copies the package sources (not caches, not ``build/``) into a temporary folder and
   builds the wheel there with ``pip wheel --no-deps --no-build-isolation --no-index``
   (offline; needs the pinned setuptools of requirements-test.txt);
2. makes a fresh venv without pip and installs the wheel into it with this
   interpreter's pip (``pip --python``), again with ``--no-deps --no-index``;
3. gives that venv the dependencies without downloading anything: a ``.pth`` file in
   its site-packages names this environment's site-packages.  Not
   ``--system-site-packages``: that would expose the *base* interpreter's packages, not
   this venv's.  Paths named in a ``.pth`` file join ``sys.path`` after the venv's own
   site-packages and their own ``.pth`` files are not run, so this environment's
   editable install of the project is not active there: ``fsm_engine`` and ``explorer``
   come from the wheel, which the first test checks.

Every command then runs from a temporary folder with the checkout nowhere on the path.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: what the wheel is built from (everything else in the checkout stays out)
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "fsm_engine", "explorer",
           "assets", "results", ".streamlit")
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", "*.egg-info")


class Installed:
    """The fresh venv with the wheel in it, and a way to run its commands from ``cwd``."""

    def __init__(self, root: Path, wheel: Path, cwd: Path):
        self.root, self.wheel, self.cwd = root, wheel, cwd
        self.bin = root / "bin"
        self.python = self.bin / "python"
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}

    def run(self, *command: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def python_code(self, code: str) -> subprocess.CompletedProcess:
        return self.run(str(self.python), "-c", code)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=CACHES)
        else:
            shutil.copy2(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "--wheel-dir", str(work / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, ("building the wheel failed (is the setuptools of "
                                   "requirements-test.txt installed?)\n" + built.stderr)
    (wheel,) = (work / "dist").glob("fsm_network_explorer-*.whl")

    root = work / "venv"
    venv.create(root, with_pip=False)
    fresh = subprocess.run([*pip, "--python", str(root / "bin" / "python"), "install",
                            "--no-deps", "--no-index", str(wheel)],
                           capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    site = subprocess.run([root / "bin" / "python", "-c",
                           "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site) / "_dependencies_from_the_test_env.pth").write_text("\n".join(sorted(ours)) + "\n")

    elsewhere = work / "elsewhere"  # not the checkout: no assets/, no streamlit_app.py here
    elsewhere.mkdir()
    return Installed(root, wheel, elsewhere)


def test_the_fresh_venv_imports_the_package_from_the_wheel(installed):
    found = installed.python_code("import fsm_engine, explorer; "
                                  "print(fsm_engine.__file__); print(explorer.__file__)")
    assert found.returncode == 0, found.stderr
    for line in found.stdout.split():
        assert Path(line).is_relative_to(installed.root), line


def test_the_wheel_holds_the_presets_the_corpus_the_pages_and_py_typed(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    presets = {p.name for p in (REPO / "assets" / "machines").glob("*.json")}
    plays = {p.name for p in (REPO / "assets" / "text" / "shakespeare").glob("*.txt")}
    pages = {p.name for p in (REPO / "explorer" / "pages").glob("*.py")}
    assert {f"fsm_engine/assets/machines/{name}" for name in presets} <= names
    assert {f"fsm_engine/assets/text/shakespeare/{name}" for name in plays} <= names
    assert {f"explorer/pages/{name}" for name in pages} <= names
    assert {"fsm_engine/py.typed", "fsm_engine/__main__.py", "fsm_engine/benchmarks/engine.py",
            "explorer/app.py", "explorer/streamlit_config/config.toml"} <= names
    assert {f"fsm_engine/results/{p.name}" for p in (REPO / "results").glob("*.json")} <= names
    assert not [name for name in names if "screenshots" in name or "__pycache__" in name
                or name.startswith("fsm_engine/results/") and not name.endswith(".json")]


def test_the_pages_quote_the_committed_results_shipped_in_the_wheel(installed):
    code = ("from explorer import compare_results, lesson\n"
            "results = lesson.read_results()\n"
            "print(sorted(results.missing), compare_results.PATH)\n"
            "print(bool(compare_results.read().chosen_for('temporal_order', 'lstm')))\n")
    shown = installed.python_code(code)
    assert shown.returncode == 0, shown.stderr
    missing, chosen = shown.stdout.splitlines()
    assert missing.startswith("[] ") and str(installed.root) in missing, missing
    assert chosen == "True"


def test_metadata_has_one_version_and_keeps_the_app_out_of_the_engine(installed):
    code = ("import fsm_engine, importlib.metadata as m; "
            "print(m.version('fsm-network-explorer') == fsm_engine.__version__); "
            "print('\\n'.join(m.requires('fsm-network-explorer')))")
    shown = installed.python_code(code)
    assert shown.returncode == 0, shown.stderr
    same_version, *requires = shown.stdout.splitlines()
    assert same_version == "True"
    engine = [r for r in requires if "extra ==" not in r]
    assert engine and not [r for r in engine if r.split(">")[0].split("=")[0].strip().lower()
                           in ("streamlit", "plotly", "pandas")]
    for name in ("streamlit", "plotly", "pandas"):
        assert any(r.startswith(name) and 'extra == "app"' in r for r in requires), name


def test_machine_show_takes_a_preset_name_from_any_folder(installed):
    shown = installed.run(str(installed.bin / "fsm-explorer"), "machine", "show", "ends_in_ab")
    assert shown.returncode == 0, shown.stderr
    assert "Machine(3 states" in shown.stdout and "reachable states" in shown.stdout


def test_python_dash_m_fsm_engine_is_the_command_line(installed):
    shown = installed.run(str(installed.python), "-m", "fsm_engine", "machine", "validate",
                          "parity")
    assert shown.returncode == 0, shown.stderr
    assert "valid" in shown.stdout


def test_an_unknown_machine_name_lists_the_presets(installed):
    shown = installed.run(str(installed.bin / "fsm-explorer"), "machine", "show", "nope")
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "ends_in_ab" in shown.stderr


def test_the_text_task_trains_on_the_shipped_corpus(installed):
    trained = installed.run(str(installed.bin / "fsm-explorer"), "train", "--task", "text",
                            "-p", "T=2000", "--seconds", "5")
    assert trained.returncode == 0, trained.stderr
    assert "text" in trained.stdout and "Traceback" not in trained.stderr


def test_the_benchmarks_ship(installed):
    shown = installed.run(str(installed.bin / "fsm-explorer"), "bench", "engine", "--help")
    assert shown.returncode == 0, shown.stderr


def test_explorer_settings_imports_and_the_packaged_app_renders(installed):
    code = ("import explorer.settings, explorer.app\n"
            "from streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file(explorer.app.__file__, default_timeout=120).run()\n"
            "assert not at.exception, at.exception\n"
            "print([t.value for t in at.title])\n")
    rendered = installed.python_code(code)
    assert rendered.returncode == 0, rendered.stderr
    assert "Machine" in rendered.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_fsm_explorer_app_serves_the_packaged_app(installed):
    port = free_port()
    server = subprocess.Popen(
        [str(installed.bin / "fsm-explorer"), "app", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=installed.cwd, env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    try:
        answer = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None and answer != "ok":
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as response:
                    answer = response.read().decode().strip()
            except OSError:
                time.sleep(0.3)
        assert answer == "ok", f"no health answer; server exited with {server.poll()}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output


# ---------------------------------------------------------------------- the launcher, in-process
def test_app_without_the_app_extra_says_what_to_install(monkeypatch, capsys):
    from fsm_engine import cli

    monkeypatch.setitem(sys.modules, "streamlit", None)  # find_spec then reports it missing
    monkeypatch.setitem(sys.modules, "plotly", None)
    assert cli.main(["app"]) == 2
    message = capsys.readouterr().err
    assert "not installed here: streamlit, plotly." in message
    assert 'pip install "fsm-network-explorer[app]"' in message


@pytest.mark.parametrize("argv", [["app", "--server.port", "8614", "--theme.base=dark"],
                                  ["app", "--", "--server.port", "8614", "--theme.base=dark"]])
def test_app_passes_streamlit_options_through_with_or_without_a_double_dash(monkeypatch, argv):
    from fsm_engine import cli, launcher

    seen = []
    monkeypatch.setattr(launcher, "launch", lambda args: seen.append(args) or 0)
    assert cli.main(argv) == 0
    assert seen == [["--server.port", "8614", "--theme.base=dark"]]


def test_the_launcher_passes_the_project_config_and_the_users_options_win():
    from fsm_engine import launcher

    config = launcher.config_options()
    assert config["browser.gatherUsageStats"] is False and "theme.primaryColor" in config
    run, url = launcher.command(["--server.port", "8614", "--theme.base=dark", "--", "x"])
    flags = run[run.index(str(launcher.app_script())) + 1:]
    pairs = dict(zip(flags[:-5:2], flags[1:-5:2], strict=True))
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--theme.primaryColor"] == config["theme.primaryColor"]
    assert pairs["--server.headless"] == "true"  # never Streamlit's first-run prompt
    assert "--theme.base" not in pairs and "--server.port" not in pairs  # the user's win
    assert flags[-5:] == ["--server.port", "8614", "--theme.base=dark", "--", "x"]
    assert url == "http://localhost:8614/"
    assert Path(launcher.app_script()).name == "app.py" and launcher.config_file().is_file()


# ---------------------------------------------------------------------- missing data, in-process
@pytest.mark.parametrize("folder", ["absent", "empty"])
def test_missing_presets_raise_a_clear_error_never_an_empty_list(monkeypatch, tmp_path, folder):
    from fsm_engine import presets
    from fsm_engine.paths import MissingDataError

    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(presets, "PRESET_DIR", tmp_path / folder)
    with pytest.raises(MissingDataError, match="preset machines .* are missing"):
        presets.names()


def test_the_checkout_reads_its_own_assets_folder():
    from fsm_engine import paths

    assert paths.CHECKOUT == REPO
    assert Path(str(paths.ASSETS)) == REPO / "assets"
