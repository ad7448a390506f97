"""`python -m crimedash` runs the same CLI as the `crimedash` console script."""

from crimedash.cli import main

raise SystemExit(main())
