"""One Moore machine: validated on construction, immutable, runnable, drawable, analysable.

A machine reads symbols of its alphabet; after reading ``x_t`` it moves
``s_t = transitions[s_{t-1}, x_t]`` and emits ``o_t = outputs[s_t]``.  Edits make
a new machine (:meth:`Machine.with_transition`, :meth:`Machine.with_output`).
The step-through generator :meth:`Machine.steps` is the single source for both
running and teaching; :meth:`Machine.run` is its fast array form.
"""
from __future__ import annotations

import json
import math
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
IMMUTABLE = "Machine is immutable; use with_transition / with_output to make a new one"


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
            f"{field} is {value!r}, which is not a state; states are {list(names)}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= value < len(names):
            return int(value)
        raise InvalidStateError(
            f"{field} is {value}, but the machine has {len(names)} states (0..{len(names) - 1})")
    raise InvalidStateError(f"{field} must be a state name or index, got {value!r}")


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

    Raises
    ------
    InvalidAlphabetError, InvalidStateError, InvalidTransitionError, InvalidOutputError
        With a message naming the field, the state, the symbol and the bad value.
    """

    __slots__ = ("alphabet", "states", "transitions", "outputs", "start", "_symbol_index")

    def __init__(self, alphabet, transitions, outputs, start=0, states=None):
        alphabet = self._check_alphabet(alphabet)
        if not isinstance(transitions, dict):
            transitions = _table_rows(transitions)
        if states is None:
            if isinstance(transitions, dict):
                states = [str(s) for s in transitions]
            else:
                states = [f"q{i}" for i in range(len(transitions))]
        states = self._check_states(states)
        table = self._check_transitions(transitions, states, alphabet)
        out = self._check_outputs(outputs, states)
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
        try:
            alphabet = tuple(alphabet)
        except TypeError:
            raise InvalidAlphabetError(
                f"alphabet must be a sequence of symbols, got {alphabet!r}") from None
        if not alphabet:
            raise InvalidAlphabetError(
                "alphabet is empty; a machine needs at least one input symbol")
        for i, a in enumerate(alphabet):
            if not isinstance(a, str) or not a:
                raise InvalidAlphabetError(
                    f"alphabet symbol {i} is {a!r}; symbols must be non-empty strings")
        seen = set()
        for a in alphabet:
            if a in seen:
                raise InvalidAlphabetError(f"alphabet symbol {a!r} appears twice")
            seen.add(a)
        return alphabet

    @staticmethod
    def _check_states(states) -> tuple:
        try:
            states = tuple(states)
        except TypeError:
            raise InvalidStateError(
                f"states must be a sequence of state names, got {states!r}") from None
        if not states:
            raise InvalidStateError("the machine has no states; it needs at least one")
        for i, s in enumerate(states):
            if not isinstance(s, str) or not s:
                raise InvalidStateError(
                    f"state name {i} is {s!r}; state names must be non-empty strings")
        if len(set(states)) != len(states):
            dup = next(s for s in states if states.count(s) > 1)
            raise InvalidStateError(f"state name {dup!r} appears twice")
        return states

    @staticmethod
    def _check_transitions(transitions, states: tuple, alphabet: tuple) -> np.ndarray:
        n_states, n_symbols = len(states), len(alphabet)
        table = np.empty((n_states, n_symbols), dtype=np.int64)  # [S, X]
        if isinstance(transitions, dict):
            for key in transitions:
                if str(key) not in states:
                    raise InvalidTransitionError(
                        f"transitions has an entry for {key!r}, which is not a state; "
                        f"states are {list(states)}")
            for s, name in enumerate(states):
                row = transitions.get(name)
                if not isinstance(row, dict):
                    raise InvalidTransitionError(
                        f"transitions from state {name!r} are missing "
                        f"(need one per symbol {list(alphabet)})")
                for symbol in row:
                    if symbol not in alphabet:
                        raise InvalidTransitionError(
                            f"transition from state {name!r} on {symbol!r}: {symbol!r} is not "
                            f"in the alphabet {list(alphabet)}")
                for x, symbol in enumerate(alphabet):
                    if symbol not in row:
                        raise InvalidTransitionError(
                            f"transition from state {name!r} on {symbol!r} is missing")
                    table[s, x] = Machine._target(row[symbol], states, name, symbol)
            return table
        rows = list(transitions)
        if len(rows) != n_states:
            raise InvalidTransitionError(
                f"transitions has {len(rows)} rows, but the machine has {n_states} states")
        for s, row in enumerate(rows):
            row = list(row)
            if len(row) != n_symbols:
                raise InvalidTransitionError(
                    f"transitions from state {states[s]!r} have {len(row)} entries, but the "
                    f"alphabet has {n_symbols} symbols {list(alphabet)}")
            for x, target in enumerate(row):
                table[s, x] = Machine._target(target, states, states[s], alphabet[x])
        return table

    @staticmethod
    def _target(target, states: tuple, source: str, symbol: str) -> int:
        where = f"transition from state {source!r} on {symbol!r}"
        if isinstance(target, str):
            if target in states:
                return states.index(target)
            raise InvalidTransitionError(f"{where} goes to {target!r}, which is not a state")
        if isinstance(target, float) and target.is_integer():
            target = int(target)
        if not isinstance(target, (int, np.integer)) or isinstance(target, bool):
            raise InvalidTransitionError(
                f"{where} goes to {target!r}; expected a state index or name")
        if not 0 <= target < len(states):
            raise InvalidTransitionError(
                f"{where} goes to {int(target)}, but the machine has {len(states)} states")
        return int(target)

    @staticmethod
    def _check_outputs(outputs, states: tuple) -> np.ndarray:
        if isinstance(outputs, dict):
            for key in outputs:
                if str(key) not in states:
                    raise InvalidOutputError(
                        f"outputs has a value for {key!r}, which is not a state")
            missing = [s for s in states if s not in outputs]
            if missing:
                raise InvalidOutputError(f"output of state {missing[0]!r} is missing")
            values = [outputs[s] for s in states]
        else:
            try:
                values = list(outputs)
            except TypeError:
                raise InvalidOutputError(f"outputs must be one number per state or a "
                                         f"{{state: number}} dict, got {outputs!r}") from None
            if len(values) != len(states):
                raise InvalidOutputError(
                    f"outputs has {len(values)} values, but the machine has {len(states)} states")
        out = np.empty(len(states), dtype=np.float64)  # [S]
        for s, v in enumerate(values):
            try:
                number = float(v)
            except (TypeError, ValueError):
                raise InvalidOutputError(
                    f"output of state {states[s]!r} is {v!r}, not a number") from None
            if isinstance(v, bool) or not math.isfinite(number):
                raise InvalidOutputError(
                    f"output of state {states[s]!r} is {v!r}; it must be a finite number")
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
        lines = [f'digraph "{_dot_escape(name)}" {{', "  rankdir=LR;",
                 '  node [shape=circle, fontname="Helvetica", style=filled, fillcolor="white"];',
                 '  edge [fontname="Helvetica", fontsize=11];',
                 f'  "{start_node}" [shape=point, width=0.08, label=""];',
                 f'  "{start_node}" -> "{_dot_escape(self.states[self.start])}";']
        for i, s in enumerate(self.states):
            attrs = [f'label="{_dot_escape(s)}\\n{_format_output(self.outputs[i])}"']
            if i == lit:
                attrs += ['fillcolor="#f4a261"', "penwidth=3"]
            lines.append(f'  "{_dot_escape(s)}" [{", ".join(attrs)}];')
        for (source, target), symbols in self._edge_labels().items():
            attrs = [f'label="{_dot_escape(",".join(symbols))}"']
            if bold is not None and bold[:2] == (source, target) and bold[2] in symbols:
                attrs += ["penwidth=3.5", 'color="#e76f51"', 'fontcolor="#e76f51"']
            lines.append(f'  "{_dot_escape(self.states[source])}" -> '
                         f'"{_dot_escape(self.states[target])}" [{", ".join(attrs)}];')
        lines.append("}")
        return "\n".join(lines)

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
        for i, s in enumerate(self.states):
            graph.add_node(i, name=s, output=float(self.outputs[i]), start=(i == self.start))
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
                while parent[current] is not None:
                    current, x = parent[current]
                    word.append(self.alphabet[x])
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

    def analysis(self) -> dict:
        """Everything the analysis panel shows, in one dict."""
        try:
            horizon = self.memory_horizon()
            horizon_note = ("none: no input word makes this machine forget" if horizon is None
                            else "")
        except CapacityError as err:
            horizon, horizon_note = None, str(err)
        return {
            "states": self.n_states,
            "reachable": len(self.reachable_states()),
            "minimal_states": self.minimize().n_states,
            "components": self.strongly_connected_components(),
            "memory_horizon": horizon,
            "memory_horizon_note": horizon_note,
        }


def _table_rows(transitions) -> list[list]:
    """A [S][X] transition table as a list of rows, or InvalidTransitionError naming the value."""
    try:
        return [list(row) for row in transitions]
    except TypeError:
        raise InvalidTransitionError(
            "transitions must be a [states][symbols] table or a {state: {symbol: state}} "
            f"dict, got {transitions!r}") from None


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
