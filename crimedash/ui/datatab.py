"""The Data tab: what is loaded and what was rejected (downloadable), a store the server
offers, uploads, and the column-mapping form when the loader cannot tell which column is
which. Loading itself, the workspace and the shared store of data sets are `ui.data`'s;
this module only draws the tab and hands what the analyst chose to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from crimedash import dataset as D
from crimedash import schema as S
from crimedash.load import ColumnMapping
from crimedash.textsafe import csv_bytes, markdown_text
from crimedash.ui import state as K
from crimedash.ui.data import (
    AREA_TYPES,
    INCIDENT_TYPES,
    SAMPLE_KEY,
    SAMPLE_LABEL,
    SERVER_DATA_ENV,
    Upload,
    Uploads,
    back_to_sample,
    handle_store,
    handle_upload,
    server_stores,
)

__all__ = ["mapping_form", "page"]


def _files(items: Sequence | None) -> tuple[Upload, ...]:
    return tuple((f.name, f.getvalue()) for f in (items or []))


def page(data: D.Dataset) -> None:
    """The Data tab: what is loaded, its rejected rows, and uploads."""
    ss = st.session_state
    summary = data.loaded.summary()
    label = markdown_text(ss.get(K.DATASET_LABEL, SAMPLE_LABEL), inline=True)  # file names
    st.markdown(f"**Loaded:** {label}")
    cols = st.columns(4)
    cols[0].metric("Incidents kept", f"{summary['rows_kept']:,}")
    rejected = data.input_summary()  # every input: incidents, households, areas
    cols[1].metric("Rows rejected", f"{rejected['rejected_rows']:,}")
    precision = summary["time_precision"]
    cols[2].metric("Times given to the", "minute" if precision == "timestamp" else precision)
    cols[3].metric("Households layer", "loaded" if data.index.has_households else "none")
    st.caption(
        f"Dates {summary['date_min']} to {summary['date_max']}. Area layers: "
        + (", ".join(data.areas) if data.areas else "none")
        + "."
    )
    if not data.index.has_households:
        st.warning(
            "No households layer: household counts are an assumption (¶19). "
            "Upload address points or areas with a households column to replace it."
        )
    if rejected["rejected_rows"]:
        by_input = ", ".join(f"{k}: {n:,}" for k, n in rejected["rejected_by_input"].items() if n)
        with st.expander(f"Rejected rows ({rejected['rejected_rows']:,}; {by_input}) and why"):
            st.dataframe(
                {
                    "reason": list(rejected["rejected_by_reason"]),
                    "rows": list(rejected["rejected_by_reason"].values()),
                },
                hide_index=True,
            )
            st.dataframe(data.rejected.head(2000), hide_index=True, width="stretch")
            st.download_button(
                "Download the rejected rows (CSV)",
                csv_bytes(data.rejected),
                file_name="rejected_rows.csv",
                mime="text/csv",
            )
    if summary["skipped_files"]:
        st.info(
            "Files skipped: " + "; ".join(f"{n} ({why})" for n, why in summary["skipped_files"])
        )
    for finding in summary.get("findings", []):
        st.warning(finding)

    stores = server_stores()
    if stores:
        st.subheader("Open a store on the server")
        st.caption(
            "Stores built with `crimedash store build` and offered by the operator "
            f"({SERVER_DATA_ENV}): indexed once per server, then reopened in seconds."
        )
        c1, c2 = st.columns([3, 1])
        c1.selectbox("Store", list(stores), key=K.STORE_CHOICE)
        if c2.button("Open this store", key=K.STORE_BUTTON):
            handle_store(ss[K.STORE_CHOICE])
            st.rerun()
    st.subheader("Load your own data")
    st.file_uploader(
        "Incidents: police.uk CSVs or zip, force extracts (CSV, Excel), GeoJSON, "
        "GeoPackage, Parquet; several files at once",
        type=INCIDENT_TYPES,
        accept_multiple_files=True,
        key=K.UP_INCIDENTS,
    )
    st.file_uploader(
        "Households (optional): address points, or polygons with a households column (¶19)",
        type=["csv", "geojson", "json", "gpkg", "parquet", "zip"],
        key=K.UP_HOUSEHOLDS,
    )
    st.file_uploader(
        "Areas (optional): output areas, beats or wards, one layer per file",
        type=AREA_TYPES,
        accept_multiple_files=True,
        key=K.UP_AREAS,
    )
    c1, c2 = st.columns(2)
    if c1.button("Load these files", key=K.LOAD_BUTTON, type="primary"):
        incidents = _files(ss.get(K.UP_INCIDENTS))
        if not incidents:
            ss[K.LOAD_ERROR] = "choose at least one incidents file first."
        else:
            hh = ss.get(K.UP_HOUSEHOLDS)
            uploads = Uploads(
                incidents,
                (hh.name, hh.getvalue()) if hh is not None else None,
                _files(ss.get(K.UP_AREAS)),
            )
            handle_upload(uploads)
        st.rerun()
    if ss.get(K.DATASET_KEY, SAMPLE_KEY) != SAMPLE_KEY:
        c2.button("Back to the sample city", key=K.SAMPLE_BUTTON, on_click=back_to_sample)
    mapping_form()


def mapping_form() -> None:
    """Which column is which, when the loader could not tell with confidence."""
    ss = st.session_state
    pending: Uploads | None = ss.get(K.PENDING_UPLOAD)
    candidates: dict[str, list[str]] | None = ss.get(K.MAPPING_CANDIDATES)
    if pending is None or not candidates:
        return
    st.subheader("Which column is which?")
    st.caption(f"In {ss.get(K.MAPPING_FILE)}, choose the column that holds each field.")
    words = {
        S.LATITUDE: "Latitude (degrees)",
        S.LONGITUDE: "Longitude (degrees)",
        "easting": "Easting (metres, British National Grid)",
        "northing": "Northing (metres, British National Grid)",
        S.OCCURRED_AT: "Date or time of the incident",
    }
    with st.form(K.MAPPING_FORM):
        for fld, cols in candidates.items():
            st.selectbox(words.get(fld, fld), cols, key=K.MAPPING_PREFIX + fld)
        submitted = st.form_submit_button("Load with these columns")
    if submitted:
        mapping = ColumnMapping(**{f: ss[K.MAPPING_PREFIX + f] for f in candidates})
        uploads = Uploads(pending.incidents, pending.households, pending.areas, mapping)
        handle_upload(uploads)
        st.rerun()
