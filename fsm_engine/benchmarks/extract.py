"""The machine inside a trained LSTM: extraction on Tomita grammars 1-7, against the minimal DFA.

For each grammar and seed an LSTM (H=32, the registry's other defaults: Adam, batches
of 32 fresh strings, full BPTT) is trained on ``tomita(grammar, n_strings=2000,
max_length=20)`` until its held-out accuracy is 100 % and its training loss is below
``extract.CONFIDENT_LOSS`` (or the training budget runs out).  Its machine is then
extracted twice: by quantising its hidden states (k-means, k chosen on validation
fidelity) and by L* (AALpy; the LSTM answers membership queries, random words are the
equivalence oracle).  A row gives, over seeds, the states of each minimised machine, how
many seeds give exactly the grammar's minimal automaton, fidelity to the LSTM and the
machine's own accuracy on the held-out strings, next to the published figures: QBN
extraction from recurrent nets (Koul, Fern & Greydanus, ICLR 2019) and L* from an LSTM
(Weiss, Goldberg & Yahav, ICML 2018).  ``python bench/extract.py`` writes
``results/extract.md`` and ``results/extract.json``; ``--quick`` is a minutes-long run.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import extract, tasks
from ..experiments import markdown
from ..paths import results_dir
from . import results

GRAMMARS = tuple(range(1, 8))
METHODS = ("quantise", "lstar")
TASK = {"n_strings": 2000, "max_length": 20}
#: published extractions: grammar -> {method: text}
PUBLISHED = {
    1: {"quantise": "2 (QBN, 100 %)"},
    2: {"quantise": "3 (QBN, 100 %)"},
    3: {"quantise": "5 (QBN, 100 %)",
        "lstar": "5 in 0.19 s, 100 % of 2 753 words (Weiss et al.)"},
    4: {"quantise": "4 (QBN, 100 %)"},
    6: {"quantise": "11-12 (QBN)"},
    7: {"quantise": "5 (QBN, 100 %)"},
}
FULL = {"seeds": 5, "hidden": 32, "train_seconds": 60.0, "lstar_seconds": 30.0}
QUICK = {"seeds": 1, "hidden": 32, "train_seconds": 20.0, "lstar_seconds": 10.0}


def run_one(grammar: int, seed: int, hidden: int, train_seconds: float,
            lstar_seconds: float) -> list[dict]:
    """Train one LSTM on one grammar and extract its machine by every method; one row each."""
    task = tasks.make("tomita", grammar=grammar, seed=seed, **TASK)
    started = time.perf_counter()
    learner = extract.train(task, "lstm", seed=seed, seconds=train_seconds, n_hidden=hidden)
    trained = time.perf_counter() - started
    rows = []
    for method in METHODS:
        result = extract.extract(learner, method, seconds=lstar_seconds, seed=seed)
        rows.append({"grammar": grammar, "seed": seed, "train_seconds": trained,
                     "train_strings": int(learner.seen), **result.as_dict()})
    return rows


def aggregate(runs: list[dict]) -> list[dict]:
    """One row per grammar and method: states over seeds and the mean of every score."""
    rows = []
    for grammar in sorted({r["grammar"] for r in runs}):
        for method in METHODS:
            group = [r for r in runs if r["grammar"] == grammar and r["method"] == method]
            if not group:
                continue
            minimal = group[0]["minimal_states"]
            rows.append({
                "grammar": grammar, "method": method, "minimal_states": minimal,
                "states": [r["states"] for r in group],
                "exact": sum(r["states"] == minimal for r in group),
                "seeds": len(group), "cut": sum(r["cut"] for r in group),
                "fidelity": float(np.mean([r["fidelity"] for r in group])),
                "min_fidelity": float(min(r["fidelity"] for r in group)),
                "accuracy": float(np.mean([r["accuracy"] for r in group])),
                "lstm_accuracy": float(np.mean([r["lstm_accuracy"] for r in group])),
                "seconds": float(np.median([r["seconds"] for r in group])),
                "train_seconds": float(np.median([r["train_seconds"] for r in group])),
                "published": PUBLISHED.get(grammar, {}).get(method, "—")})
    return rows


def run(seeds: int, hidden: int, train_seconds: float, lstar_seconds: float,
        grammars=GRAMMARS, progress=print) -> dict:
    """Every grammar x seed x method; returns {"rows", "runs", "meta"}."""
    runs = []
    for grammar in grammars:
        for seed in range(seeds):
            runs += run_one(grammar, seed, hidden, train_seconds, lstar_seconds)
            progress(_run_text(runs[-2:]))
    settings = {"seeds": seeds, "hidden": hidden, "train_seconds": train_seconds,
                "lstar_seconds": lstar_seconds, "task": TASK,
                "confident_loss": extract.CONFIDENT_LOSS}
    return {"rows": aggregate(runs), "runs": runs, "meta": results.meta(**settings)}


def _run_text(rows: list[dict]) -> str:
    first = rows[0]
    parts = [f"{r['method']} {r['states']} states, fidelity {r['fidelity']:.4f}"
             + (" (cut)" if r["cut"] else "") for r in rows]
    return (f"tomita {first['grammar']} seed {first['seed']}: LSTM trained "
            f"{first['train_seconds']:.1f} s, accuracy {first['lstm_accuracy']:.4f}; "
            + "; ".join(parts) + f" (minimal {first['minimal_states']})")


HEADER = ["grammar", "minimal DFA", "method", "states (per seed)", "= minimal", "fidelity",
          "accuracy", "LSTM accuracy", "seconds", "published"]


def format_table(result: dict) -> str:
    meta = result["meta"]
    lines = [markdown(HEADER, [[
        str(r["grammar"]), str(r["minimal_states"]), r["method"],
        ", ".join(map(str, r["states"])) + (f" ({r['cut']} cut)" if r["cut"] else ""),
        f"{r['exact']}/{r['seeds']}", f"{r['fidelity']:.4f} (min {r['min_fidelity']:.4f})",
        f"{r['accuracy']:.4f}", f"{r['lstm_accuracy']:.4f}", f"{r['seconds']:.2f}",
        r["published"]] for r in result["rows"]]), "",
        f"LSTM H={meta['hidden']}, trained up to {meta['train_seconds']:g} s per seed "
        f"(median {np.median([r['train_seconds'] for r in result['rows']]):.1f} s); L* budget "
        f"{meta['lstar_seconds']:g} s; {_seeds_text(meta['seeds'])}; tomita n_strings="
        f"{meta['task']['n_strings']}, max_length={meta['task']['max_length']}. Fidelity and "
        "accuracy are on the held-out strings; seconds = median extraction time. Grammar 3 is "
        "read as 'no odd run of 1s directly followed by an odd run of 0s'."]
    return "\n".join(lines)


def _seeds_text(seeds: int) -> str:
    return "seed 0" if seeds == 1 else f"seeds 0-{seeds - 1}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"a minutes-long run: {QUICK['seeds']} seed, shorter budgets")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"seeds per grammar (default {FULL['seeds']})")
    parser.add_argument("--grammars", default=None, help="comma-separated, e.g. 3,4 (default all)")
    parser.add_argument("--hidden", type=int, default=None, help="LSTM hidden units")
    parser.add_argument("--train-seconds", type=float, default=None)
    parser.add_argument("--lstar-seconds", type=float, default=None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--out", default=str(results_dir() / "extract"),
                        help="write OUT.md and OUT.json (default results/extract)")
    args = parser.parse_args(argv)
    settings: dict[str, Any] = dict(QUICK if args.quick else FULL)   # run()'s keywords
    for key in settings:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    grammars = tuple(int(g) for g in args.grammars.split(",")) if args.grammars else GRAMMARS
    result = run(grammars=grammars, progress=(lambda s: None) if args.json else print,
                 **settings)
    table, out = format_table(result), Path(args.out)
    results.write_json(result, out.with_suffix(".json"))
    out.with_suffix(".md").write_text(table + "\n")
    print(json.dumps(result, indent=2) if args.json else "\n" + table)
    return 0
