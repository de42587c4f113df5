"""Fuzzing the machine loaders: mutated machine files give a valid machine or a typed error.

A seeded mutator starts from the shipped presets (their JSON files as shipped, and in the
compact list form), their ``.jff`` exports and a few hand-written JFLAP files, and makes
``FUZZ_FILES`` mutants of one to three mutations each: byte flips, truncation, deleted or
repeated spans, inserted tokens (quotes, brackets, NUL, bytes that are not UTF-8, escaped
control characters and surrogates), deleted / inserted / retyped JSON fields, huge numbers,
renamed, duplicated or missing states, deep nesting, another encoding in the XML
declaration (and the file re-encoded in it or not), changed JFLAP types, ids and outputs.

Every mutant goes through :func:`fsm_engine.io.load_machine` and must give either a
:class:`~fsm_engine.Machine` or an :class:`~fsm_engine.errors.FSMError` whose message is
printable text; every machine that loads must come back equal from its own JSON and
``.jff`` exports.  ``FSM_FUZZ_SEED`` and ``FSM_FUZZ_FILES`` change the seed and the count
for a longer exploratory run; a failure prints the seed, the mutant's number and its
mutations, so it can be replayed with :func:`mutant`.
"""
from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from fsm_engine import Machine, io, presets
from fsm_engine.errors import FSMError

FUZZ_SEED = int(os.environ.get("FSM_FUZZ_SEED", "20240608"))
FUZZ_FILES = int(os.environ.get("FSM_FUZZ_FILES", "2400"))
REAL_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
#: files of any size are re-read in the round trips: the upload cap is tested elsewhere, and
#: an export may be larger than the file it came from (names written out in full)
NO_BYTE_CAP = 1 << 40
#: a message shows names with repr(), so it never holds a raw control character
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


# ---------------------------------------------------------------------- seed files
def _jff(kind: str, body: str, encoding: str = "UTF-8", automaton: bool = True) -> str:
    if automaton:
        body = f"<automaton>{body}</automaton>"
    return (f'<?xml version="1.0" encoding="{encoding}" standalone="no"?>'
            f"<!--Created with JFLAP 7.1.--><structure>\n\t<type>{kind}</type>\n{body}\n"
            "</structure>")


def _state(i: int, name: str, extra: str = "") -> str:
    return f'<state id="{i}" name="{name}"><x>{10 * i}.0</x><y>5.0</y>{extra}</state>'


def _edge(source: int, target: int, label: str) -> str:
    read = "<read/>" if not label else f"<read>{label}</read>"
    return f"<transition><from>{source}</from><to>{target}</to>{read}</transition>"


OWN_JFF = {
    # a complete DFA over a, b accepting strings that end in b
    "ends_in_b.jff": _jff("fa", _state(0, "q0", "<initial/>") + _state(1, "q1", "<final/>")
                          + _edge(0, 0, "a") + _edge(0, 1, "b") + _edge(1, 0, "a")
                          + _edge(1, 1, "b")),
    # partial: the importer adds a dead state
    "partial.jff": _jff("fa", _state(0, "s", "<initial/>") + _state(1, "t", "<final/>")
                        + _edge(0, 1, "0") + _edge(1, 1, "1")),
    # a Moore machine with a comma label, a multi-character label and non-ASCII names
    "moore.jff": _jff("moore", _state(0, "bas", "<initial/><output>-1.5</output>")
                      + _state(1, "haut\u00e9", "<output>2</output>")
                      + _edge(0, 1, "u,v") + _edge(1, 0, "down") + _edge(0, 0, "down")
                      + _edge(1, 1, "u,v")),
    # JFLAP 6 layout (no <automaton>), Windows line ends as character references
    "jflap6.jff": _jff("fa", (_state(0, "q0", "<initial/><final/>") + "&#13;\n"
                              + _edge(0, 0, "x")), automaton=False),
    # written in Latin-1, as its declaration says
    "latin1.jff": _jff("fa", _state(0, "d\u00e9but", "<initial/><final/>")
                       + _edge(0, 0, "\u00e9"), encoding="ISO-8859-1"),
}


def seed_files() -> list[tuple[str, bytes]]:
    """(file name, contents) of every file the mutants start from."""
    files = []
    for name in presets.names():
        shipped = presets.PRESET_DIR.joinpath(f"{name}.json").read_bytes()
        machine = Machine.from_json(shipped.decode("utf-8"))
        compact = {"alphabet": list(machine.alphabet), "states": list(machine.states),
                   "transitions": machine.transitions.tolist(),
                   "outputs": machine.outputs.tolist(), "start": machine.start}
        files += [(f"{name}.json", shipped),
                  (f"{name}-compact.json", json.dumps(compact).encode()),
                  (f"{name}.jff", io.machine_to_jff(machine).encode())]
    for name, text in OWN_JFF.items():
        encoding = "latin-1" if "ISO-8859-1" in text else "utf-8"
        files.append((name, text.encode(encoding)))
    return files


# ---------------------------------------------------------------------- mutations
TOKENS = [b"\x00", b"\xff", b"\xfe\xff", b"\xed\xa0\x80", b"\xc3", b'"', b"'", b"{", b"}", b"[",
          b"]", b":", b",", b"<", b">", b"/>", b"&", b"&#1;", b"&#xD800;", b"&#9;", b"&#10;",
          b"\\u0001", b"\\ud800", b"\\udfff", b"\\u0000", b"\\uffff", b"\\n", b"\\\\", b"]]>",
          b"<!DOCTYPE structure>", b'<!ENTITY e "x">', b"&e;", b"<![CDATA[a]]>", b"<?pi x?>",
          b"\xef\xbb\xbf", "\u3000".encode(), "\u202e".encode(), b"NaN", b"Infinity", b"-0",
          b"1e999", b"1" + b"0" * 400, b"9" * 5000, b"null", b"true", b" ", b"\t", b"\r\n"]
WEIRD_TEXT = ["\x01", "\x00", "\x1f", "\x7f", "\x85", "\ud800", "\udfff", "\ufffe", "\uffff", " ",
              "\u3000", "\t", "\n", "\r", "", "  x  ", "a,b", "\u202e", "\U0001f600", "&", "<",
              '"', "x" * 300, "q0", "dead"]
WEIRD_VALUES = [None, True, False, 0, -1, 1.5, 10**400, 10**30, -(10**20), 1e308, "x", "",
                "0", [], {}, [[]], [None], {"a": None}, [0] * 50, "\ud800", "\x01"]
ENCODINGS = ["shift_jis", "euc-jp", "big5", "gb2312", "gbk", "utf-7", "utf-32", "utf-32-le",
             "utf-16", "utf-16-le", "utf-16-be", "idna", "punycode", "latin-1", "cp037",
             "cp1252", "koi8-r", "iso2022_jp", "hz", "unicode_escape", "base64", "rot13",
             "utf-8-sig", "ascii", "klingon", "mbcs", "x y", ""]
JFLAP_TYPES = ["fa", "moore", "mealy", "pda", "turing", "re", "grammar", "", "FA", " moore "]


def _span(rng: random.Random, data: bytes) -> tuple[int, int]:
    start = rng.randrange(len(data) + 1)
    return start, min(len(data), start + rng.choice([1, 2, 5, 20, 200]))


def flip_bytes(rng, data, name):
    data = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data), name


def truncate(rng, data, name):
    return data[:rng.randrange(len(data) + 1)], name


def delete_span(rng, data, name):
    start, stop = _span(rng, data)
    return data[:start] + data[stop:], name


def repeat_span(rng, data, name):
    start, stop = _span(rng, data)
    return data[:stop] + data[start:stop] * rng.choice([1, 2, 50]) + data[stop:], name


def insert_token(rng, data, name):
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(TOKENS) + data[at:], name


def huge_number(rng, data, name):
    numbers = list(re.finditer(rb"-?\d+(\.\d+)?", data))
    if not numbers:
        return insert_token(rng, data, name)
    found = rng.choice(numbers)
    big = rng.choice([b"1" + b"0" * 400, b"1e400", b"-1e400", b"9" * 4400, b"2" * 20,
                      b"-1", b"1.5", b"0.0", b"4294967296", b"1e-400"])
    return data[:found.start()] + big + data[found.end():], name


def rename_extension(rng, data, name):
    return data, rng.choice(["m.json", "m.jff", "m.xml", "m.txt", "m", "", "M.JFF", "m.json.jff"])


def _json_paths(value, path=()):
    """Every (path, value) in a JSON document, the root included."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_paths(item, path + (i,))


def _containers(document):
    return [(path, value) for path, value in _json_paths(document)
            if isinstance(value, (dict, list)) and value]


def _dump(rng, document, name, data):
    """The mutated document as bytes (UTF-8, surrogates let through as invalid bytes) or as
    text, as an upload or a caller would hand it over."""
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5,
                      indent=rng.choice([None, 2]))
    if rng.random() < 0.2:
        return text, name
    return text.encode("utf-8", "surrogatepass"), name


def _json_document(data):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def json_delete_field(rng, data, name):
    document = _json_document(data)
    if document is None:
        return delete_span(rng, data, name)
    containers = _containers(document)
    if not containers:
        return _dump(rng, document, name, data)
    _, container = rng.choice(containers)
    key = rng.choice(list(container)) if isinstance(container, dict) \
        else rng.randrange(len(container))
    del container[key]
    return _dump(rng, document, name, data)


def json_insert_field(rng, data, name):
    document = _json_document(data)
    if document is None:
        return insert_token(rng, data, name)
    containers = _containers(document) or [((), document)]
    _, container = rng.choice(containers)
    value = rng.choice(WEIRD_VALUES + WEIRD_TEXT)
    if isinstance(container, dict):
        container[rng.choice(WEIRD_TEXT + ["states", "alphabet", "format", "version", "start",
                                           "transitions", "outputs"])] = value
    elif isinstance(container, list):
        container.insert(rng.randrange(len(container) + 1), value)
    return _dump(rng, document, name, data)


def json_wrong_type(rng, data, name):
    document = _json_document(data)
    if document is None:
        return flip_bytes(rng, data, name)
    paths = [path for path, _ in _json_paths(document) if path]
    if not paths:
        return _dump(rng, rng.choice(WEIRD_VALUES), name, data)
    path = rng.choice(paths)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = rng.choice(WEIRD_VALUES + WEIRD_TEXT)
    return _dump(rng, document, name, data)


def json_rename_state(rng, data, name):
    """Rename a state everywhere (or in one place only), to a weird name or another state's."""
    document = _json_document(data)
    states = document.get("states") if isinstance(document, dict) else None
    if not isinstance(states, list) or not states or not all(isinstance(s, str) for s in states):
        return json_wrong_type(rng, data, name)
    old = rng.choice(states)
    new = rng.choice(WEIRD_TEXT + states)
    everywhere = rng.random() < 0.7
    text = json.dumps(document)
    pattern = json.dumps(old)
    text = text.replace(pattern, json.dumps(new)) if everywhere \
        else text.replace(pattern, json.dumps(new), 1)
    return _dump(rng, json.loads(text), name, data)


def json_rename_symbol(rng, data, name):
    document = _json_document(data)
    alphabet = document.get("alphabet") if isinstance(document, dict) else None
    if not isinstance(alphabet, list) or not alphabet \
            or not all(isinstance(a, str) for a in alphabet):
        return json_wrong_type(rng, data, name)
    i = rng.randrange(len(alphabet))
    old, new = alphabet[i], rng.choice(WEIRD_TEXT + alphabet)
    alphabet[i] = new
    transitions = document.get("transitions")
    if isinstance(transitions, dict) and rng.random() < 0.7:
        for row in transitions.values():
            if isinstance(row, dict) and old in row:
                row[new] = row.pop(old)
    return _dump(rng, document, name, data)


def json_deep_nesting(rng, data, name):
    document = _json_document(data)
    depth = rng.choice([50, 1000, 100_000])
    if not isinstance(document, dict) or not document:
        return b"[" * depth + b"]" * depth, name
    field = rng.choice(list(document))
    text = json.dumps(document[field])
    document[field] = "\0"
    dumped = json.dumps(document).replace('"\\u0000"', "[" * depth + text + "]" * depth)
    return dumped.encode(), name


def json_many_entries(rng, data, name):
    document = _json_document(data)
    if not isinstance(document, dict):
        return repeat_span(rng, data, name)
    n = rng.choice([300, 1001, 5000, 30_000])
    field = rng.choice(["alphabet", "states", "outputs", "transitions"])
    document[field] = ([f"s{i}" for i in range(n)] if field in ("alphabet", "states")
                       else [0] * n if field == "outputs" else [[0]] * n)
    return _dump(rng, document, name, data)


ELEMENT = re.compile(rb"<(state|transition|initial|final|output|read|from|to|type|automaton)\b"
                     rb"[^>]*?(/>|>.*?</\1>)", re.S)


def xml_remove_element(rng, data, name):
    elements = list(ELEMENT.finditer(data))
    if not elements:
        return delete_span(rng, data, name)
    found = rng.choice(elements)
    return data[:found.start()] + data[found.end():], name


def xml_duplicate_element(rng, data, name):
    elements = list(ELEMENT.finditer(data))
    if not elements:
        return repeat_span(rng, data, name)
    found = rng.choice(elements)
    copy = found.group() * rng.choice([1, 1, 3, 300])
    return data[:found.end()] + copy + data[found.end():], name


def xml_declared_encoding(rng, data, name):
    """Another encoding in the declaration; the file re-encoded in it, or left as it was."""
    encoding = rng.choice(ENCODINGS)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if 'encoding="' in text[:200]:
        text = re.sub(r'encoding="[^"]*"', f'encoding="{encoding}"', text, count=1)
    else:
        text = f'<?xml version="1.0" encoding="{encoding}"?>' + text
    if rng.random() < 0.5:
        try:
            return text.encode(encoding), name
        except (LookupError, UnicodeError, TypeError, ValueError):
            pass
    return text.encode("utf-8", "surrogatepass"), name


def xml_weird_value(rng, data, name):
    """A JFLAP id, name, label, output or type replaced by something odd."""
    choices = [
        (rb'id="[^"]*"', lambda: 'id="{}"'.format(
            rng.choice(["", "x", "-1", "0", "1" * 30, " 2 ", "1.0"]))),
        (rb'name="[^"]*"', lambda: 'name="{}"'.format(
            rng.choice(["", " ", "&#1;", "&#9;x", " q ", "q0", "&amp;", "\u3000", "a&#10;b",
                        "&#xD800;", "x" * 300]))),
        (rb"<read>[^<]*</read>", lambda: "<read>{}</read>".format(
            rng.choice(["", " ", "&#9;", "&#13;", "a,b", ",", "&lt;", "\u00e9", "x" * 300]))),
        (rb"<output>[^<]*</output>", lambda: "<output>{}</output>".format(
            rng.choice(["", "x", "nan", "inf", "-1e999", "1e308", "1" + "0" * 400, " 3 "]))),
        (rb"<(from|to)>[^<]*</(from|to)>", lambda: "<from>{}</from>".format(
            rng.choice(["", "x", "99", "-1", "9" * 5000]))),
        (rb"<type>[^<]*</type>", lambda: f"<type>{rng.choice(JFLAP_TYPES)}</type>"),
    ]
    pattern, make = rng.choice(choices)
    found = list(re.finditer(pattern, data))
    if not found:
        return insert_token(rng, data, name)
    hit = rng.choice(found)
    return data[:hit.start()] + make().encode("utf-8", "surrogatepass") + data[hit.end():], name


def xml_deep_nesting(rng, data, name):
    depth = rng.choice([100, 1000, 5000])
    at = data.find(b"<automaton>")
    at = len(data) // 2 if at < 0 else at
    return data[:at] + b"<a>" * depth + b"</a>" * depth + data[at:], name


COMMON = [flip_bytes, truncate, delete_span, repeat_span, insert_token, huge_number,
          rename_extension]
FOR_JSON = COMMON + [json_delete_field, json_insert_field, json_wrong_type, json_rename_state,
                     json_rename_state, json_rename_symbol, json_deep_nesting, json_many_entries]
FOR_JFF = COMMON + [xml_remove_element, xml_duplicate_element, xml_declared_encoding,
                    xml_declared_encoding, xml_weird_value, xml_weird_value, xml_deep_nesting]


def mutant(seed: int, number: int, seeds: list[tuple[str, bytes]]):
    """The mutant ``number`` of a run with ``seed``: (name, data, comma mode, mutations)."""
    rng = random.Random(f"{seed}:{number}")
    name, data = rng.choice(seeds)
    mutators = FOR_JSON if name.endswith(".json") else FOR_JFF
    done = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        mutate = rng.choice(mutators)
        as_bytes = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        data, name = mutate(rng, as_bytes, name)
        done.append(mutate.__name__)
    return name, data, rng.choice(io.COMMA_LABEL_MODES), done


# ---------------------------------------------------------------------- checks
def check_outcome(data, name: str, comma: str, where: str) -> str:
    """Load one file; a machine must round-trip, an error must be an FSMError with a printable
    message.  Returns the outcome's kind, for the tally."""
    try:
        result = io.load_machine(data, name, comma_labels=comma)
    except FSMError as err:
        message = str(err)
        assert message and len(message) < 3000, f"{where}: a message of {len(message)} chars"
        message.encode("utf-8")      # shown on the page: no lone surrogate
        assert not CONTROL.search(message), f"{where}: {message!r}"
        return type(err).__name__
    except BaseException as err:     # anything else is the failure this test exists for
        raise AssertionError(f"{where}: {type(err).__name__}: {err}") from err
    machine = result.machine
    assert isinstance(machine, Machine), where
    assert machine.n_states <= io.MAX_STATES and machine.n_symbols <= io.MAX_SYMBOLS, where
    again = io.load_machine(io.machine_to_json(machine).encode(), "m.json",
                            max_bytes=NO_BYTE_CAP).machine
    assert again == machine, f"{where}: JSON round trip changed the machine"
    again = io.load_machine(io.machine_to_jff(machine).encode(), "m.jff",
                            comma_labels="literal", max_bytes=NO_BYTE_CAP).machine
    assert again == machine, f"{where}: .jff round trip changed the machine"
    return "loaded"


def test_mutated_machine_files_load_or_raise_typed_errors():
    seeds = seed_files()
    tally: Counter = Counter()
    for number in range(FUZZ_FILES):
        name, data, comma, done = mutant(FUZZ_SEED, number, seeds)
        where = (f"seed {FUZZ_SEED}, mutant {number} ({name!r}, {' + '.join(done)}, "
                 f"{comma}): {bytes(data[:120]) if isinstance(data, bytes) else data[:120]!r}")
        tally[check_outcome(data, name, comma, where)] += 1
    # the mutants reach both sides: machines that load and many kinds of refusal
    assert sum(tally.values()) == FUZZ_FILES >= 2000
    assert tally["loaded"] > FUZZ_FILES // 20, tally
    assert len(tally) >= 6, tally


def test_seed_files_load_and_round_trip():
    for name, data in seed_files():
        assert check_outcome(data, name, "literal", name) == "loaded"


@pytest.mark.skipif(not REAL_FIXTURES.is_dir(), reason="shared real-world fixtures not present")
def test_real_machine_files_load_or_raise_typed_errors():
    files = sorted(p for p in REAL_FIXTURES.rglob("*") if p.suffix.lower() in (".jff", ".json"))
    assert files
    rng = random.Random(FUZZ_SEED)
    for path in files:
        data = path.read_bytes()
        for comma in io.COMMA_LABEL_MODES:
            check_outcome(data, path.name, comma, str(path))
        for number in range(50):                 # and mutants of each, never copied anywhere
            mutate = rng.choice(FOR_JFF if path.suffix.lower() == ".jff" else FOR_JSON)
            mutated, name = mutate(rng, data, path.name)
            check_outcome(mutated, name, rng.choice(io.COMMA_LABEL_MODES),
                          f"{path.name} mutant {number} ({mutate.__name__})")
