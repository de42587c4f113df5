"""The README's measured tables are the committed results files' tables, cell for cell.

The README may name a task or a metric in plainer words than the file, so each check
compares the cells that carry numbers; a table edited by hand, or a results file
regenerated without updating the README, fails here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def rows(text: str, first_table: bool = False) -> list[list[str]]:
    """The rows (header included, separator left out) of the Markdown tables in ``text``,
    or of its first table only, as lists of stripped cells."""
    found: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            if found and first_table:
                break
            continue
        if not set(line) <= set("|-: "):
            found.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return found


def section(heading: str) -> str:
    """The README's text from ``heading`` to the next heading of any level."""
    start = README.index(heading)
    end = README.find("\n#", start + len(heading))
    return README[start:end if end > 0 else None]


def results(name: str) -> list[list[str]]:
    return rows((REPO / "results" / name).read_text())


@pytest.mark.parametrize("heading, name, readme_cells, file_cells", [
    # chance and every model's cell (the README names tasks and metrics in words)
    ("### FSM network vs echo state network vs LSTM", "compare.md", slice(2, 9), slice(2, 9)),
    # the network, metric, mean ± sd, chance, solved, seconds (the file adds parameters)
    ("### The FSM network alone", "tasks.md", slice(1, 7), slice(1, 7)),
    ("### The question backwards", "extract.md", slice(0, None), slice(0, None)),
])
def test_every_measured_row_of_the_readme_is_in_its_results_file(heading, name, readme_cells,
                                                                    file_cells):
    table = rows(section(heading), first_table=True)[1:]
    assert table, f"no table under {heading!r}"
    committed = {tuple(row[file_cells]) for row in results(name)}
    missing = [row for row in table if tuple(row[readme_cells]) not in committed]
    assert not missing, f"README rows not in results/{name}: {missing}"
