"""The sample city: a fictional English town with its homes, areas and two years of crime.

The app starts on this city and the tests and benchmarks use it, so it has to look like a
real place rather than uniform noise: a centre of flats, terraced streets, suburbs,
villages and farms, places where nobody lives, and crime with the hot spots, rhythms and
repeat locations an analyst would recognise, including the rare sensitive cases in quiet
streets that the guidance worries about.

One seeded numpy Generator drives everything, and nothing depends on the clock, so the
same seed and scale give byte-identical files. Geometry is built in metres on a local
transverse Mercator projection centred on the town, and turned into WGS84 rounded to six
decimals (about 0.1 m) once, so every file agrees on every coordinate.

`scale` shrinks or grows the town's area (street spacing and house widths stay real), so
households and incidents grow in proportion to it.

The package follows the order the city is made in: `constants` (its fixed facts),
`plan` (the vocabulary of a town plan), `geometry` and `streets` (shapes and street
grids in metres), `town` (the town and its people), `areas` (output areas and
neighbourhoods), `snaps` (police.uk's anonymous map points), `crimes` (what happens
where and when), `police_uk` (the police.uk writer) and `write` (the files).

The package itself offers only the entry points the CLI, the app and the benchmarks
use (write the city, find its files, draw incidents at any scale); everything else is
imported from the module that owns it, so each name has one home.
"""

from __future__ import annotations

from crimedash.sample.constants import DEFAULT_SEED, SAMPLE_DIR, sample_paths
from crimedash.sample.crimes import generate_incidents_frame
from crimedash.sample.write import generate_sample

__all__ = [
    "DEFAULT_SEED",
    "SAMPLE_DIR",
    "generate_incidents_frame",
    "generate_sample",
    "sample_paths",
]
