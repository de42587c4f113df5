"""Reading and writing machines: this program's JSON, JFLAP ``.jff`` files, and DOT.

Uploads come from students' browsers, so :func:`load_machine` reads them
defensively: a byte cap, UTF-8 errors that name the byte offset, JSON errors
that name the line and column, XML parsed only with ``defusedxml`` (no DTDs,
no entities), caps on states, transitions and symbols, and every failure an
:class:`~fsm_engine.errors.FSMError` whose message says what is wrong and what
to do.  What was read but changed on the way in (a dead state added, a
multi-character label turned into a symbol, ...) is reported as ``notes``.

JFLAP import reads Moore machines (``<type>moore</type>``, numeric state
outputs) and deterministic finite automata (``<type>fa</type>``, output 1 on
final states and 0 elsewhere).  Export writes a JFLAP 7 ``moore`` file that
JFLAP and :func:`load_machine` read back to an equal machine.
"""
from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError  # types only: parsing is defusedxml's

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from .errors import CapacityError, FSMError, MachineFormatError
from .machine import Machine

#: default upload cap in bytes
MAX_BYTES = 1_000_000
#: most states a loaded machine may have (counting a dead state added to a partial automaton)
MAX_STATES = 1_000
#: most transitions a loaded machine may have (states x symbols, so an exported machine
#: re-imports), and most <transition> elements a JFLAP file may have
MAX_TRANSITIONS = 50_000
#: most distinct input symbols a loaded machine may have
MAX_SYMBOLS = 256
#: JFLAP state ids must be smaller than this in size (JFLAP numbers states 0, 1, 2, ...)
MAX_ID = 10**9

COMMA_LABEL_MODES = ("error", "split", "literal")
#: download formats of :func:`dump_machine`: (file extension, MIME type)
DUMP_FORMATS = {"json": ("json", "application/json"),
                "jff": ("jff", "application/xml"),
                "dot": ("dot", "text/vnd.graphviz")}
_EXTENSION_FORMATS = {".json": "json", ".jff": "jff", ".xml": "jff"}
_JFLAP_TYPE_NAMES = {"pda": "pushdown automaton", "turing": "Turing machine",
                     "mealy": "Mealy machine", "grammar": "grammar", "re": "regular expression",
                     "lsystem": "L-system", "regpumping": "pumping-lemma game",
                     "cfgpumping": "pumping-lemma game"}
_SUPPORTED_JFLAP = ("finite automata (type 'fa', deterministic ones) and Moore machines "
                    "(type 'moore', with numbers as outputs)")
_TO_DFA_HINT = ("Only deterministic machines can be loaded: in JFLAP use Convert > Convert to DFA, "
                "save, and upload the result")
# the encoding an XML declaration names (read from the first bytes of the file)
_XML_ENCODING = re.compile(r"""^\ufeff?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_ENCODING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,39}")       # XML's EncName, bounded
# first bytes of a file in an encoding that is not ASCII-compatible (XML 1.0, appendix F):
# the codec that reads it, BOM first
_WIDE_STARTS = ((b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"),
                (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"),
                (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"))
# Python codecs that transform text rather than read a character set: never a file's encoding
_NOT_CHARSETS = ("idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined",
                 "charmap")
_SURROGATE = re.compile("[\ud800-\udfff]")


class AmbiguousLabelError(MachineFormatError):
    """A JFLAP edge label contains a comma, so it can mean two different machines.

    Attributes
    ----------
    labels : tuple of str
        The ambiguous labels, in the order they appear in the file.
    """

    def __init__(self, labels):
        self.labels = tuple(labels)
        shown = _shown_list(self.labels)
        first = self.labels[0]
        parts = [_short(part) for part in _split_label(first)]
        if len(parts) > 6:
            parts = parts[:5] + ["..."]
        super().__init__(
            f"the edge label{'s' if len(self.labels) > 1 else ''} {shown} contain"
            f"{'' if len(self.labels) > 1 else 's'} a comma. JFLAP reads {_short(first)} as the "
            f"{len(first)}-character string {_short(first)}, but you probably meant "
            f"{' or '.join(parts)} (several edges drawn as one). Choose how to read it: "
            f"'split' (one transition on each of {' and '.join(parts)}) or 'literal' "
            f"(one symbol {_short(first)}, as JFLAP does)")


@dataclass(frozen=True)
class LoadResult:
    """A loaded machine, what was changed on the way in, and the format it came in."""

    machine: Machine
    notes: tuple[str, ...]
    source_format: str          # "json" or "jff"


@dataclass(frozen=True)
class _JffState:
    """One <state> element of a JFLAP file, as read."""

    id: int
    name: str
    initial: bool
    final: bool
    output: str | None


# ---------------------------------------------------------------------- loading
def load_machine(data: bytes | str, filename: str = "", *, comma_labels: str = "error",
                 max_bytes: int = MAX_BYTES) -> LoadResult:
    """Read a machine from an uploaded file's contents.

    Parameters
    ----------
    data : bytes or str
        The file's contents (bytes as uploaded, or already-decoded text).
    filename : str
        The file's name; its extension (``.json``, ``.jff``) picks the format.
        Without one the format is told from the content (``{`` JSON, ``<`` XML).
    comma_labels : "error" | "split" | "literal"
        What a JFLAP edge label with a comma (``a,b``) means: raise
        :class:`AmbiguousLabelError` (default), two transitions on ``a`` and on
        ``b``, or one symbol ``"a,b"`` (what JFLAP itself does).
    max_bytes : int
        Files larger than this are refused.

    Returns
    -------
    LoadResult
        The machine, notes on anything changed or assumed, and ``"json"`` or ``"jff"``.

    Raises
    ------
    MachineFormatError
        Oversize, undecodable, malformed or unsupported files
        (:class:`AmbiguousLabelError` for comma labels).
    CapacityError
        Too many states, transitions or symbols.
    InvalidMachineError
        A well-formed file describing an inconsistent machine.
    """
    if comma_labels not in COMMA_LABEL_MODES:
        raise FSMError(
            f"comma_labels is {_short(comma_labels)}; it must be one of {list(COMMA_LABEL_MODES)}")
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, (bytes, str)):
        raise MachineFormatError(
            f"a machine file's contents are bytes or text, got {type(data).__name__}")
    _check_size(len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data),
                max_bytes)
    notes: list[str] = []
    fmt = _EXTENSION_FORMATS.get(Path(filename).suffix.lower()) if filename else None
    if fmt is None:
        fmt = _sniff_format(data)
        if filename and Path(filename).suffix:
            read_as = "JSON" if fmt == "json" else "a JFLAP file"
            notes.append(f"the extension {Path(filename).suffix!r} is neither .json nor .jff; "
                         f"the file was read as {read_as} from its content")
    if fmt == "json":
        machine = _machine_from_json_text(_decode_utf8(data) if not isinstance(data, str) else data)
    else:
        machine = _machine_from_jff(_parse_xml(data), comma_labels, notes)
    return LoadResult(machine, tuple(notes), fmt)


def read_machine_file(path, **kwargs) -> LoadResult:
    """Load a machine from a file on disk (format by extension, else by content).

    Parameters
    ----------
    path : str or Path
    **kwargs : passed to :func:`load_machine` (``comma_labels``, ``max_bytes``).

    Raises
    ------
    MachineFormatError
        The file cannot be read, or any error of :func:`load_machine`.
    """
    path = Path(path)
    try:
        _check_size(path.stat().st_size, kwargs.get("max_bytes", MAX_BYTES))
        data = path.read_bytes()
    except OSError as err:
        raise MachineFormatError(f"cannot read {str(path)!r}: {err.strerror}") from None
    return load_machine(data, path.name, **kwargs)


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise MachineFormatError(
            f"the file is {size:,} bytes, over the upload limit of {max_bytes:,} bytes; a machine "
            "file is normally a few kilobytes — check that you chose the right file")


def _sniff_format(data: bytes | str) -> str:
    """"json" or "jff" from the first non-blank character of the content."""
    if isinstance(data, bytes) and any(data.startswith(start) for start, _ in _WIDE_STARTS):
        return "jff"                     # UTF-16 / UTF-32: only XML may be written so
    head = data.lstrip("\ufeff \t\r\n")[:1] if isinstance(data, str) else \
        data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1].decode("latin-1")
    if head == "{":
        return "json"
    if head == "<":
        return "jff"
    raise MachineFormatError(
        "cannot tell the file's format: a machine file is JSON (starting with '{') or a JFLAP "
        ".jff file (XML, starting with '<')" + (f", but this one starts with {head!r}" if head else
                                               ", but this one is empty"))


def _decode_utf8(data: bytes) -> str:
    """The text of UTF-8 ``data`` (a byte-order mark is allowed), or an error naming the byte."""
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MachineFormatError(
            f"the file is not UTF-8 text: the byte at offset {err.start} (0x{data[err.start]:02x}) "
            "cannot be decoded — save the file as UTF-8 (or check that it is a machine file, "
            "not an image or a spreadsheet)") from None


# ---------------------------------------------------------------------- JSON
def _machine_from_json_text(text: str) -> Machine:
    """A machine from this program's JSON text, with errors naming line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        hint = (" — it looks like XML; if it is a JFLAP file, give it the extension .jff"
                if text.lstrip("\ufeff \t\r\n").startswith("<") else "")
        raise MachineFormatError(
            f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}{hint}") from None
    except RecursionError:
        raise MachineFormatError(
            "the JSON is nested too deeply (lists inside lists inside lists ...); a machine file "
            "is only a few levels deep") from None
    except ValueError as err:                        # an integer with thousands of digits
        raise MachineFormatError(f"the JSON holds a number that cannot be read: {err}") from None
    _check_json_shape(data)
    try:
        return Machine.from_dict(data)
    except (TypeError, OverflowError) as err:
        raise MachineFormatError(
            f"the machine JSON has a value of the wrong kind ({err}); expected the format of a "
            "downloaded machine: alphabet list, states list, transitions {state: {symbol: state}}, "
            "outputs {state: number}, start state") from None


def _check_json_shape(data) -> None:
    """Refuse JSON whose top-level fields have the wrong type or too many entries."""
    if not isinstance(data, dict):
        return                                   # Machine.from_dict names the problem
    expected = {"alphabet": (list,), "states": (list,), "transitions": (dict, list),
                "outputs": (dict, list), "start": (str, int)}
    for field, kinds in expected.items():
        value = data.get(field)
        if value is not None and not isinstance(value, kinds):
            names = " or ".join({"list": "a list", "dict": "an object", "str": "a state name",
                                 "int": "a state index"}[k.__name__] for k in kinds)
            raise MachineFormatError(
                f"the field {field!r} is {type(value).__name__} {_short(value)}; "
                f"it must be {names}")
    n_symbols = len(data.get("alphabet") or ())
    if n_symbols > MAX_SYMBOLS:
        raise CapacityError(f"the machine has {n_symbols} symbols; the cap is {MAX_SYMBOLS}")
    n_states = max(len(data.get("states") or ()), len(data.get("transitions") or ()))
    if n_states > MAX_STATES:
        raise CapacityError(f"the machine has {n_states} states; the cap is {MAX_STATES}")
    _check_transition_count(n_states, n_symbols, "the machine")


def _check_transition_count(n_states: int, n_symbols: int, what: str) -> None:
    """Refuse a machine of more than ``MAX_TRANSITIONS`` transitions (states x symbols)."""
    if n_states * n_symbols > MAX_TRANSITIONS:
        raise CapacityError(
            f"{what} has {n_states:,} states and {n_symbols:,} symbols, so "
            f"{n_states * n_symbols:,} transitions; the cap is {MAX_TRANSITIONS:,} — use fewer "
            "states or symbols")


def _short(value, limit: int = 60) -> str:
    """``repr(value)`` for a message, shortened to ``limit`` characters."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):     # nested too deeply, or an int over 4300 digits
        return f"(a {type(value).__name__} too large to show)"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _shown_list(items, limit: int = 10) -> str:
    """Up to ``limit`` items, shortened, separated by commas (", ..." when there are more)."""
    return (", ".join(_short(item) for item in items[:limit])
            + (", ..." if len(items) > limit else ""))


# ---------------------------------------------------------------------- JFLAP import
def _parse_xml(data: bytes | str) -> Element:
    """The root element of XML ``data``, parsed by defusedxml (no DTD, no entities).

    Bytes are decoded here (see :func:`_decode_xml`) and the parser is given text, so
    whatever encoding the XML declaration names, the parser never decodes anything.
    """
    if isinstance(data, str):
        _refuse_surrogates(data)
    else:
        data = _decode_xml(data)
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise MachineFormatError(
            "the XML file contains a document type declaration (<!DOCTYPE ...>), which is refused: "
            "JFLAP files never have one, and it can hide entity bombs — remove it and upload "
            "again") from None
    except defusedxml.DefusedXmlException as err:
        raise MachineFormatError(
            f"the XML file uses a feature refused for safety ({type(err).__name__}); "
            "JFLAP files do not need it") from None
    except ParseError as err:
        line, column = err.position
        hint = (" — it looks like JSON; give it the extension .json" if _looks_like_json(data)
                else "")
        raise MachineFormatError(
            f"not well-formed XML at line {line}, column {column + 1}: "
            f"{str(err).split(':')[0]}{hint}") from None


def _decode_xml(data: bytes) -> str:
    """The text of an XML file's bytes, read in the encoding its first bytes and its XML
    declaration give (UTF-8 when neither says otherwise).

    UTF-16 and UTF-32 are recognised from a byte-order mark or from the zero bytes
    around ``<?`` (XML 1.0, appendix F).  A declared encoding is looked up among
    Python's codecs; an unknown one, a codec that is not a character set (``idna``,
    ``punycode``, ...), or bytes that are not valid in it are refused with a
    :class:`MachineFormatError` naming the encoding.
    """
    wide = next((codec for start, codec in _WIDE_STARTS if data.startswith(start)), None)
    if wide is not None:                 # the byte pattern proves the encoding
        return _decode_as(data, wide, wide.upper()).removeprefix("\ufeff")
    if data.startswith(b"\xef\xbb\xbf"):       # a UTF-8 byte-order mark proves UTF-8
        return _decode_utf8(data)
    head = data[:1024].decode("latin-1")
    declared = _XML_ENCODING.match(head)
    if declared is None:
        return _decode_utf8(data)
    name = declared.group(1)
    codec = _codec_for(name)
    if codec == "utf-8":
        return _decode_utf8(data)
    if codec.startswith(("utf-16", "utf-32")):
        raise MachineFormatError(
            f"the XML declaration names the encoding {name!r}, but the file starts with one byte "
            f"per character, so it is not written in {name} — save the file as UTF-8")
    text = _decode_as(data, codec, name)
    if not _XML_ENCODING.match(text):
        raise MachineFormatError(
            f"the XML declaration names the encoding {name!r}, but read in {name} the file does "
            "not start with that declaration, so it is written in another encoding — save the "
            "file as UTF-8")
    return text


def _codec_for(name: str) -> str:
    """Python's codec for an encoding named in an XML declaration, or MachineFormatError."""
    if not _ENCODING_NAME.fullmatch(name):
        raise MachineFormatError(
            f"the XML declaration names the encoding {name[:40]!r}, which is not an encoding "
            "name; save the file as UTF-8")
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        raise MachineFormatError(
            f"the XML declares the encoding {name!r}, which is unknown; save the file as "
            "UTF-8") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        raise MachineFormatError(
            f"the XML declares the encoding {name!r}, which is not a character set that text "
            "files are written in; save the file as UTF-8")
    return info.name


def _decode_as(data: bytes, codec: str, name: str) -> str:
    """``data`` decoded with ``codec`` (named ``name`` in messages), or MachineFormatError."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise MachineFormatError(
            f"the file is not valid {name} text: the byte at offset {err.start} "
            f"(0x{data[err.start]:02x}) cannot be decoded ({err.reason}) — save the file as "
            "UTF-8") from None
    except (UnicodeError, ValueError, LookupError, TypeError) as err:
        raise MachineFormatError(
            f"the file cannot be read in the encoding {name!r} ({type(err).__name__}); save "
            "the file as UTF-8") from None


def _refuse_surrogates(text: str) -> None:
    """Refuse text holding a lone surrogate (it cannot be encoded, so not parsed)."""
    bad = _SURROGATE.search(text)
    if bad:
        raise MachineFormatError(
            f"the text holds the lone surrogate U+{ord(bad.group()):04X} at character "
            f"{bad.start() + 1} (half of a UTF-16 character pair, left over from broken text); "
            "it is not a character a file can hold — save the file again as UTF-8")


def _looks_like_json(data: bytes | str) -> bool:
    try:
        return _sniff_format(data) == "json"
    except MachineFormatError:
        return False


def _machine_from_jff(root: Element, comma_labels: str, notes: list[str]) -> Machine:
    """Build a machine from a parsed JFLAP document, appending notes on what was changed."""
    if root.tag != "structure":
        raise MachineFormatError(f"not a JFLAP file: the top element is <{root.tag}>, but JFLAP "
                                 "files start with <structure>")
    type_element = root.find("type")
    kind = (type_element.text or "").strip().lower() if type_element is not None else ""
    if not kind:
        raise MachineFormatError(
            "the JFLAP file has no <type>; it cannot say what kind of automaton it is")
    if kind not in ("fa", "moore"):
        what = _JFLAP_TYPE_NAMES.get(kind, "kind of JFLAP file this program does not know")
        raise MachineFormatError(
            f"this JFLAP file has type {_short(kind)} (a {what}); only {_SUPPORTED_JFLAP} can be "
            "loaded")
    automaton = root.find(".//automaton")
    if automaton is None:                        # JFLAP 6 puts states right under <structure>
        automaton = root
    states = _tidy_state_names(_read_jff_states(automaton), notes)
    names = _unique_state_names(states, notes)
    index_of = {state.id: i for i, state in enumerate(states)}
    edges = _read_jff_transitions(automaton, index_of, names, kind)       # (source, target, label)
    alphabet, table = _transition_table(edges, names, comma_labels, notes)  # table: {(s, x): t}
    outputs = _jff_outputs(states, names, kind, notes)
    initial = [i for i, state in enumerate(states) if state.initial]
    if not initial:
        raise MachineFormatError(
            "the JFLAP file has no initial state; mark one state as initial in JFLAP "
            "(right-click it > Initial), save, and upload again")
    if len(initial) > 1:
        marked = ", ".join(repr(names[i]) for i in initial)
        raise MachineFormatError(
            f"the JFLAP file marks {len(initial)} states as initial ({marked}); a machine has "
            "exactly one start state — keep one and upload again")
    transitions = _complete_with_dead_state(table, names, alphabet, outputs, kind, notes)
    return Machine(alphabet, transitions, outputs, start=initial[0], states=names)


def _read_jff_states(automaton: Element) -> list[_JffState]:
    """The <state> elements, sorted by id as JFLAP does."""
    elements = automaton.findall("state")
    if len(elements) > MAX_STATES:
        raise CapacityError(f"the JFLAP file has {len(elements)} states; the cap is {MAX_STATES}")
    if not elements:
        raise MachineFormatError("the JFLAP file has no states; draw at least one state in JFLAP")
    states: dict[int, _JffState] = {}
    for number, element in enumerate(elements, start=1):
        raw_id = element.get("id")
        if raw_id is None:
            raise MachineFormatError(f"state number {number} in the file has no id attribute")
        state_id = _parse_id(raw_id, f"the id of state number {number}")
        if state_id in states:
            raise MachineFormatError(
                f"the state id {state_id} appears twice; every state needs its own id")
        output = element.find("output")
        states[state_id] = _JffState(
            id=state_id, name=element.get("name") or f"q{state_id}",
            initial=element.find("initial") is not None, final=element.find("final") is not None,
            output=None if output is None else (output.text or ""))
    return [states[i] for i in sorted(states)]


def _tidy_state_names(states: list[_JffState], notes: list[str]) -> list[_JffState]:
    """States whose names had spaces at either end, or only spaces, get a usable name.

    A table cell cannot tell ``" q1"`` from ``"q1"``, so the spaces are removed; a
    blank name becomes ``q{id}`` as JFLAP shows an unnamed state.  Noted.
    """
    tidy, changed = [], []
    for state in states:
        name = state.name.strip() or f"q{state.id}"
        if name != state.name:
            changed.append(f"{_short(state.name)} (id {state.id}) -> {_short(name)}")
            state = replace(state, name=name)
        tidy.append(state)
    if changed:
        shown = ", ".join(changed[:10]) + (", ..." if len(changed) > 10 else "")
        notes.append("spaces at the ends of state names were removed: " + shown)
    return tidy


def _parse_id(text: str, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise MachineFormatError(
            f"{what} is {_short(text)}, not a whole number "
            "(JFLAP numbers its states 0, 1, 2, ...)") from None
    if abs(value) >= MAX_ID:
        raise MachineFormatError(
            f"{what} is {_short(text.strip(), 30)}, a number too large for a state id "
            "(JFLAP numbers its states 0, 1, 2, ...)")
    return value


def _unique_state_names(states: list[_JffState], notes: list[str]) -> list[str]:
    """The states' names, with repeated names made unique by a suffix ``_2``, ``_3``, ..."""
    taken = {state.name for state in states}
    seen: set[str] = set()
    names, renamed = [], []
    for state in states:
        name = state.name
        if name in seen:
            suffix = 2
            while f"{state.name}_{suffix}" in taken:
                suffix += 1
            name = f"{state.name}_{suffix}"
            taken.add(name)
            renamed.append(f"{_short(state.name)} (id {state.id}) -> {_short(name)}")
        seen.add(name)
        names.append(name)
    if renamed:
        notes.append("some states had the same name and were renamed: "
                     + ", ".join(renamed[:10]) + (", ..." if len(renamed) > 10 else ""))
    return names


def _read_jff_transitions(automaton: Element, index_of: dict, names: list[str],
                          kind: str) -> list[tuple[int, int, str]]:
    """``(source index, target index, label)`` of every <transition>, in file order."""
    elements = automaton.findall("transition")
    if len(elements) > MAX_TRANSITIONS:
        raise CapacityError(
            f"the JFLAP file has {len(elements)} transitions; the cap is {MAX_TRANSITIONS}")
    edges = []
    for number, element in enumerate(elements, start=1):
        ends = []
        for end in ("from", "to"):
            child = element.find(end)
            text = None if child is None else child.text
            if text is None or not text.strip():
                raise MachineFormatError(f"transition number {number} has no <{end}> state")
            state_id = _parse_id(text, f"the <{end}> of transition number {number}")
            if state_id not in index_of:
                raise MachineFormatError(f"transition number {number} goes {end} state id "
                                         f"{state_id}, which does not exist")
            ends.append(index_of[state_id])
        read = element.find("read")
        label = "" if read is None or read.text is None else read.text
        if not label:
            what = (f"a nondeterministic automaton (NFA) with λ-transitions. {_TO_DFA_HINT}"
                    if kind == "fa" else "not a Moore machine this program can run: give every "
                    "transition one symbol to read in JFLAP and save again")
            raise MachineFormatError(
                f"the transition from {_short(names[ends[0]])} to {_short(names[ends[1]])} reads "
                f"the empty "
                f"string (λ), so this is {what}")
        edges.append((ends[0], ends[1], label))
    return edges


def _split_label(label: str) -> list[str]:
    """The distinct non-empty parts of a comma-separated label, in order."""
    return list(dict.fromkeys(part for part in label.split(",") if part))


def _transition_table(edges, names: list[str], comma_labels: str, notes: list[str]):
    """The alphabet (symbols in first-seen order) and ``{(source, symbol index): target}``.

    Raises AmbiguousLabelError for comma labels in "error" mode and
    MachineFormatError when one state has two different transitions on one symbol.
    """
    ambiguous = list(dict.fromkeys(label for _, _, label in edges if len(_split_label(label)) > 1))
    if ambiguous and comma_labels == "error":
        raise AmbiguousLabelError(ambiguous)
    symbol_index: dict[str, int] = {}
    table: dict[tuple[int, int], int] = {}
    for source, target, label in edges:
        split = comma_labels == "split" and label in ambiguous
        for symbol in (_split_label(label) if split else [label]):
            x = symbol_index.setdefault(symbol, len(symbol_index))
            previous = table.setdefault((source, x), target)
            if previous != target:
                raise MachineFormatError(
                    f"state {_short(names[source])} has two transitions on {_short(symbol)} "
                    f"(to {_short(names[previous])} and to {_short(names[target])}), so this is a "
                    f"nondeterministic automaton (NFA). {_TO_DFA_HINT}")
    if len(symbol_index) > MAX_SYMBOLS:
        raise CapacityError(
            f"the JFLAP file uses {len(symbol_index)} symbols; the cap is {MAX_SYMBOLS}")
    if not symbol_index:
        raise MachineFormatError(
            "the JFLAP file has no transitions, so the machine reads no symbols; draw at least "
            "one transition")
    if ambiguous and comma_labels == "split":
        notes.append("labels with commas were split into one transition per symbol: "
                     + ", ".join(f"{_short(label)} -> "
                                 f"{' and '.join(map(_short, _split_label(label)[:6]))}"
                                 for label in ambiguous[:10]))
    if ambiguous and comma_labels == "literal":
        notes.append("labels with commas were kept as single symbols, as JFLAP reads them: "
                     + _shown_list(ambiguous))
    long_labels = [s for s in symbol_index if len(s) > 1 and s not in ambiguous]
    if long_labels:
        notes.append("multi-character labels became input symbols of their own: "
                     + _shown_list(long_labels)
                     + " (JFLAP reads such a label as a string of several symbols)")
    return tuple(symbol_index), table


def _jff_outputs(states: list[_JffState], names: list[str], kind: str,
                 notes: list[str]) -> list[float]:
    """Each state's output: 1 on final states of a DFA and 0 elsewhere, or a Moore <output>."""
    if kind == "fa":
        finals = [names[i] for i, state in enumerate(states) if state.final]
        shown = ", ".join(map(repr, finals[:10])) + (", ..." if len(finals) > 10 else "")
        notes.append("a JFLAP finite automaton: output 1 in the final (accepting) states"
                     + (f" {shown}" if finals else " (there are none)") + ", 0 elsewhere")
        return [1.0 if state.final else 0.0 for state in states]
    outputs = []
    for name, state in zip(names, states, strict=True):
        if state.output is None or not state.output.strip():
            raise MachineFormatError(
                f"state {_short(name)} has no output; in a Moore machine every state needs a "
                "number as its output — set it in JFLAP and save again")
        try:
            value = float(state.output)
        except ValueError:
            raise MachineFormatError(
                f"state {_short(name)} has the output {_short(state.output)}, which is not a "
                "number. Here a machine's outputs are real numbers (the readout multiplies them "
                "by a weight), so outputs such as letters cannot be loaded — give every state a "
                "numeric output in JFLAP (e.g. 0 and 1) and save again") from None
        if not math.isfinite(value):
            raise MachineFormatError(
                f"state {_short(name)} has the output {_short(state.output)}; it must be a finite "
                "number")
        outputs.append(value)
    return outputs


def _complete_with_dead_state(table: dict, names: list[str], alphabet: tuple, outputs: list[float],
                              kind: str, notes: list[str]) -> list[list[int]]:
    """The full ``[S][X]`` table; missing transitions go to an added dead state (output 0).

    Appends the dead state to ``names`` and ``outputs`` when one is needed.
    """
    n_states, n_symbols = len(names), len(alphabet)
    missing = n_states * n_symbols - len(table)
    if missing and n_states + 1 > MAX_STATES:
        raise CapacityError(
            f"the JFLAP file has {n_states} states and is partial ({missing:,} of "
            f"{n_states * n_symbols:,} transitions are missing), so loading it adds a dead state: "
            f"{n_states + 1} states, over the cap of {MAX_STATES}; remove a state or add the "
            "missing transitions in JFLAP")
    _check_transition_count(n_states + (1 if missing else 0), n_symbols, "the JFLAP machine")
    if missing:
        dead = "dead"
        suffix = 2
        while dead in names:
            dead, suffix = f"dead_{suffix}", suffix + 1
        meaning = "reject" if kind == "fa" else "stop"
        notes.append(
            f"the automaton is partial: {missing} of {n_states * n_symbols} transitions were "
            f"missing. They now go to an added state {dead!r} with output 0 that never leaves "
            f"(in JFLAP a missing transition means {meaning})")
        names.append(dead)
        outputs.append(0.0)
    return [[table.get((s, x), n_states) for x in range(n_symbols)]
            for s in range(n_states + (1 if missing else 0))]


# ---------------------------------------------------------------------- writing
def machine_to_json(machine: Machine) -> str:
    """The machine as this program's JSON (:meth:`Machine.to_json`)."""
    return machine.to_json()


def machine_to_jff(machine: Machine) -> str:
    """The machine as a JFLAP 7 Moore machine file (``<type>moore</type>``).

    States are laid out on a circle; each state's output is written with
    ``repr`` so it reads back exactly.  JFLAP and :func:`load_machine` read the
    file back to an equal machine (a symbol containing a comma needs
    ``comma_labels="literal"``).  Every name a :class:`Machine` accepts is XML text
    (no control character but a symbol's tab, newline or carriage return, which
    are written as character references), so every machine can be exported.
    """
    n_states = machine.n_states
    radius = max(150.0, 40.0 * n_states / math.pi)       # about 80 px between neighbouring states
    centre = radius + 100.0
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
             "<!--Created with FSM Network Explorer.--><structure>",
             "\t<type>moore</type>", "\t<automaton>", "\t\t<!--The list of states.-->"]
    for i, name in enumerate(machine.states):
        angle = 2.0 * math.pi * i / n_states
        lines += [f'\t\t<state id="{i}" name="{_xml_escape(name)}">',
                  f"\t\t\t<x>{centre + radius * math.cos(angle):.1f}</x>",
                  f"\t\t\t<y>{centre + radius * math.sin(angle):.1f}</y>"]
        if i == machine.start:
            lines.append("\t\t\t<initial/>")
        lines += [f"\t\t\t<output>{float(machine.outputs[i])!r}</output>", "\t\t</state>"]
    lines.append("\t\t<!--The list of transitions.-->")
    for s in range(n_states):
        for x, symbol in enumerate(machine.alphabet):
            target = int(machine.transitions[s, x])
            lines += ["\t\t<transition>", f"\t\t\t<from>{s}</from>", f"\t\t\t<to>{target}</to>",
                      f"\t\t\t<read>{_xml_escape(symbol)}</read>",
                      f"\t\t\t<transout>{float(machine.outputs[target])!r}</transout>",
                      "\t\t</transition>"]
    lines += ["\t</automaton>", "</structure>", ""]
    return "\n".join(lines)


def _xml_escape(text: str) -> str:
    """``text`` safe inside an XML attribute or element, whitespace kept exactly."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#9;"))


def dump_machine(machine: Machine, fmt: str, name: str = "machine") -> tuple[bytes, str, str]:
    """The bytes, file name and MIME type of a download of ``machine``.

    Parameters
    ----------
    machine : Machine
    fmt : "json" | "jff" | "dot"
    name : file name stem (characters other than letters, digits, ``-`` and ``_`` become ``_``)

    Returns
    -------
    (bytes, filename, mime)

    Raises
    ------
    FSMError
        For an unknown format.
    """
    if fmt not in DUMP_FORMATS:
        raise FSMError(
            f"download format {fmt!r} is not supported; formats are {list(DUMP_FORMATS)}")
    extension, mime = DUMP_FORMATS[fmt]
    writers: dict[str, Callable[[Machine], str]] = {
        "json": machine_to_json, "jff": machine_to_jff, "dot": Machine.to_dot}
    text = writers[fmt](machine)
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "machine"
    return text.encode("utf-8"), f"{stem}.{extension}", mime


def write_machine_file(machine: Machine, path) -> None:
    """Write ``machine`` to ``path`` in the format of its extension (.json, .jff or .dot).

    Raises
    ------
    FSMError
        For another extension, or when the file cannot be written.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in DUMP_FORMATS:
        raise FSMError(
            f"cannot tell the format of {str(path)!r}: use the extension .json, .jff or .dot")
    payload, _, _ = dump_machine(machine, fmt)
    try:
        path.write_bytes(payload)
    except OSError as err:
        raise FSMError(f"cannot write {str(path)!r}: {err.strerror}") from None
