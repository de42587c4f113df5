"""Helpers the AppTest files share (imported as a plain module, like ``reference``)."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def step_button(at: AppTest) -> dict:
    """The Step button's label, disabled flag, ... as the page sent them (the counting
    button of ``explorer/click_counter.py``, a custom component AppTest has no accessor for)."""
    def walk(node):
        yield node
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else ()):
            yield from walk(child)
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if getattr(proto, "component_name", "") == "fsm_explorer_counting_button":
            return json.loads(proto.json)
    raise AssertionError("no Step button on the page")
