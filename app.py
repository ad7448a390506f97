"""crimedash dashboard: `streamlit run app.py` (or `make run`). Thin on purpose: the
pages live in crimedash/ui, the numbers in the core."""

import streamlit as st

from crimedash.ui import main

# ?projector=1 (projector mode) opens with the sidebar folded, leaving the map room
projector = st.query_params.get("projector") == "1"
st.set_page_config(
    page_title="crimedash",
    page_icon="🗺️",
    layout="wide",
    initial_sidebar_state="collapsed" if projector else 420,
)
main()
