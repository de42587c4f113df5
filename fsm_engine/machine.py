"""One Moore machine: validated on construction, immutable, runnable, drawable, analysable.

A machine reads symbols of its alphabet; after reading ``x_t`` it moves
``s_t = transitions[s_{t-1}, x_t]`` and emits ``o_t = outputs[s_t]``.  Edits make
a new machine (:meth:`Machine.with_transition`, :meth:`Machine.with_output`).
The step-through generator :meth:`Machine.steps` is the single source for both
running and teaching; :meth:`Machine.run` is its fast array form.
"""
from __future__ import annotations

import itertools
import json
import math
import re
from collections import deque
from collections.abc import Iterator
from typing import NamedTuple

import networkx as nx
import numpy as np

from .errors import (
    CapacityError,
    InvalidAlphabetError,
    InvalidOutputError,
    InvalidStateError,
    InvalidSymbolError,
    InvalidTransitionError,
    MachineFormatError,
)

FORMAT = "fsm-explorer/machine"
VERSION = 1
#: largest machine the subset search for a synchronising word accepts (2**cap subsets)
HORIZON_MAX_STATES = 20
#: sets of states the synchronising-word search may visit before it gives up
HORIZON_MAX_SETS = 20_000
#: largest machine drawn left to right by Graphviz ``dot``; larger ones use ``neato``, whose
#: roughly square drawings keep labels readable when fitted into a page (see ``to_dot``)
DOT_CHAIN_STATES = 4
#: most edges drawn curved (two edges between the same states, one each way, then stay
#: apart); the browser's Graphviz takes seconds to curve more (about 30 s for 57 edges)
CURVED_EDGES = 40
#: longest label line (state name or output) drawn in a circle; longer ones get ellipses,
#: which take less room than a circle as wide as the name
ROUND_LABEL_CHARS = 4
#: most symbols an edge label lists; more read "any" or "not a,b" (see ``Machine._edge_text``)
EDGE_SYMBOLS = 3
#: most entries (states x symbols) a transition table may have: 80 MB of int64, checked
#: before anything of that size is allocated
MAX_TABLE_ENTRIES = 10_000_000
IMMUTABLE = "Machine is immutable; use with_transition / with_output to make a new one"
#: characters no name may hold: C0 and C1 control characters, lone surrogates (half of a
#: UTF-16 pair, left over from broken text) and the non-characters U+FFFE / U+FFFF.  None can
#: be written to a JFLAP (XML) file, shown in a table or typed by a student.
_BAD_NAME_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: the same for symbols, which may be a tab, a newline or a carriage return (the text task
#: reads them as characters; a JFLAP file stores them as character references)
_BAD_SYMBOL_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class Step(NamedTuple):
    """One step of a run: at time ``t`` the machine read ``symbol`` and went ``before -> after``."""

    t: int
    symbol: str
    before: int
    after: int
    output: float


def _state_index(value, names: tuple, field: str) -> int:
    """Resolve a state given by name or index to an index, or raise naming ``field``."""
    if isinstance(value, str):
        if value in names:
            return names.index(value)
        raise InvalidStateError(
            f"{field} is {_show(value)}, which is not a state; states are {_listing(names)}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if 0 <= value < len(names):
            return int(value)
        raise InvalidStateError(
            f"{field} is {_show(value)}, but the machine has {len(names)} states "
            f"(0..{len(names) - 1})")
    raise InvalidStateError(f"{field} must be a state name or index, got {_show(value)}")


class Machine:
    """A Moore finite-state machine.

    Parameters
    ----------
    alphabet : sequence of str
        The input symbols (non-empty, distinct strings).
    transitions : [S][X] nested sequence of state indices, or ``{state: {symbol: state}}``
        ``transitions[s][x]`` is the state after reading symbol ``x`` in state ``s``.
    outputs : [S] sequence of real numbers, or ``{state: value}``
    start : state name or index
    states : sequence of str, optional
        State names (default ``q0, q1, ...``); required to resolve names in dict forms
        unless the dicts' keys define them.

    Names are printable text: a state name has no control character, no lone
    surrogate and no whitespace at either end (a table cell could not show it);
    a symbol may also be a tab, newline or carriage return (the text task reads
    them), but no other control character.  The table has at most
    ``MAX_TABLE_ENTRIES`` entries (states x symbols), checked before it is
    allocated.  Validation takes time linear in the size of the machine.

    Raises
    ------
    InvalidAlphabetError, InvalidStateError, InvalidTransitionError, InvalidOutputError
        With a message naming the field, the state, the symbol and the bad value.
    CapacityError
        When states x symbols is over ``MAX_TABLE_ENTRIES``.
    """

    __slots__ = ("alphabet", "states", "transitions", "outputs", "start", "_symbol_index")
    # the slots' types (set once in __init__ through object.__setattr__)
    alphabet: tuple[str, ...]
    states: tuple[str, ...]
    transitions: np.ndarray     # [S, X] int64, read-only
    outputs: np.ndarray         # [S] float64, read-only
    start: int
    _symbol_index: dict[str, int]

    def __init__(self, alphabet, transitions, outputs, start=0, states=None):
        alphabet = self._check_alphabet(alphabet)
        if not isinstance(transitions, (dict, np.ndarray)):
            transitions = _table_rows(transitions, len(alphabet))
        if states is None:
            if isinstance(transitions, dict):
                states = [str(s) for s in transitions]
            else:
                _check_table_size(len(transitions), len(alphabet))
                states = [f"q{i}" for i in range(len(transitions))]
        states = self._check_states(states, len(alphabet))
        index = {name: i for i, name in enumerate(states)}
        table = self._check_transitions(transitions, states, alphabet, index)
        out = self._check_outputs(outputs, states, index)
        start_index = _state_index(start, states, "start")
        set_ = object.__setattr__
        set_(self, "alphabet", alphabet)
        set_(self, "states", states)
        table.flags.writeable = False
        out.flags.writeable = False
        set_(self, "transitions", table)   # [S, X] int64
        set_(self, "outputs", out)         # [S] float64
        set_(self, "start", start_index)
        set_(self, "_symbol_index", {a: i for i, a in enumerate(alphabet)})

    def __setattr__(self, name, value):
        raise AttributeError(IMMUTABLE)

    def __delattr__(self, name):
        raise AttributeError(IMMUTABLE)

    def __reduce__(self):
        # rebuild through the constructor: copy, deepcopy and pickle cannot set attributes
        return (type(self),
                (self.alphabet, self.transitions, self.outputs, self.start, self.states))

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _check_alphabet(alphabet) -> tuple:
        if isinstance(alphabet, str):
            alphabet = list(alphabet)
        size = _length(alphabet)
        if size is not None and size > MAX_TABLE_ENTRIES:
            _check_table_size(1, size)
        try:
            alphabet = tuple(_bounded(alphabet, MAX_TABLE_ENTRIES))
        except TypeError:
            raise InvalidAlphabetError(
                f"alphabet must be a sequence of symbols, got {_show(alphabet)}") from None
        if not alphabet:
            raise InvalidAlphabetError(
                "alphabet is empty; a machine needs at least one input symbol")
        _check_table_size(1, len(alphabet))
        seen = set()
        for i, a in enumerate(alphabet):
            if not isinstance(a, str) or not a:
                raise InvalidAlphabetError(
                    f"alphabet symbol {i} is {_show(a)}; symbols must be non-empty strings")
            bad = _BAD_SYMBOL_CHAR.search(a)
            if bad:
                raise InvalidAlphabetError(
                    f"alphabet symbol {i} is {_show(a)}, which holds {_describe_char(bad)}; "
                    "symbols must be printable text — rename the symbol")
            if a in seen:
                raise InvalidAlphabetError(f"alphabet symbol {_show(a)} appears twice")
            seen.add(a)
        return alphabet

    @staticmethod
    def _check_states(states, n_symbols: int = 1) -> tuple:
        size = _length(states)
        if size is not None:
            _check_table_size(size, n_symbols)
        try:
            states = tuple(_bounded(states, MAX_TABLE_ENTRIES // n_symbols))
        except TypeError:
            raise InvalidStateError(
                f"states must be a sequence of state names, got {_show(states)}") from None
        if not states:
            raise InvalidStateError("the machine has no states; it needs at least one")
        _check_table_size(len(states), n_symbols)
        seen = set()
        for i, s in enumerate(states):
            if not isinstance(s, str) or not s:
                raise InvalidStateError(
                    f"state name {i} is {_show(s)}; state names must be non-empty strings")
            bad = _BAD_NAME_CHAR.search(s)
            if bad:
                raise InvalidStateError(
                    f"state name {i} is {_show(s)}, which holds {_describe_char(bad)}; state "
                    "names must be printable text — rename the state")
            if not s.strip():
                raise InvalidStateError(
                    f"state name {i} is {_show(s)}, only whitespace; a state needs a visible "
                    "name — rename it")
            if s != s.strip():
                end = "starts" if s[0].isspace() else "ends"
                raise InvalidStateError(
                    f"state name {i} is {_show(s)}, which {end} with whitespace; a table "
                    f"could not tell it from {_show(s.strip())} — remove the spaces")
            if s in seen:
                raise InvalidStateError(f"state name {_show(s)} appears twice")
            seen.add(s)
        return states

    @staticmethod
    def _check_transitions(transitions, states: tuple, alphabet: tuple,
                           index: dict) -> np.ndarray:
        n_states, n_symbols = len(states), len(alphabet)
        _check_table_size(n_states, n_symbols)
        if isinstance(transitions, np.ndarray) and transitions.dtype.kind in "iu" \
                and transitions.shape == (n_states, n_symbols):
            out = (transitions < 0) | (transitions >= n_states)
            if out.any():
                s, x = (int(i) for i in np.argwhere(out)[0])
                raise InvalidTransitionError(
                    f"transition from state {_show(states[s])} on {_show(alphabet[x])} goes to "
                    f"{int(transitions[s, x])}, but the machine has {n_states} states")
            return np.array(transitions, dtype=np.int64)                    # [S, X], a copy
        if isinstance(transitions, np.ndarray):
            transitions = _table_rows(transitions, n_symbols)
        table = np.empty((n_states, n_symbols), dtype=np.int64)  # [S, X]
        if isinstance(transitions, dict):
            symbol_index = {a: x for x, a in enumerate(alphabet)}
            for key in transitions:
                if str(key) not in index:
                    raise InvalidTransitionError(
                        f"transitions has an entry for {_show(key)}, which is not a state; "
                        f"states are {_listing(states)}")
            for s, name in enumerate(states):
                row = transitions.get(name)
                if not isinstance(row, dict):
                    raise InvalidTransitionError(
                        f"transitions from state {_show(name)} are missing "
                        f"(need one per symbol {_listing(alphabet)})")
                for symbol in row:
                    if symbol not in symbol_index:
                        raise InvalidTransitionError(
                            f"transition from state {_show(name)} on {_show(symbol)}: "
                            f"{_show(symbol)} is not in the alphabet {_listing(alphabet)}")
                if len(row) != n_symbols:
                    missing = next(a for a in alphabet if a not in row)
                    raise InvalidTransitionError(
                        f"transition from state {_show(name)} on {_show(missing)} is missing")
                for x, symbol in enumerate(alphabet):
                    table[s, x] = Machine._target(row[symbol], states, name, symbol, index)
            return table
        rows = transitions
        if len(rows) != n_states:
            raise InvalidTransitionError(
                f"transitions has {len(rows)} rows, but the machine has {n_states} states")
        for s, row in enumerate(rows):
            if isinstance(row, (str, dict)) or _length(row) is None:
                raise InvalidTransitionError(
                    f"transitions from state {_show(states[s])} must be a list of one target "
                    f"per symbol, got {_show(row)}")
            if len(row) != n_symbols:
                raise InvalidTransitionError(
                    f"transitions from state {_show(states[s])} have {len(row)} entries, but "
                    f"the alphabet has {n_symbols} symbols {_listing(alphabet)}")
            for x, target in enumerate(row):
                table[s, x] = Machine._target(target, states, states[s], alphabet[x], index)
        return table

    @staticmethod
    def _target(target, states: tuple, source: str, symbol: str, index: dict) -> int:
        where = f"transition from state {_show(source)} on {_show(symbol)}"
        if isinstance(target, str):
            if target in index:
                return index[target]
            raise InvalidTransitionError(f"{where} goes to {_show(target)}, which is not a state")
        if isinstance(target, (float, np.floating)) and float(target).is_integer():
            target = int(target)
        if not isinstance(target, (int, np.integer)) or isinstance(target, (bool, np.bool_)):
            raise InvalidTransitionError(
                f"{where} goes to {_show(target)}; expected a state index or name")
        if not 0 <= target < len(states):
            raise InvalidTransitionError(
                f"{where} goes to {_show(int(target))}, but the machine has {len(states)} states")
        return int(target)

    @staticmethod
    def _check_outputs(outputs, states: tuple, index: dict) -> np.ndarray:
        n_states = len(states)
        if isinstance(outputs, np.ndarray) and outputs.dtype.kind in "iuf" \
                and outputs.shape == (n_states,):
            out = np.array(outputs, dtype=np.float64)                        # [S], a copy
            bad = np.flatnonzero(~np.isfinite(out))
            if bad.size:
                raise InvalidOutputError(
                    f"output of state {_show(states[bad[0]])} is {float(out[bad[0]])!r}; it must "
                    "be a finite number")
            return out
        if isinstance(outputs, dict):
            for key in outputs:
                if str(key) not in index:
                    raise InvalidOutputError(
                        f"outputs has a value for {_show(key)}, which is not a state")
            if len(outputs) != n_states:
                missing = next(s for s in states if s not in outputs)
                raise InvalidOutputError(f"output of state {_show(missing)} is missing")
            values = [outputs[s] for s in states]
        else:
            size = _length(outputs)
            if size is not None and size != n_states:
                raise InvalidOutputError(
                    f"outputs has {size} values, but the machine has {n_states} states")
            if isinstance(outputs, (str, bytes)) or size is None:
                raise InvalidOutputError(f"outputs must be one number per state or a "
                                         f"{{state: number}} dict, got {_show(outputs)}")
            values = _bounded(outputs, n_states)
            if len(values) != n_states:
                raise InvalidOutputError(
                    f"outputs has {'more than ' * (len(values) > n_states)}"
                    f"{min(len(values), n_states)} values, but the machine has {n_states} states")
        out = np.empty(n_states, dtype=np.float64)  # [S]
        for s, v in enumerate(values):
            if isinstance(v, (str, bytes)):
                raise InvalidOutputError(
                    f"output of state {_show(states[s])} is {_show(v)}, not a number")
            if isinstance(v, (bool, np.bool_)):
                raise InvalidOutputError(
                    f"output of state {_show(states[s])} is {_show(v)}; it must be a finite "
                    "number")
            if isinstance(v, (complex, np.complexfloating)):
                raise InvalidOutputError(
                    f"output of state {_show(states[s])} is {_show(v)}, a complex number; "
                    "outputs must be real numbers")
            try:
                number = float(v)
            except (TypeError, ValueError):
                raise InvalidOutputError(
                    f"output of state {_show(states[s])} is {_show(v)}, not a number") from None
            except OverflowError:
                raise InvalidOutputError(
                    f"output of state {_show(states[s])} is {_show(v)}, too large for a "
                    "floating-point number; outputs must be finite numbers") from None
            if not math.isfinite(number):
                raise InvalidOutputError(
                    f"output of state {_show(states[s])} is {_show(v)}; it must be a finite "
                    "number")
            out[s] = number
        return out

    # ------------------------------------------------------------------ basics
    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_symbols(self) -> int:
        return len(self.alphabet)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Machine) and self.alphabet == other.alphabet
                and self.states == other.states and self.start == other.start
                and np.array_equal(self.transitions, other.transitions)
                and np.array_equal(self.outputs, other.outputs))

    def __hash__(self) -> int:
        return hash((self.alphabet, self.states, self.start, self.transitions.tobytes(),
                     self.outputs.tobytes()))

    def __repr__(self) -> str:
        return (f"Machine({self.n_states} states, alphabet {list(self.alphabet)}, "
                f"start {self.states[self.start]!r})")

    def encode(self, inputs) -> np.ndarray:
        """Symbol codes [T] for ``inputs``: a string, a sequence of symbols, or int codes.

        A string is read one character per symbol when every symbol is one
        character; otherwise it is split on whitespace.
        """
        if isinstance(inputs, str):
            single = all(len(a) == 1 for a in self.alphabet)
            inputs = [c for c in inputs if not c.isspace()] if single else inputs.split()
        if isinstance(inputs, np.ndarray) and np.issubdtype(inputs.dtype, np.integer):
            codes = inputs.astype(np.int64).reshape(-1)
        else:
            codes = np.empty(len(inputs), dtype=np.int64)
            for t, symbol in enumerate(inputs):
                if isinstance(symbol, (int, np.integer)) and not isinstance(symbol, bool):
                    codes[t] = symbol
                elif symbol in self._symbol_index:
                    codes[t] = self._symbol_index[symbol]
                else:
                    raise InvalidSymbolError(
                        f"input symbol {t} is {symbol!r}, which is not in the alphabet "
                        f"{list(self.alphabet)}")
        bad = np.flatnonzero((codes < 0) | (codes >= self.n_symbols))
        if bad.size:
            raise InvalidSymbolError(
                f"input symbol {int(bad[0])} has code {int(codes[bad[0]])}, but the alphabet has "
                f"{self.n_symbols} symbols (codes 0..{self.n_symbols - 1})")
        return codes

    # ------------------------------------------------------------------ running
    def steps(self, inputs, state=None) -> Iterator[Step]:
        """Step through ``inputs`` one symbol at a time, yielding :class:`Step` records."""
        current = self.start if state is None else _state_index(state, self.states, "state")
        for t, x in enumerate(self.encode(inputs)):
            after = int(self.transitions[current, x])
            yield Step(t, self.alphabet[x], current, after, float(self.outputs[after]))
            current = after

    def run(self, inputs, state=None) -> np.ndarray:
        """The state after each symbol: int array [T] (same as collecting :meth:`steps`)."""
        current = self.start if state is None else _state_index(state, self.states, "state")
        codes = self.encode(inputs)
        trace = np.empty(codes.shape[0], dtype=np.int64)  # [T]
        for t, x in enumerate(codes):
            current = self.transitions[current, x]
            trace[t] = current
        return trace

    def output_trace(self, inputs, state=None) -> np.ndarray:
        """The output after each symbol: float array [T]."""
        return self.outputs[self.run(inputs, state)]

    # ------------------------------------------------------------------ edits
    def with_transition(self, state, symbol, target) -> Machine:
        """A copy with one transition changed."""
        s = _state_index(state, self.states, "state")
        if symbol not in self._symbol_index:
            raise InvalidSymbolError(f"{symbol!r} is not in the alphabet {list(self.alphabet)}")
        table = self.transitions.copy()
        table[s, self._symbol_index[symbol]] = _state_index(target, self.states, "target")
        return Machine(self.alphabet, table, self.outputs, self.start, self.states)

    def with_output(self, state, value) -> Machine:
        """A copy with one state's output changed."""
        out = self.outputs.copy().tolist()
        out[_state_index(state, self.states, "state")] = value
        return Machine(self.alphabet, self.transitions, out, self.start, self.states)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        """A JSON-ready dict: alphabet, states, transitions by name, outputs, start, format,
        version."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "alphabet": list(self.alphabet),
            "states": list(self.states),
            "transitions": {s: {a: self.states[self.transitions[i, x]]
                                for x, a in enumerate(self.alphabet)}
                            for i, s in enumerate(self.states)},
            "outputs": {s: float(self.outputs[i]) for i, s in enumerate(self.states)},
            "start": self.states[self.start],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Machine:
        """Inverse of :meth:`to_dict`; raises MachineFormatError / InvalidMachineError on bad
        data."""
        if not isinstance(data, dict):
            raise MachineFormatError(f"a machine must be a JSON object, got {type(data).__name__}")
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise MachineFormatError(f"format is {fmt!r}; expected {FORMAT!r}")
        version = data.get("version", VERSION)
        if version != VERSION:
            raise MachineFormatError(
                f"version {version!r} is not supported (this program reads version {VERSION})")
        missing = [k for k in ("alphabet", "transitions", "outputs", "start") if k not in data]
        if missing:
            raise MachineFormatError(f"the machine is missing the field {missing[0]!r}")
        return cls(alphabet=data["alphabet"], transitions=data["transitions"],
                   outputs=data["outputs"], start=data["start"], states=data.get("states"))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Machine:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise MachineFormatError(
                f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
        return cls.from_dict(data)

    # ------------------------------------------------------------------ drawing
    def to_dot(self, state=None, edge=None, name: str = "machine") -> str:
        """Graphviz DOT text of the state diagram.

        Parameters
        ----------
        state : state name or index to fill (the current state), or None.
        edge : ``(source state, symbol)`` of the last transition taken, drawn bold, or None.

        A machine of at most ``DOT_CHAIN_STATES`` states is laid out left to right
        (Graphviz ``dot``); a larger one with ``neato`` (a spring layout, nodes kept
        apart; edges curved when there are at most ``CURVED_EDGES`` of them, so that
        two edges between the same states, one each way, stay apart), whose drawing
        is about as tall as wide, so its labels stay readable when the picture is
        fitted into a page's box.  States are circles, or ellipses when a label is
        long; an edge for many symbols reads "any" or "not a".  The layout depends
        only on the machine, so the lit state and
        edge move while the picture stays put.
        """
        lit = None if state is None else _state_index(state, self.states, "state")
        bold = None
        if edge is not None:
            source = _state_index(edge[0], self.states, "edge source")
            if edge[1] not in self._symbol_index:
                raise InvalidSymbolError(f"edge symbol {edge[1]!r} is not in the alphabet")
            bold = (source, int(self.transitions[source, self._symbol_index[edge[1]]]), edge[1])
        start_node = "__start"
        while start_node in self.states:      # the start arrow's invisible node needs a free name
            start_node += "_"
        edges = self._edge_labels()
        if self.n_states <= DOT_CHAIN_STATES:
            layout = "  rankdir=LR;"
        else:
            splines = "curved" if len(edges) <= CURVED_EDGES else "true"
            layout = f'  layout=neato; overlap=false; sep="+4"; splines={splines};'
        widest = max(len(text) for i, s in enumerate(self.states)
                     for text in (s, _format_output(self.outputs[i])))
        shape = "circle" if widest <= ROUND_LABEL_CHARS else "ellipse"
        lines = [f'digraph "{_dot_escape(name)}" {{', layout,
                 f'  node [shape={shape}, fontname="Helvetica", fontsize=16, margin=0.02, '
                 'style=filled, fillcolor="white"];',
                 '  edge [fontname="Helvetica", fontsize=14, arrowsize=0.8];',
                 f'  "{start_node}" [shape=point, width=0.08, label=""];',
                 f'  "{start_node}" -> "{_dot_escape(self.states[self.start])}";']
        for i, s in enumerate(self.states):
            attrs = [f'label="{_dot_escape(s)}\\n{_format_output(self.outputs[i])}"']
            if i == lit:
                attrs += ['fillcolor="#f4a261"', "penwidth=3"]
            lines.append(f'  "{_dot_escape(s)}" [{", ".join(attrs)}];')
        for (source, target), symbols in edges.items():
            attrs = [f'label="{_dot_escape(self._edge_text(symbols))}"']
            if bold is not None and bold[:2] == (source, target) and bold[2] in symbols:
                attrs += ["penwidth=3.5", 'color="#e76f51"', 'fontcolor="#e76f51"']
            lines.append(f'  "{_dot_escape(self.states[source])}" -> '
                         f'"{_dot_escape(self.states[target])}" [{", ".join(attrs)}];')
        lines.append("}")
        return "\n".join(lines)

    def _edge_text(self, symbols: list) -> str:
        """An edge's label: its symbols, ``"a,b"``; more than ``EDGE_SYMBOLS`` of them read
        ``"any"`` (every symbol) or ``"not a,b"`` (all but a few), so a busy machine's
        labels stay short."""
        if len(symbols) <= EDGE_SYMBOLS:
            return ",".join(symbols)
        if len(symbols) == self.n_symbols:
            return "any"
        others = [a for a in self.alphabet if a not in symbols]
        if len(others) < len(symbols) - 1:
            return "not " + ",".join(others)
        return ",".join(symbols)

    def _edge_labels(self) -> dict:
        """``{(source, target): [symbols]}``: parallel transitions merged into one labelled edge."""
        edges: dict = {}
        for s in range(self.n_states):
            for x, a in enumerate(self.alphabet):
                edges.setdefault((s, int(self.transitions[s, x])), []).append(a)
        return edges

    def to_networkx(self) -> nx.MultiDiGraph:
        """The diagram as a MultiDiGraph: nodes are state indices (attrs ``name``, ``output``,
        ``start``), one edge per transition (attr ``symbol``)."""
        graph = nx.MultiDiGraph()
        for i, name in enumerate(self.states):
            graph.add_node(i, name=name, output=float(self.outputs[i]), start=(i == self.start))
        for s in range(self.n_states):
            for x, a in enumerate(self.alphabet):
                graph.add_edge(s, int(self.transitions[s, x]), symbol=a)
        return graph

    # ------------------------------------------------------------------ analysis
    def reachable_states(self) -> list[int]:
        """Indices of the states reachable from the start state, sorted."""
        seen = {self.start}
        queue = deque([self.start])
        while queue:
            s = queue.popleft()
            for target in self.transitions[s]:
                if int(target) not in seen:
                    seen.add(int(target))
                    queue.append(int(target))
        return sorted(seen)

    def strongly_connected_components(self) -> list[list[int]]:
        """Strongly connected parts (lists of state indices), largest first."""
        parts = [sorted(c) for c in nx.strongly_connected_components(self.to_networkx())]
        return sorted(parts, key=lambda c: (-len(c), c[0]))

    def minimize(self) -> Machine:
        """The minimal equivalent Moore machine: unreachable states dropped, states with
        the same output on every future input merged (Moore's partition refinement).

        The result produces the same output sequence as this machine on every input.
        """
        reachable = self.reachable_states()
        position = {s: i for i, s in enumerate(reachable)}
        table = np.array([[position[int(t)] for t in self.transitions[s]] for s in reachable],
                         dtype=np.int64)                                   # [R, X]
        outputs = self.outputs[reachable]
        _, block = np.unique(outputs, return_inverse=True)                  # [R] block id
        while True:
            signature = np.concatenate([block[:, None], block[table]], axis=1)
            _, refined = np.unique(signature, axis=0, return_inverse=True)
            refined = refined.reshape(-1)
            if refined.max() == block.max():
                break
            block = refined
        # renumber blocks by their first member so state order is kept
        _, first_member = np.unique(block, return_index=True)
        representative = np.sort(first_member)                             # [B]
        renumber = np.empty(block.max() + 1, dtype=np.int64)
        renumber[block[representative]] = np.arange(representative.size)
        block = renumber[block]
        new_table = [[int(block[table[r, x]]) for x in range(self.n_symbols)]
                     for r in representative]
        names = [self.states[reachable[r]] for r in representative]
        return Machine(self.alphabet, new_table, outputs[representative].tolist(),
                       start=int(block[position[self.start]]), states=names)

    def synchronizing_word(self, states=None, max_states: int = HORIZON_MAX_STATES):
        """A shortest word that sends every state in ``states`` to one single state.

        Breadth-first search over sets of states.  ``states`` defaults to the
        reachable states.  Returns a list of symbols, or None when no word does
        (the machine never forgets, e.g. a permutation machine).

        Raises
        ------
        CapacityError
            When more than ``max_states`` states would be searched, or the search
            visits more than ``HORIZON_MAX_SETS`` sets of states without an answer.
        """
        members = self.reachable_states() if states is None else [
            _state_index(s, self.states, "state") for s in states]
        if len(members) > max_states:
            raise CapacityError(
                f"the memory horizon search is capped at {max_states} states (it looks at up to "
                f"2^{max_states} sets of states); this machine has {len(members)} reachable "
                "states — minimise it first or analyse a smaller machine")
        initial = sum(1 << s for s in members)
        images = _image_tables(self.transitions)       # images[x][k][byte]: image of 8 states
        parent: dict[int, tuple[int, int] | None] = {initial: None}
        queue = deque([initial])
        while queue:
            current = queue.popleft()
            if current & (current - 1) == 0:          # one state left
                word = []
                link = parent[current]
                while link is not None:
                    current, x = link
                    word.append(self.alphabet[x])
                    link = parent[current]
                return word[::-1]
            for x in range(self.n_symbols):
                image = 0
                for k, table in enumerate(images[x]):
                    image |= table[(current >> (8 * k)) & 0xFF]
                if image not in parent:
                    parent[image] = (current, x)
                    queue.append(image)
            if len(parent) > HORIZON_MAX_SETS:
                raise CapacityError(
                    f"the memory horizon search stopped after {HORIZON_MAX_SETS:,} sets of states "
                    "without finding a synchronising word; this machine forgets slowly, if at all")
        return None

    def memory_horizon(self, max_states: int = HORIZON_MAX_STATES) -> int | None:
        """Length of a shortest synchronising word over the reachable states, or None if none
        exists.

        After reading such a word the machine is in one known state whatever came
        before: the length is how long a suitable input takes to wipe its memory.
        """
        word = self.synchronizing_word(max_states=max_states)
        return None if word is None else len(word)

    def memory_window(self, max_sets: int = HORIZON_MAX_SETS) -> int | None:
        """The fewest last symbols that always decide the machine's state, whatever it read
        before: it remembers at most that many symbols.  None when no number does (some input
        keeps information for ever: a count, a parity, a latch).

        Follows the set of states the machine can be in, starting from all its reachable
        states, through every input: the window is one more than the longest input that
        leaves more than one state possible.  An input that leads from such a set back to
        itself can be repeated for ever, so then there is no window.

        Raises
        ------
        CapacityError
            When more than ``max_sets`` different sets of states would have to be looked at.
        """
        table = self.transitions                                                  # [S, X]
        start = frozenset(self.reachable_states())
        if len(start) == 1:
            return 0
        successors: dict[frozenset, list[frozenset]] = {}       # undecided set -> undecided images
        waiting = [start]
        while waiting:
            states = waiting.pop()
            if states in successors:
                continue
            rows = np.fromiter(states, dtype=np.int64)
            images = {frozenset(table[rows, x].tolist()) for x in range(self.n_symbols)}
            successors[states] = [image for image in images if len(image) > 1]
            if len(successors) > max_sets:
                raise CapacityError(
                    f"the memory window search stopped after {max_sets:,} sets of states; "
                    "this machine is too large to analyse here")
            waiting += [image for image in successors[states] if image not in successors]
        incoming = dict.fromkeys(successors, 0)
        for undecided in successors.values():
            for image in undecided:
                incoming[image] += 1
        ready = [states for states, count in incoming.items() if count == 0]
        longest = dict.fromkeys(successors, 0)         # longest input from start to each set
        ordered = 0
        while ready:
            states = ready.pop()
            ordered += 1
            for image in successors[states]:
                longest[image] = max(longest[image], longest[states] + 1)
                incoming[image] -= 1
                if incoming[image] == 0:
                    ready.append(image)
        if ordered < len(successors):                  # a cycle: some input never decides
            return None
        return max(longest.values()) + 1

    def analysis(self) -> dict:
        """Everything the analysis panel (and ``fsm-explorer machine show``) says, in one dict.

        ``memory_horizon`` is the length of a shortest synchronising word (``reset_word``,
        a list of symbols, leading to ``reset_state``; None when none exists or the search
        gave up: ``memory_horizon_note`` says which); ``memory_window`` is
        :meth:`memory_window` (None with ``memory_window_note`` when there is none or the
        search gave up).  They differ: *ends in ab*'s state depends on its last two
        symbols, yet reading ``a`` alone resets it.
        """
        try:
            word = self.synchronizing_word()
            horizon_note = "none: no input word makes this machine forget" if word is None \
                else ""
        except CapacityError as err:
            word, horizon_note = None, str(err)
        reset_state = None
        if word is not None:
            first = self.reachable_states()[0]
            reset_state = self.states[int(self.run(word, first)[-1]) if word else first]
        try:
            window, window_note = self.memory_window(), ""
        except CapacityError as err:
            window, window_note = None, str(err)
        return {
            "states": self.n_states,
            "reachable": len(self.reachable_states()),
            "minimal_states": self.minimize().n_states,
            "components": self.strongly_connected_components(),
            "memory_horizon": None if word is None else len(word),
            "memory_horizon_note": horizon_note,
            "reset_word": None if word is None else list(word),
            "reset_state": reset_state,
            "memory_window": window,
            "memory_window_note": window_note,
        }


def _table_rows(transitions, n_symbols: int) -> list:
    """The rows of a [S][X] transition table as a list (the rows themselves are not copied),
    or InvalidTransitionError naming the value.  An iterator is read no further than the cap
    allows (CapacityError)."""
    try:
        rows = _bounded(transitions, MAX_TABLE_ENTRIES // n_symbols)
    except TypeError:
        raise InvalidTransitionError(
            "transitions must be a [states][symbols] table or a {state: {symbol: state}} "
            f"dict, got {_show(transitions)}") from None
    _check_table_size(len(rows), n_symbols)
    return rows


def _bounded(items, cap: int) -> list:
    """The items of ``items`` as a list, reading at most ``cap + 1`` of them (an iterator may
    be endless); TypeError when it is not iterable."""
    size = _length(items)
    return list(items if size is not None and size <= cap + 1
                else itertools.islice(items, cap + 1))


def _length(value) -> int | None:
    """``len(value)``, or None for something without a length (a generator, a number)."""
    try:
        return len(value)
    except TypeError:
        return None


def _check_table_size(n_states: int, n_symbols: int) -> None:
    """Refuse a transition table over ``MAX_TABLE_ENTRIES`` before it is allocated."""
    if n_states * n_symbols > MAX_TABLE_ENTRIES:
        raise CapacityError(
            f"a machine of {n_states:,} state{'s' * (n_states != 1)} and {n_symbols:,} "
            f"symbol{'s' * (n_symbols != 1)} has a transition table "
            f"of {n_states * n_symbols:,} entries, over the cap of {MAX_TABLE_ENTRIES:,} "
            "(MAX_TABLE_ENTRIES); use fewer states or fewer symbols")


def _show(value, limit: int = 60) -> str:
    """``repr(value)`` for a message: shortened, and safe for integers of any size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * math.log10(2)):,} digits"
    try:
        text = repr(value)
    except Exception:                 # noqa: BLE001 - any repr failure: describe the type
        return f"a value of type {type(value).__name__}"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _listing(items, limit: int = 10) -> str:
    """A list of names for a message: at most ``limit`` of them, each shortened."""
    shown = [_show(item, 30) for item in items[:limit]]
    return "[" + ", ".join(shown) + (", ...]" if len(items) > limit else "]")


def _describe_char(match: re.Match) -> str:
    """E.g. ``"the control character U+0001 at position 2"`` for a bad character in a name."""
    code = ord(match.group())
    where = f"U+{code:04X} at position {match.start() + 1}"
    if 0xD800 <= code <= 0xDFFF:
        return (f"the lone surrogate {where} (half of a UTF-16 character pair, left over "
                "from broken text)")
    if code in (0xFFFE, 0xFFFF):
        return f"the non-character {where}"
    return f"the control character {where}"


def _image_tables(transitions: np.ndarray) -> list[list[list[int]]]:
    """For each symbol x and each byte k of a state-set bit mask, the image (as a bit mask)
    of every set of the 8 states ``8k .. 8k+7``: a set's image is the OR over its bytes."""
    n_states, n_symbols = transitions.shape
    tables = []
    for x in range(n_symbols):
        per_byte = []
        for k in range((n_states + 7) // 8):
            targets = [1 << int(t) for t in transitions[8 * k: 8 * k + 8, x]]
            table = [0] * 256
            for byte in range(1, 256):
                lowest = (byte & -byte).bit_length() - 1   # the byte's lowest state
                rest = table[byte & (byte - 1)]            # the other states, already done
                table[byte] = rest | targets[lowest] if lowest < len(targets) else rest
            per_byte.append(table)
        tables.append(per_byte)
    return tables


def _dot_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def _format_output(value: float) -> str:
    return f"{value:.3g}"
