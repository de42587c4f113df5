"""Bring your own sequence: an uploaded CSV or text file turned into a task.

Two formats, chosen by the file name:

* **CSV** (``.csv``): one step per row.  The first column is the input symbol
  (any text, e.g. ``a`` or ``up``); an optional second column is the target at
  that step.  A first row reading ``symbol`` or ``input`` (and ``target``) is a
  header and is skipped; blank lines are skipped.  Targets are class names
  (``yes``, ``0``, ``B``: a classification task scored by accuracy) unless one
  of them is a number with a fractional part (``0.25``): then every target must
  be a number and the task is a regression scored by NRMSE.  An empty target
  cell means "not scored at this step".  Without a target column the task is to
  predict the next symbol.
* **Text** (any other name, e.g. ``.txt``): UTF-8 text read one character per
  step, the target being the next character — the library's ``text`` task on
  your text (rare characters beyond ``max_symbols`` share one symbol).

Every problem is reported as a :class:`~fsm_engine.errors.TaskError` naming the
row and column (or the byte) at fault, and sizes are checked against the
caller's caps before anything large is built.

>>> task = load_sequence(b"a,0\\nb,1\\nb,0\\na,1\\n" * 10, "bits.csv")
>>> task.kind, task.alphabet, task.classes
('classification', ('a', 'b'), ('0', '1'))
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace

import numpy as np

from . import tasks
from .errors import TaskError
from .tasks import CLASSIFICATION, REGRESSION, Task

#: the name of a task made from an uploaded sequence
SEQUENCE_TASK = "sequence"
#: header cells (lower case) that mark a first CSV row as column names
SYMBOL_HEADERS = ("symbol", "input")
TARGET_HEADERS = ("target",)
#: default caps (a caller such as the explorer passes its own)
MAX_BYTES = 2_000_000
MAX_STEPS = 200_000
MAX_SYMBOLS = 64


@dataclass(frozen=True)
class Rows:
    """A parsed CSV: the symbol and the target text of each step (targets None: no column)."""

    symbols: list[str]
    targets: list[str] | None
    lines: list[int]          # the file line of each step (1-based), for messages


def load_sequence(data: bytes, filename: str, test_fraction: float = 0.2, *,
                  max_bytes: int = MAX_BYTES, max_steps: int = MAX_STEPS,
                  max_symbols: int = MAX_SYMBOLS) -> Task:
    """The task an uploaded file describes.

    Parameters
    ----------
    data : the file's bytes.
    filename : its name; ``.csv`` files are read as CSV, anything else as text.
    test_fraction : share of the steps, at the end, held out for testing (0: the
        task is evaluated on its training steps).
    max_bytes, max_steps, max_symbols : caps on the file size, the number of steps
        and the number of distinct symbols (and of target classes).

    Returns
    -------
    Task named ``"sequence"`` whose ``params`` record the file name and format
    (a text file keeps the ``text`` task's metric, bits per character).

    Raises
    ------
    TaskError naming the cap, or the row and column (or byte) of a bad value.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise TaskError(f"the held-out share must be in 0 .. 1, got {test_fraction!r}")
    text = tasks.decode_text(data, filename, max_bytes)
    if not filename.lower().endswith(".csv"):
        return _text_task(text, filename, test_fraction, max_steps, max_symbols)
    rows = parse_csv(text, filename, max_steps)
    return sequence_task(rows, filename, test_fraction, max_symbols)


def _text_task(text: str, filename: str, test_fraction: float, max_steps: int,
               max_symbols: int) -> Task:
    if len(text) < tasks.MIN_TEXT_CHARS:
        raise TaskError(f"{filename} has {len(text)} characters; at least "
                        f"{tasks.MIN_TEXT_CHARS} are needed")
    length = max(100, min(len(text), max_steps))      # the text task's T: its whole text if shorter
    task = tasks.make("text", text=text, T=length, max_symbols=max(2, min(max_symbols, 256)),
                      test_fraction=test_fraction)
    return replace(task, name=SEQUENCE_TASK, extras={},
                   params={"file": filename, "format": "text", "test_fraction": test_fraction},
                   description=task.description.replace("your text", f"your text ({filename})"))


def parse_csv(text: str, filename: str = "the file", max_steps: int = MAX_STEPS) -> Rows:
    """The rows of a CSV sequence (see the module docstring).

    Raises
    ------
    TaskError for a row with more than two columns, an empty symbol, no rows, or
    more than ``max_steps`` rows; the message names the row (the file's line).
    """
    symbols: list[str] = []
    targets: list[str] = []
    lines: list[int] = []
    has_target = False
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    for cells in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue                                   # a blank line
        if first and _is_header(cells):
            first = False
            continue
        first = False
        if len(cells) > 2:
            raise TaskError(f"{filename}: row {line} has {len(cells)} columns; each row is a "
                            "symbol (column 1) and, optionally, its target (column 2)")
        if not cells[0]:
            raise TaskError(f"{filename}: row {line}, column 1 (symbol) is empty; every row "
                            "needs an input symbol")
        if len(symbols) >= max_steps:
            raise TaskError(f"{filename} has more than {max_steps:,} rows, over the cap of "
                            f"{max_steps:,} steps; upload a shorter sequence")
        symbols.append(cells[0])
        targets.append(cells[1] if len(cells) == 2 else "")
        has_target = has_target or len(cells) == 2
        lines.append(line)
    if len(symbols) < 2:
        raise TaskError(f"{filename} has {len(symbols)} row{'s' if len(symbols) != 1 else ''} "
                        "of symbols; a sequence needs at least 2")
    return Rows(symbols, targets if has_target else None, lines)


def _is_header(cells: list[str]) -> bool:
    names = [cell.lower() for cell in cells]
    return names[0] in SYMBOL_HEADERS and (len(names) == 1 or names[1] in TARGET_HEADERS)


def sequence_task(rows: Rows, filename: str, test_fraction: float = 0.2,
                  max_symbols: int = MAX_SYMBOLS) -> Task:
    """The task of parsed CSV ``rows``: their targets, or next-symbol prediction.

    Raises
    ------
    TaskError naming the row and column of a target that is not a number in a
    regression, the cap on symbols or classes, or a split that leaves nothing to
    train on.
    """
    alphabet = _distinct(rows.symbols, rows.lines, max_symbols, "different symbols", 1)
    code = {symbol: i for i, symbol in enumerate(alphabet)}
    inputs = np.array([code[s] for s in rows.symbols], dtype=np.int64)          # [T]
    n_steps = inputs.shape[0]
    if rows.targets is None:
        targets = np.append(inputs[1:], 0)                                     # [T]
        mask = np.arange(n_steps) < n_steps - 1
        kind, classes = CLASSIFICATION, alphabet
        what = "the next symbol"
    else:
        mask = np.array([cell != "" for cell in rows.targets])                 # [T]
        if not mask.any():
            raise TaskError(f"{filename}: every target cell (column 2) is empty; fill in the "
                            "targets, or leave the column out to predict the next symbol")
        kind, classes, targets = _targets(rows, rows.targets, filename, mask, max_symbols)
        what = "the target in column 2"
    n_test = math.floor(n_steps * test_fraction + 0.5)
    holdout = np.zeros(n_steps, dtype=bool)
    holdout[n_steps - n_test:] = n_test > 0
    train = mask & ~holdout
    if not train.any():
        raise TaskError(f"{filename}: no scored step is left for training once the last "
                        f"{n_test:,} of {n_steps:,} steps are held out; lower the held-out "
                        "share or add rows")
    evaluate = mask & holdout if (mask & holdout).any() else mask
    if kind == CLASSIFICATION:
        counts = np.bincount(targets[train], minlength=len(classes))
        chance = float(np.mean(targets[evaluate] == counts.argmax()))
        metric, score = "accuracy", "accuracy (share of steps right)"
    else:
        chance, metric, score = 1.0, "nrmse", "NRMSE (1.0 = always the mean, 0 = perfect)"
    held = (f"the last {n_test:,} steps are held out for testing" if n_test
            else "it is scored on its training steps")
    description = (f"Your sequence from {filename}: {n_steps:,} steps over {len(alphabet)} "
                   f"symbols; at every scored step the network must output {what}. The "
                   f"score is the {score}; {held}.")
    return Task(name=SEQUENCE_TASK,
                params={"file": filename, "format": "csv", "test_fraction": test_fraction},
                alphabet=alphabet, kind=kind, classes=classes, chance=chance, metric=metric,
                description=description, inputs=_frozen(inputs), targets=_frozen(targets),
                mask=_frozen(mask), holdout=_frozen(holdout),
                resets=_frozen(np.arange(n_steps) == 0))


def _targets(rows: Rows, cells: list[str], filename: str, mask: np.ndarray, max_classes: int):
    """``(kind, classes, targets [T])`` of the target column ``cells`` (``rows.targets``)."""
    numbers = {}
    for i, cell in enumerate(cells):
        if cell:
            try:
                numbers[i] = float(cell)
            except ValueError:
                continue
    fractional = [i for i, value in numbers.items()
                  if math.isfinite(value) and not value.is_integer()]
    if not fractional:
        scored = [cell for cell in cells if cell]
        lines = [line for line, cell in zip(rows.lines, cells, strict=True) if cell]
        classes = _distinct(scored, lines, max_classes, "different targets (classes)", 2)
        code = {name: k for k, name in enumerate(classes)}
        targets = np.array([code.get(cell, 0) for cell in cells], dtype=np.int64)
        return CLASSIFICATION, classes, targets
    example = cells[fractional[0]]
    for i, cell in enumerate(cells):
        if not cell:
            continue
        if i not in numbers or not math.isfinite(numbers[i]):
            raise TaskError(
                f"{filename}: row {rows.lines[i]}, column 2 (target): {cell!r} is not a finite "
                f"number, but the targets are numbers (row {rows.lines[fractional[0]]} has "
                f"{example}); fix that cell or leave it empty (not scored)")
    targets = np.array([numbers.get(i, 0.0) for i in range(len(cells))])         # [T]
    return REGRESSION, (), targets


def _distinct(values: list[str], lines: list[int], cap: int, what: str, column: int) -> tuple:
    """The distinct ``values`` sorted (numbers by value, first), at most ``cap`` of them."""
    seen: set[str] = set()
    for value, line in zip(values, lines, strict=True):
        if value not in seen:
            if len(seen) >= cap:
                raise TaskError(f"row {line}, column {column} brings {value!r}, one more than "
                                f"the cap of {cap} {what}")
            seen.add(value)
    return tuple(sorted(seen, key=_natural))


def _natural(value: str) -> tuple:
    """Sort key: numbers by value before other text, other text alphabetically."""
    try:
        number = float(value)
    except ValueError:
        return (1, 0.0, value)
    return (0, number, value) if math.isfinite(number) else (1, 0.0, value)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array
