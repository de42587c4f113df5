"""Caps on every size a user can choose, sized for Streamlit Community Cloud (2 cores, 2.7 GB).

Each cap can be raised or lowered with an environment variable
``FSM_EXPLORER_<NAME>`` (e.g. ``FSM_EXPLORER_MAX_MACHINES=50000``) for a bigger
machine or a smaller classroom laptop.  Pages read ``LIMITS``; a request over a
cap gets a message naming the cap, never a crash.  Messages say the cap in words a
student reads ("over the cap of 20,000 machines"); the variables are for whoever runs
the app and are named in the README, never on a page.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    max_machines: int = 20_000          # machines in a network
    max_states: int = 256               # states per machine on the Network page
    max_symbols: int = 64               # alphabet size
    max_steps: int = 20_000             # input steps run on the Network page
    max_diagram_states: int = 40        # states in one drawn / edited machine
    max_tape: int = 2_000               # symbols on the Machine page's input tape
    max_upload_bytes: int = 1_000_000   # machine JSON / JFLAP uploads
    max_link_chars: int = 2_000         # a machine carried in a link (larger: settings only)
    max_text_bytes: int = 2_000_000     # text corpora uploads
    max_bytes: int = 800_000_000        # any single engine array (traces, features)
    raster_machines: int = 200          # machines drawn in a raster (a sample when N is larger)
    raster_steps: int = 400             # time steps drawn in a raster
    rank_steps: int = 500               # time steps sampled to measure a feature matrix's rank
    rank_machines: int = 500            # machines sampled to measure a feature matrix's rank
    max_units: int = 5_000              # echo state network units on the Train page
    max_hidden: int = 256               # LSTM hidden units on the Compare page
    max_sweep_bytes: int = 20_000_000   # a sweep output file loaded on the Compare page
    max_train_steps: int = 200_000      # task stream length on the Train page
    max_feature_bytes: int = 400_000_000  # the readout's feature matrix on the Train page
    max_sequence_bytes: int = 2_000_000   # an uploaded sequence (CSV or text) on the Train page
    max_model_bytes: int = 50_000_000   # an uploaded model file (.npz), and what it unpacks to
    weight_cells: int = 900             # squares drawn in a weight map (a sample when larger)
    curve_points: int = 300             # points drawn per training curve (thinned beyond)
    prediction_steps: int = 80          # held-out steps drawn in the predictions chart

    @classmethod
    def from_env(cls, environ=os.environ) -> Limits:
        values = {}
        for f in fields(cls):
            raw = environ.get(f"FSM_EXPLORER_{f.name.upper()}")
            if raw is not None:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(
                        f"FSM_EXPLORER_{f.name.upper()}={raw!r} is not a whole number") from None
        return cls(**values)


LIMITS = Limits.from_env()
