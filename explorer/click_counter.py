"""A button whose every click counts, however fast the clicks come.

Two clicks on an ``st.button`` that reach the server before the rerun the first
one asked for has started are merged into one: Streamlit coalesces queued widget
triggers (RECIPES.md, "Buttons and reruns").  An ``on_click`` callback does not
help, since it runs once for the merged trigger; measured in Chromium, five fast
clicks on the Machine page's Step button moved it three or four steps.  This
button (a small ``st.components.v2`` component) counts its clicks in the browser
and sends the running total as its state.  Totals are merged by keeping the
newest, which loses nothing, and :func:`new_clicks` turns the total into the
number of clicks not acted on yet.

It looks and behaves like a ``width="stretch"`` ``st.button`` (a real
``<button>``: focus, Enter and Space work; a disabled one takes no clicks).
"""
from __future__ import annotations

import streamlit as st

_JS = """
export default function (component) {
    const { data, setStateValue, parentElement } = component;
    let button = parentElement.querySelector("button");
    if (!button) {
        button = document.createElement("button");
        button.type = "button";
        button.dataset.mount = Math.random().toString(36).slice(2);
        button.dataset.clicks = "0";
        button.innerHTML = '<svg aria-hidden="true" viewBox="0 0 24 24"><path d="M10 6 8.59 '
            + '7.41 13.17 12l-4.58 4.59L10 18l6-6z"/></svg><span></span>';
        button.addEventListener("click", () => {
            const clicks = Number(button.dataset.clicks) + 1;
            button.dataset.clicks = String(clicks);
            setStateValue("clicks", { mount: button.dataset.mount, count: clicks });
        });
        parentElement.appendChild(button);
    }
    button.querySelector("span").textContent = data.label;
    button.querySelector("svg").style.display = data.icon ? "" : "none";
    button.className = data.primary ? "primary" : "secondary";
    button.disabled = Boolean(data.disabled);
    button.title = data.help || "";
}
"""

# the computed style of Streamlit's own buttons (measured in Chromium), from the theme
_CSS = """
button {
    display: inline-flex; align-items: center; justify-content: center; gap: 0.375rem;
    box-sizing: border-box; width: 100%; min-height: 2.5rem; margin: 0; padding: 0.25rem 0.75rem;
    border-radius: var(--st-button-radius, 0.5rem); font-family: var(--st-font);
    font-size: 0.875rem; font-weight: 400; line-height: 1.6;
    cursor: pointer; user-select: none;
}
button.primary {
    background: var(--st-primary-color); color: #fff; border: 1px solid var(--st-primary-color);
}
button.primary:hover { background: color-mix(in srgb, var(--st-primary-color) 88%, #000); }
button.secondary {
    background: var(--st-background-color); color: var(--st-text-color);
    border: 1px solid color-mix(in srgb, var(--st-text-color) 20%, transparent);
}
button.secondary:hover { border-color: var(--st-primary-color); color: var(--st-primary-color); }
button:focus-visible {
    outline: none;
    box-shadow: 0 0 0 0.2rem color-mix(in srgb, var(--st-primary-color) 50%, transparent);
}
button:disabled, button:disabled:hover {
    background: transparent; cursor: not-allowed;
    color: color-mix(in srgb, var(--st-text-color) 40%, transparent);
    border: 1px solid color-mix(in srgb, var(--st-text-color) 20%, transparent);
}
svg { width: 1rem; height: 1rem; fill: currentColor; flex: none; }
"""

_BUTTON = st.components.v2.component("fsm_explorer_counting_button", js=_JS, css=_CSS)


def counting_button(label: str, key: str, *, disabled: bool = False, primary: bool = False,
                    icon: bool = True, help: str = "") -> None:
    """Draw the button labelled ``label`` here (use ``with column:`` to place it), with a
    chevron icon when ``icon``.  Read its clicks with :func:`new_clicks` ``(key)``."""
    _BUTTON(key=key, data={"label": label, "disabled": disabled, "primary": primary,
                           "icon": icon, "help": help},
            on_clicks_change=_ignore)


def _ignore() -> None:
    """State changes are read by :func:`new_clicks`, not in a callback."""


def new_clicks(key: str) -> int:
    """Clicks on the button ``key`` since the last call (0 when there are none).

    Reads the button's running total from session state and remembers it, so each
    click is counted once.  A button drawn anew (another visit to the page) counts
    from 1 again under a new mount id, which is told apart from the old one.
    """
    state = st.session_state.get(key)
    value = state.get("clicks") if hasattr(state, "get") else None
    if not isinstance(value, dict) or not isinstance(value.get("count"), int):
        return 0
    mount, count = value.get("mount"), value["count"]
    seen_key = f"{key}__seen"
    seen_mount, seen_count = st.session_state.get(seen_key, (None, 0))
    st.session_state[seen_key] = (mount, count)
    return max(0, count - (seen_count if mount == seen_mount else 0))
