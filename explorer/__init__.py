"""The Streamlit front end of the FSM Network Explorer (pages, figure builders, URL state)."""
