"""Sums of a float64 column that arrives a block at a time, equal bit for bit to
numpy's sum of the whole column.

The score and the attack's weighted counts are sums over atoms. Worked out a block of
units at a time (issue 16: at 60M rows a whole-layer temporary is hundreds of MB), the
plain `sum of block sums` rounds differently from `column.sum()`, and a what-if's score
would move in its last bits with the block size. numpy sums a contiguous float64 column
pairwise: up to 128 values in eight running sums, a longer run split at half its length
rounded down to a multiple of 8, each half summed the same way and the halves added.
`PairwiseSum` keeps that tree: it holds the values of the tree's leaves (runs of at most
`LEAF` values) only until each is complete, sums each leaf with numpy (whose recursion
inside a leaf is the one it would do there in the whole column) and adds the leaves as
the tree does. `tests/test_pairwise.py` checks it against `np.sum` for many lengths and
block patterns.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LEAF", "PairwiseSum"]

LEAF = 1 << 15  # values summed by numpy in one call; must be at least 128
_PW_BLOCK = 128  # numpy's PW_BLOCKSIZE: runs this long or shorter are not split


def _split(n: int) -> int:
    """Where numpy's pairwise sum splits a run of n > 128 values."""
    half = n // 2
    return half - half % 8


class PairwiseSum:
    """`np.sum` of a float64 column of known length `n`, given piece by piece (`put`)
    in any order; `value()` once every position has been given."""

    def __init__(self, n: int, leaf: int = LEAF) -> None:
        if leaf < _PW_BLOCK:
            raise ValueError(f"leaf must be at least {_PW_BLOCK}, got {leaf}")
        self.n = n
        starts: list[int] = []
        self._leaf_of_node: dict[tuple[int, int], int] = {}

        def walk(lo: int, size: int) -> None:
            if size <= leaf:
                self._leaf_of_node[(lo, size)] = len(starts)
                starts.append(lo)
                return
            left = _split(size)
            walk(lo, left)
            walk(lo + left, size - left)

        if n:
            walk(0, n)
        self._starts = np.array(starts + [n], dtype=np.int64)
        self._sums = np.zeros(len(starts))
        self._filled = np.zeros(len(starts), dtype=np.int64)
        self._open: dict[int, np.ndarray] = {}  # leaf -> its values so far

    def put(self, offset: int, values: np.ndarray) -> None:
        """The column's values at positions offset, offset + 1, ..."""
        values = np.asarray(values, dtype=np.float64)
        end = offset + len(values)
        if offset < 0 or end > self.n:
            raise ValueError(f"positions {offset}:{end} outside a column of {self.n}")
        if not len(values):
            return
        first = int(np.searchsorted(self._starts, offset, side="right")) - 1
        last = int(np.searchsorted(self._starts, end, side="left"))
        for i in range(first, last):
            lo, hi = int(self._starts[i]), int(self._starts[i + 1])
            a, b = max(lo, offset), min(hi, end)
            buf = self._open.get(i)
            if buf is None:
                buf = self._open[i] = np.empty(hi - lo)
            buf[a - lo : b - lo] = values[a - offset : b - offset]
            self._filled[i] += b - a
            if self._filled[i] == hi - lo:
                self._sums[i] = buf.sum()
                del self._open[i]

    def value(self) -> float:
        """The sum, as `column.sum()` gives it."""
        if self._open or int(self._filled.sum()) != self.n:
            raise ValueError("not every value of the column was given")
        if not self.n:
            return 0.0

        def total(lo: int, size: int) -> np.float64:
            i = self._leaf_of_node.get((lo, size))
            if i is not None:
                return self._sums[i]
            left = _split(size)
            return total(lo, left) + total(lo + left, size - left)

        return float(total(0, self.n))
