"""The per-browser-session state contract, and the actions that change it.

One browser session has one current machine: ``st.session_state["machine"]``
(a :class:`~fsm_engine.Machine`, immutable) with a short label saying where it
came from in ``st.session_state["machine_source"]``.  Any page may open a
machine on the Machine page::

    session.set_machine(machine, "network machine 17")
    st.switch_page("explorer/pages/machine.py")

Beside it live the Machine page's tape position (symbols read so far) and its
playing flag.  A machine no setting describes (edited, imported, opened from the
Network page) travels in links as :data:`MACHINE_PARAM` (:func:`machine_link`),
the tape position as :data:`STEP_PARAM`.  Only immutable shared data (the preset
machines) goes through ``st.cache_resource``; everything per user lives in ``st.session_state``.

The functions below that take plain values and return plain values
(:func:`parse_alphabet`, :func:`generate_machine`, :func:`read_tape`,
:func:`machine_from_table`, :func:`import_machine`) turn what a user typed,
edited or uploaded into a machine or a tape, or into a message saying exactly
what was wrong; they never touch the current machine, so a bad input leaves it
as it was.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from fsm_engine import Machine, presets
from fsm_engine.errors import FSMError, MachineFormatError
from fsm_engine.families import FAMILIES, make_machine
from fsm_engine.io import AmbiguousLabelError, load_machine

from .limits import LIMITS

MACHINE = "machine"
MACHINE_SOURCE = "machine_source"
#: symbols read so far on the Machine page's tape (0 = nothing read, in the start state)
TAPE_POSITION = "tape_position"
PLAYING = "playing"
#: bumped by every set_machine, so editors keyed on it start fresh from the new machine
MACHINE_VERSION = "machine_version"

#: URL parameters of the Machine page that no widget owns: a machine no setting describes,
#: compactly encoded (:func:`machine_link`), and the tape position
MACHINE_PARAM = "m_machine"
STEP_PARAM = "m_step"
#: most bytes a link's machine may unpack to (a compressed link cannot hide a huge machine)
LINK_JSON_BYTES = 200_000

#: decimals kept in a generated machine's outputs
OUTPUT_DECIMALS = 3
#: table columns that are not input symbols (symbol columns are "x0", "x1", ...; the page
#: shows them as "on a", "on b", ...)
STATE_COLUMN = "state"
OUTPUT_COLUMN = "output"


# ---------------------------------------------------------------------- the current machine
@st.cache_resource(show_spinner=False)
def preset(name: str) -> Machine:
    """The preset machine ``name`` (shared by every session: machines are immutable)."""
    return presets.load(name)


@st.cache_resource(show_spinner=False)
def preset_info(name: str) -> dict:
    """Title and description of the preset ``name``."""
    return presets.info(name)


def has_machine() -> bool:
    """Whether this session already holds a current machine."""
    return MACHINE in st.session_state


def current_machine() -> Machine:
    """This session's machine (the first preset until something else is set)."""
    if MACHINE not in st.session_state:
        first = presets.names()[0]
        set_machine(preset(first), f"example: {preset_info(first)['title']}")
    return st.session_state[MACHINE]


def machine_source() -> str:
    """Where the current machine came from, e.g. ``"example: Parity of one symbol"``."""
    current_machine()
    return st.session_state[MACHINE_SOURCE]


def machine_version() -> int:
    """How many times this session's machine was set (keys fresh editors)."""
    return st.session_state.get(MACHINE_VERSION, 0)


def set_machine(machine: Machine, source: str) -> None:
    """Make ``machine`` the current one; rewind the tape and stop playing.

    Parameters
    ----------
    machine : Machine
    source : a short label shown with it (``"edited"``, ``"file parity.jff"``, ...).
    """
    st.session_state[MACHINE] = machine
    st.session_state[MACHINE_SOURCE] = source
    st.session_state[MACHINE_VERSION] = machine_version() + 1
    st.session_state[TAPE_POSITION] = 0
    st.session_state[PLAYING] = False


def tape_position() -> int:
    """Symbols of the tape read so far (0 before the first step)."""
    return st.session_state.get(TAPE_POSITION, 0)


def set_tape_position(position: int) -> None:
    st.session_state[TAPE_POSITION] = max(0, int(position))


def is_playing() -> bool:
    return st.session_state.get(PLAYING, False)


def set_playing(playing: bool) -> None:
    st.session_state[PLAYING] = bool(playing)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs={Machine: Machine.to_json})
def analysis(machine: Machine) -> dict:
    """``machine.analysis()``, computed once per distinct machine (the searches can take a
    moment on a 20-state machine)."""
    return machine.analysis()


# ---------------------------------------------------------------------- links
def machine_link(machine: Machine, source: str) -> str | None:
    """``machine`` and its source label as one URL-safe word: compact JSON (alphabet,
    states, transition targets by index, outputs, start), zlib-compressed, base64url.

    Returns None when the word would be longer than ``LIMITS.max_link_chars`` (then a
    link holds the settings only).  :func:`machine_from_link` reads it back exactly.
    """
    record = {"a": list(machine.alphabet), "s": list(machine.states),
              "t": machine.transitions.tolist(), "o": machine.outputs.tolist(),
              "q": machine.start, "n": source}
    packed = zlib.compress(json.dumps(record, separators=(",", ":")).encode(), 9)
    word = base64.urlsafe_b64encode(packed).decode().rstrip("=")
    return word if len(word) <= LIMITS.max_link_chars else None


def machine_from_link(word: str) -> tuple[Machine, str]:
    """The machine and source label of a :func:`machine_link` word.

    Raises
    ------
    FSMError
        Saying what is wrong (too long, damaged, or not a valid machine); a bad link
        never raises anything else.
    """
    if len(word) > LIMITS.max_link_chars:
        raise MachineFormatError(f"it is {len(word):,} characters long, over the cap of "
                                 f"{LIMITS.max_link_chars:,}")
    try:
        packed = base64.urlsafe_b64decode(word + "=" * (-len(word) % 4))
        unpacker = zlib.decompressobj()
        text = unpacker.decompress(packed, LINK_JSON_BYTES)
        if unpacker.unconsumed_tail or not unpacker.eof:
            raise MachineFormatError("it is cut short or unpacks to too much data")
        record = json.loads(text)
        if not isinstance(record, dict):
            raise MachineFormatError("it does not hold a machine")
        machine = Machine(record["a"], record["t"], record["o"], record["q"], record["s"])
        source = record.get("n", "")
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError) as err:
        if isinstance(err, FSMError):
            raise
        raise MachineFormatError("it is damaged (copy the whole address)") from None
    except (KeyError, TypeError) as err:
        raise MachineFormatError(f"it lacks part of a machine ({err})") from None
    return machine, source if isinstance(source, str) and source else "from a link"


# ---------------------------------------------------------------------- building machines
def parse_alphabet(text: str) -> tuple[str, ...]:
    """Symbols typed by a user: words separated by spaces (``"up down"``), else one per
    character (``"ab"``).

    Raises
    ------
    FSMError
        Empty, repeated, or more than ``LIMITS.max_symbols`` symbols.
    """
    symbols = tuple(text.split()) if any(c.isspace() for c in text.strip()) else tuple(text.strip())
    if not symbols:
        raise FSMError("the alphabet is empty; type the input symbols, e.g. 'ab' or 'up down'")
    repeated = [s for s in dict.fromkeys(symbols) if symbols.count(s) > 1]
    if repeated:
        raise FSMError(f"the alphabet has {repeated[0]!r} more than once; "
                       "each symbol must be different")
    if len(symbols) > LIMITS.max_symbols:
        raise FSMError(f"the alphabet has {len(symbols)} symbols, "
                       f"over the cap of {LIMITS.max_symbols}")
    return symbols


def generate_machine(family: str, alphabet_text: str, seed: int, **params) -> Machine:
    """One random machine of ``family`` over the typed alphabet, reading only the
    parameters that family uses (``n_states``, ``stay``, ``k``, ``modulus``).

    Outputs are rounded to ``OUTPUT_DECIMALS`` decimals (as in the shipped
    presets), so the table, the diagram and the trace show short numbers.

    Raises
    ------
    FSMError
        A bad alphabet or family parameter, or a machine over the engine's size cap.
    """
    if family not in FAMILIES:
        raise FSMError(f"unknown family {family!r}; families are {', '.join(FAMILIES)}")
    wanted = {name: params[name] for name in FAMILIES[family].params}
    drawn = make_machine(family, parse_alphabet(alphabet_text), seed, **wanted)
    return Machine(drawn.alphabet, drawn.transitions, np.round(drawn.outputs, OUTPUT_DECIMALS),
                   drawn.start, drawn.states)


# ---------------------------------------------------------------------- the input tape
@dataclass(frozen=True)
class Tape:
    """An input for the Machine page: its symbols and their codes, plus any message about it."""

    symbols: tuple[str, ...]
    codes: np.ndarray         # [T] int64
    message: str | None = None

    @property
    def length(self) -> int:
        return len(self.symbols)


def read_tape(machine: Machine, source: str, text: str, length: int, seed: int) -> Tape:
    """The tape to step through: ``length`` random symbols from ``seed`` (source ``"random"``)
    or the typed ``text`` (source ``"typed"``), at most ``LIMITS.max_tape`` symbols.

    A typed symbol outside the alphabet gives an empty tape and a message naming
    it; an over-long tape is cut at the cap with a message.
    """
    if source == "random":
        codes = np.random.default_rng(seed).integers(0, machine.n_symbols, size=length)  # [T]
        message = None
    else:
        try:
            codes = machine.encode(text)                                                   # [T]
        except FSMError as err:
            symbols = ", ".join(machine.alphabet)
            return Tape((), np.zeros(0, dtype=np.int64),
                        f"The typed input cannot be read: {err}. Use the symbols {symbols}.")
        message = None
    if codes.shape[0] > LIMITS.max_tape:
        message = (f"The input has {codes.shape[0]:,} symbols, over the cap of "
                   f"{LIMITS.max_tape:,}; only the first {LIMITS.max_tape:,} are used.")
        codes = codes[:LIMITS.max_tape]
    codes = codes.astype(np.int64)
    return Tape(tuple(machine.alphabet[x] for x in codes), codes, message)


# ---------------------------------------------------------------------- the table editor
def symbol_column(x: int) -> str:
    """The table column of input symbol number ``x``."""
    return f"x{x}"


def table_frame(machine: Machine) -> pd.DataFrame:
    """The editable transition/output table: one row per state, columns ``state``,
    ``x0 .. x{X-1}`` (target state names) and ``output``."""
    columns = {STATE_COLUMN: list(machine.states)}
    for x in range(machine.n_symbols):
        columns[symbol_column(x)] = [machine.states[t] for t in machine.transitions[:, x]]
    columns[OUTPUT_COLUMN] = machine.outputs.tolist()
    return pd.DataFrame(columns)


def machine_from_table(frame: pd.DataFrame, previous: Machine, start: str) -> Machine:
    """The machine an edited :func:`table_frame` describes.

    Rows whose index is an original row keep its identity, so renaming a state
    renames it in every transition too.  Added rows get a fresh name, a loop on
    every symbol and output 0 in the cells left blank; in an original row a blank
    name, next state or output (or an output that is not a number) is refused.

    Parameters
    ----------
    frame : the editor's table (original rows keep their index, added rows follow).
    previous : the machine the table was made from (for names and the alphabet).
    start : the chosen start state's name (an old name is followed through a rename).

    Raises
    ------
    FSMError
        A blank or unknown cell, a repeated state name, or more states than
        ``LIMITS.max_diagram_states``; the message names the state and the symbol.
    """
    if len(frame) > LIMITS.max_diagram_states:
        raise FSMError(f"the table has {len(frame)} states, over the cap of "
                       f"{LIMITS.max_diagram_states} for one drawn machine; remove a state")
    if len(frame) == 0:
        raise FSMError("the table has no states; a machine needs at least one")
    names: list[str] = []
    renamed: dict[str, str] = {}
    for row_index, name in zip(frame.index, frame[STATE_COLUMN], strict=True):
        is_original = (isinstance(row_index, (int, np.integer))
                       and 0 <= row_index < previous.n_states)
        original = previous.states[row_index] if is_original else None
        name = "" if _blank(name) else str(name).strip()
        if not name and original is not None:
            raise FSMError(f"the state {original!r} lost its name; type a name for it "
                           "(every state needs one)")
        if not name:
            name = _fresh_name(previous.states, names, frame[STATE_COLUMN])
        if original is not None and name != original:
            renamed[original] = name
        names.append(name)
    transitions = []
    outputs = []
    for name, (row_index, row) in zip(names, frame.iterrows(), strict=True):
        added = not (isinstance(row_index, (int, np.integer))
                     and 0 <= row_index < previous.n_states)
        targets = []
        for x, symbol in enumerate(previous.alphabet):
            cell = row[symbol_column(x)]
            if _blank(cell) and added:
                targets.append(name)
            elif _blank(cell):
                raise FSMError(f"the state {name!r} has no next state on {symbol!r}; choose "
                               f"one in the 'on {symbol}' column")
            else:
                cell = str(cell).strip()
                targets.append(cell if cell in names else renamed.get(cell, cell))
        transitions.append(targets)
        outputs.append(_output_cell(row[OUTPUT_COLUMN], name, added))
    return Machine(previous.alphabet, transitions, outputs,
                   start=renamed.get(start, start), states=names)


def _output_cell(cell, name: str, added: bool) -> float:
    """The number in a state's output cell (0 for a new state's blank cell)."""
    if _blank(cell) and added:
        return 0.0
    try:
        value = float(str(cell).strip()) if isinstance(cell, str) else float(cell)
    except (TypeError, ValueError):
        value = None
    if value is None or _blank(cell) or not np.isfinite(value):
        shown = "empty or not a number" if _blank(cell) else f"{str(cell).strip()!r}, not a number"
        raise FSMError(f"the output of the state {name!r} is {shown}; type a number such as "
                       "0, 1 or -0.5")
    return value


def _blank(cell) -> bool:
    if cell is None or cell is pd.NA or cell is pd.NaT:
        return True
    if isinstance(cell, (float, np.floating)) and np.isnan(cell):
        return True
    return str(cell).strip() == ""


def _fresh_name(*taken_lists) -> str:
    taken = {str(n) for names in taken_lists for n in names}
    number = 0
    while f"q{number}" in taken:
        number += 1
    return f"q{number}"


# ---------------------------------------------------------------------- uploads
#: the two readings of a JFLAP comma label, as offered to the user
COMMA_CHOICES = {"split": "several symbols: 'a,b' means a or b (one transition each)",
                 "literal": "one symbol: 'a,b' is a symbol of its own (as JFLAP reads it)"}


@dataclass(frozen=True)
class ImportOutcome:
    """What an upload produced: a machine and notes, or an error, or a question.

    ``machine`` is None unless the file was read; ``ambiguous_labels`` is non-empty
    when the file has JFLAP comma labels and the user must choose a reading.
    """

    machine: Machine | None
    message: str
    notes: tuple[str, ...] = ()
    ambiguous_labels: tuple[str, ...] = ()


def import_machine(data: bytes, filename: str, comma_labels: str = "error") -> ImportOutcome:
    """Read an uploaded machine file (.json or .jff), never raising on bad content.

    Parameters
    ----------
    data : the file's bytes.
    filename : its name (the extension picks the format).
    comma_labels : ``"error"`` (ask), ``"split"`` or ``"literal"``
        (see ``fsm_engine.io.load_machine``).

    Returns
    -------
    ImportOutcome
        With the machine and the importer's notes; or ``machine=None`` and a
        message saying what is wrong (size over ``LIMITS.max_upload_bytes``,
        malformed or unsupported file); or the comma labels to ask about.
    """
    try:
        result = load_machine(data, filename, comma_labels=comma_labels,
                              max_bytes=LIMITS.max_upload_bytes)
    except AmbiguousLabelError as err:
        labels = ", ".join(repr(label) for label in err.labels[:5])
        more = f" and {len(err.labels) - 5} more" if len(err.labels) > 5 else ""
        plural = "s" if len(err.labels) > 1 else ""
        return ImportOutcome(
            None, f"{filename} has the edge label{plural} {labels}{more} with a comma. JFLAP "
                  "reads such a label as one symbol, but it often means several symbols drawn "
                  "as one edge. Choose below how to read it.",
            ambiguous_labels=err.labels)
    except FSMError as err:
        return ImportOutcome(None, f"{filename} was not loaded: {err}. The machine is unchanged.")
    kind = "JFLAP file" if result.source_format == "jff" else "JSON file"
    return ImportOutcome(result.machine,
                         f"Loaded {filename} ({kind}): {result.machine.n_states} states, "
                         f"alphabet {', '.join(result.machine.alphabet)}.",
                         notes=result.notes)
