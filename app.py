"""crimedash dashboard: `streamlit run app.py` (or `make run`). Thin on purpose: the
pages live in crimedash/ui, the numbers in the core."""

import streamlit as st

from crimedash.ui import main

st.set_page_config(page_title="crimedash", page_icon="🗺️", layout="wide", initial_sidebar_state=420)
main()
