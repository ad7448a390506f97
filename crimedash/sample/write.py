"""Writing the sample city's files, byte-stable for a given seed and scale."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from crimedash import categories, schema
from crimedash.sample.areas import Areas, build_areas
from crimedash.sample.constants import (
    CENTRE_LAT,
    CENTRE_LON,
    CITY_NAME,
    DEFAULT_SEED,
    FORCE_NAME,
    HOUSEHOLD_COLUMNS,
    INCIDENTS_PER_HOUSEHOLD,
    LOCAL_CRS,
    OA_MIN_HOUSEHOLDS,
    PERIOD_END,
    PERIOD_START,
    POLICE_UK_SUFFIX,
    PUK_LOCATION,
    PUK_MONTH,
    PUK_NO_LOCATION,
    README_NAME,
    check_scale,
    sample_paths,
)
from crimedash.sample.crimes import draw_incidents, incidents_frame
from crimedash.sample.plan import R_CENTRE, City
from crimedash.sample.police_uk import police_uk_frame
from crimedash.sample.snaps import SnapKind, SnapPoints, build_snap_points
from crimedash.sample.town import build_city

__all__ = ["generate_sample"]


def _write_geojson(path: Path, geoms: np.ndarray, props: list[dict], name: str) -> None:
    """GeoJSON by hand, one feature per line: byte-stable and readable in a diff."""
    geoms = shapely.orient_polygons(geoms)  # RFC 7946: exterior rings counter-clockwise
    lines = []
    for g, p in zip(geoms, props, strict=True):
        feature = {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
        lines.append(json.dumps(feature, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name}, separators=(",", ":"))[:-1]
    path.write_text(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def _area_props(codes, households, residents, names=None) -> list[dict]:
    """Each area's properties; `names` (neighbourhoods, as LSOAs are named) come first,
    so a map labels the place by its name rather than its code."""
    props = [
        {schema.AREA_CODE: c, schema.HOUSEHOLDS: int(h), schema.RESIDENTS: int(r)}
        for c, h, r in zip(codes, households, residents, strict=True)
    ]
    if names is not None:
        props = [{"name": n, **p} for n, p in zip(names, props, strict=True)]
    return props


def generate_sample(
    out_dir: Path | str, seed: int = DEFAULT_SEED, scale: float = 1.0
) -> dict[str, Path]:
    """Write the sample city into `out_dir`; the same seed and scale give the same bytes.

    Writes households.csv, output_areas.geojson, neighbourhoods.geojson, incidents.csv,
    police_uk/YYYY-MM-sample-street.csv (one per month) and README.md. Returns the paths
    as `sample_paths(out_dir)` does, plus "readme".
    """
    check_scale(scale)
    out = Path(out_dir)
    paths = sample_paths(out)
    city = build_city(seed, scale)
    areas = build_areas(city)
    snaps = build_snap_points(city, areas)
    n = max(1, round(INCIDENTS_PER_HOUSEHOLD * int(city.addresses.households.sum())))
    draw = draw_incidents(city, n, seed)
    frame = incidents_frame(draw)
    puk = police_uk_frame(city, areas, snaps, draw, frame, seed)

    out.mkdir(parents=True, exist_ok=True)
    a = city.addresses
    households = pd.DataFrame(
        {schema.LATITUDE: a.lat, schema.LONGITUDE: a.lon, schema.HOUSEHOLDS: a.households},
        columns=list(HOUSEHOLD_COLUMNS),
    )
    households.to_csv(paths["households"], index=False, float_format="%.6f", lineterminator="\n")
    written = frame.copy()
    written[schema.OCCURRED_AT] = np.datetime_as_string(
        frame[schema.OCCURRED_AT].to_numpy().astype("datetime64[s]"), unit="s"
    )
    written.to_csv(paths["incidents"], index=False, float_format="%.6f", lineterminator="\n")
    _write_geojson(
        paths["output_areas"],
        areas.oa_geoms,
        _area_props(areas.oa_codes, areas.oa_households, areas.oa_residents),
        "output_areas",
    )
    _write_geojson(
        paths["neighbourhoods"],
        areas.nb_geoms,
        _area_props(areas.nb_codes, areas.nb_households, areas.nb_residents, areas.nb_names),
        "neighbourhoods",
    )
    puk_dir = paths["police_uk_dir"]
    puk_dir.mkdir(exist_ok=True)
    for old in puk_dir.glob("????-??" + POLICE_UK_SUFFIX):
        old.unlink()  # only our own monthly files, so a smaller scale leaves no stale months
    for month, rows in puk.groupby(PUK_MONTH, sort=True):
        rows.to_csv(puk_dir / f"{month}{POLICE_UK_SUFFIX}", index=False, lineterminator="\r\n")
    paths["readme"] = out / README_NAME
    paths["readme"].write_text(
        _readme(seed, scale, city, areas, snaps, frame, puk), encoding="utf-8"
    )
    return paths


def _readme(
    seed: int,
    scale: float,
    city: City,
    areas: Areas,
    snaps: SnapPoints,
    frame: pd.DataFrame,
    puk: pd.DataFrame,
) -> str:
    a = city.addresses
    cats = frame[schema.CATEGORY].value_counts()
    ltypes = frame[schema.LOCATION_TYPE].value_counts()
    cat_lines = "\n".join(
        f"| `{c}` | {categories.label(c)} | {categories.default_group(c)} | {cats.get(c, 0):,} |"
        for c in (cat.code for cat in categories.FINE_CATEGORIES)
    )
    home_snaps = snaps.kind == SnapKind.HOMES
    cover = np.bincount(snaps.address_snap, minlength=len(snaps.x))[home_snaps]
    n_months = puk[PUK_MONTH].nunique()
    no_loc = int((puk[PUK_LOCATION] == PUK_NO_LOCATION).sum())
    return f"""# The sample city: {CITY_NAME}

{CITY_NAME} is a **fictional** English town of {int(a.households.sum()):,} households
(about {int(areas.oa_residents.sum()):,} residents), placed in open country in south
Lincolnshire (centre {CENTRE_LAT} N, {abs(CENTRE_LON)} W) so that it sits on a real-looking
map without standing on a real town. Every home, street, crime and outcome in this folder
was invented by `crimedash sample` (crimedash/sample/); none of it describes real people.
The police force, "{FORCE_NAME}", is fictional too.

Regenerate it, byte for byte, with:

    crimedash sample --out sample_data --seed {seed} --scale {scale:g}

## The town

- **Centre** (within ~{R_CENTRE * math.sqrt(scale):.0f} m of the market square): blocks of flats
  (one address point, 10-120 households), shops, the bars-and-clubs streets west of the
  square, the theatre, bus and railway stations, car parks.
- **Inner ring**: Victorian terraced streets (one household per point, ~5 m apart) and one
  estate of flats; the town park, a riverside park and the river.
- **Suburbs**: semi-detached and detached streets, curving, with cul-de-sacs, and a
  new-build estate; a university campus, a hospital, a football ground, school fields.
- **Edge**: a ring road, a retail park (supermarket, units, car park, petrol station), an
  industrial estate by the railway, then villages, farms and country lanes.
- Nobody lives in the parks, fields, campus, hospital, retail park or industrial estate.

Street names are invented ("High Street", "Hawthorn Grove", ...). Coordinates are WGS84
with 6 decimals; metric work uses a local transverse Mercator projection
(`{LOCAL_CRS}`).

## Files

| File | What it holds |
|---|---|
| `households.csv` | `latitude, longitude, households`: {len(a.x):,} address points, {int(a.households.sum()):,} households |
| `output_areas.geojson` | {len(areas.oa_codes):,} output areas tiling the town: `code` (SC0000001...), `households` ({int(areas.oa_households.min())}-{int(areas.oa_households.max())}, never under {OA_MIN_HOUSEHOLDS}), `residents` |
| `neighbourhoods.geojson` | {len(areas.nb_codes):,} neighbourhoods, unions of output areas: `name` ({CITY_NAME} 001A..., also the LSOA name in the police.uk files), `code` (E0199xxxx, also the LSOA code there), `households` ({int(areas.nb_households.min())}-{int(areas.nb_households.max())}), `residents` |
| `incidents.csv` | {len(frame):,} incidents, {PERIOD_START} to {PERIOD_END - 1}: `incident_id, reference, occurred_at, category, latitude, longitude, location_type` |
| `police_uk/YYYY-MM-sample-street.csv` | the same incidents as police.uk would publish them: {n_months} monthly files |

### incidents.csv

The force's own view: exact time (`occurred_at`, ISO date and time to the minute), exact
place, fine category, crime reference (`CD/YY/NNNNNN`) and kind of place:
{ltypes.get("residential", 0):,} residential (at an address point in `households.csv`),
{ltypes.get("non_residential", 0):,} non-residential (shops, pubs, stations, works) and
{ltypes.get("public_space", 0):,} in public space (streets and parks).

| Category | Label | police.uk group (default) | Incidents |
|---|---|---|---|
{cat_lines}

What an analyst should find in it:

- **Hot spots**: violence, public order and robbery in the bars-and-clubs streets on Friday
  and Saturday nights; shoplifting at the retail park's supermarket in opening hours;
  residential burglary clustered in two suburbs.
- **Rhythms**: burglary on dark winter evenings, anti-social behaviour on summer evenings
  (and on Halloween and Bonfire Night), domestic abuse in the evening and over Christmas.
- **Repeat locations**: the same homes for domestic abuse, harassment and neighbour
  disputes; the same shops and venues for shoplifting and violence.
- **Rare sensitive cases** (sexual offences, domestic abuse, hate crime) in quiet suburban
  streets, villages and farms, where one point on a map can point at one household.

### police_uk/

Exactly police.uk's twelve columns, in its order, CRLF line endings. As on police.uk:
month precision only; every crime moved to an anonymous map point ({int(home_snaps.sum()):,}
street points each covering {int(cover.min())}-{int(cover.max())} addresses, plus named points
for premises and parks: "On or near Supermarket", "On or near Nightclub", "On or near
Park/Open Space", ...); `Crime type` is the police.uk group; anti-social behaviour has no
Crime ID and no outcome; {no_loc:,} rows (about 1%) have "No Location". LSOA codes and names
are the neighbourhoods' (E0199xxxx, "{CITY_NAME} 001A"). Rows are sorted by LSOA, place and
type, so their order says nothing about the day.
"""
