"""TumorGrowth.jl's nested ``patient_data.csv``: one line per series, lists in the cells.

Each line holds one series; the columns ``T_weeks``, ``T_days``, ``Lesion_diam``,
``Lesion_vol`` and ``Lesion_normvol`` hold Julia/Python list literals such as
``"[0.1, 6.0, 12.0]"`` (docs/data-formats.md#layouts). :func:`explode_nested` turns the file into
one record per reading, so that the flat format's cleaning applies unchanged.

Row numbers: a reading has no line of its own. Readings are numbered in file order from 2, as
the rows of the equivalent flat file would be (the convention used for Parquet records), and
every reading carries its file line (``source_line``) and its 1-based position in the lists
(``reading``), kept as covariates of the loaded table and as ``raw:`` columns of dropped rows.
Structural faults (a cell that is not a list, lists of different lengths on one line, a record
with the wrong number of fields) are errors naming the file line and column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ._clean import cell_text
from ._raw import RawTable

#: Provenance columns added to each reading.
PROVENANCE = ("source_line", "reading")


def is_list_cell(text: str) -> bool:
    """True when a cell looks like a list literal ``[...]``."""
    s = text.strip()
    return s.startswith("[") and s.endswith("]")


def looks_nested(raw: RawTable, vector_columns: tuple[str, ...]) -> bool:
    """True when the first record's cells of the present ``vector_columns`` are all lists."""
    present = [c for c in vector_columns if c in raw.header]
    if not present or len(raw.data) == 0:
        return False
    return all(is_list_cell(cell_text(raw.data[c].iloc[:1])[0]) for c in present)


def _split(text: str) -> list[str]:
    inner = text.strip()[1:-1].strip()
    return [] if inner == "" else [x.strip() for x in inner.split(",")]


def explode_nested(raw: RawTable, vector_columns: tuple[str, ...]) -> tuple[RawTable, list[str]]:
    """One record per reading of a nested file; returns the exploded table and notes.

    Raises
    ------
    DataError
        A malformed record, a vector cell that is not a list, or lists of different lengths
        on one line (naming the file line and column).
    """
    if raw.malformed:
        line, fields = raw.malformed[0]
        raise DataError(f"record has {len(fields)} fields, the header has {len(raw.header)} "
                        "(nested format: every line must be one whole series)",
                        file=raw.file, row=line)
    for name in PROVENANCE:
        if name in raw.header:
            raise DataError(f"column name {name!r} is reserved by the nested-format reader",
                            file=raw.file, row=1, column=name)
    vec = [c for c in vector_columns if c in raw.header]
    scalars = [c for c in raw.header if c not in vec]
    cells = {c: cell_text(raw.data[c]) for c in raw.header}
    lists: dict[str, list[list[str]]] = {c: [] for c in vec}
    lengths = np.zeros(len(raw.data), dtype=np.int64)
    for i, line in enumerate(raw.source_rows.tolist()):
        n_i = None
        for c in vec:
            text = cells[c][i]
            if not is_list_cell(text):
                raise DataError(f"expected a list such as '[1.0, 2.0]' (nested format), got "
                                f"{text[:40]!r}", file=raw.file, row=int(line), column=c)
            items = _split(text)
            if n_i is None:
                n_i, first = len(items), c
            elif len(items) != n_i:
                raise DataError(f"list of {len(items)} values where {first} has {n_i}",
                                file=raw.file, row=int(line), column=c)
            lists[c].append(items)
        lengths[i] = n_i or 0
    total = int(lengths.sum())
    data = {c: np.repeat(np.asarray(cells[c], dtype=object), lengths) for c in scalars}
    for c in vec:
        data[c] = np.array([x for items in lists[c] for x in items], dtype=object) \
            if total else np.array([], dtype=object)
    data["source_line"] = np.repeat(np.array([str(r) for r in raw.source_rows], dtype=object),
                                    lengths)
    data["reading"] = np.array([str(k + 1) for n in lengths for k in range(n)], dtype=object)
    header = tuple(raw.header) + PROVENANCE
    frame = pd.DataFrame({h: pd.Series(data[h], dtype=object) for h in header})
    notes = [f"nested format (one line per series, lists in {', '.join(vec)}): {len(raw.data)} "
             f"line(s) -> {total} reading(s); a reading's row number is its position in file "
             "order + 1 (as in the equivalent flat file); columns source_line and reading give "
             "its file line and position in the lists"]
    empty = raw.source_rows[lengths == 0]
    if empty.size:
        notes.append(f"{empty.size} line(s) hold empty lists (no reading): lines "
                     f"{', '.join(map(str, empty[:20].tolist()))}"
                     + (" ..." if empty.size > 20 else ""))
    exploded = RawTable(raw.file, header, frame, np.arange(2, total + 2, dtype=np.int64), (),
                        raw.n_blank_lines, raw.notes)
    return exploded, notes
