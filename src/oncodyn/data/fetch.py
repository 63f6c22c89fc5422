"""Download (or copy) the public Laleh et al. (2022) S1 Data and verify its SHA-256 checksum.

Source: Ghaffari Laleh N et al. (2022) PLOS Comput Biol 18(2): e1009822, S1 Data, file
``journal.pcbi.1009822.s006.xlsx`` (sheets ``Study1``..``Study5``), licence CC BY 4.0 (PLOS
standard). PLOS serves supplementary files at :data:`PLOS_S1_URL`.

Checksums, honestly:

* **CSV form, studies 1-4** (``laleh2022_s1_target_lesion_ld.csv``, the sheets Study1-Study4
  stacked with a ``sheet`` column, values verbatim as text; 7,726 lines): SHA-256 in
  :data:`KNOWN_SHA256` was computed here from oncodyn's shared copy, which was converted from
  Genentech/jmpost's verbatim copy of the PLOS xlsx (``data-raw/journal.pcbi.1009822.s006.xlsx``,
  commit f8cd83ae).
* **xlsx form**: its checksum is **not known** to oncodyn. The development machines had no
  network access, so the file served by PLOS was never hashed. A fetched xlsx is therefore not
  verified unless the caller passes ``sha256=``; a warning says so (with the digest computed, so
  that it can be pinned). Nothing pretends otherwise.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from .datasets import S1_COLUMNS, read_laleh_s1
from .writers import atomic_path, write_atomic

PLOS_S1_URL = ("https://journals.plos.org/ploscompbiol/article/file?type=supplementary"
               "&id=10.1371/journal.pcbi.1009822.s006")
CSV_NAME = "laleh2022_s1_target_lesion_ld.csv"
XLSX_NAME = "journal.pcbi.1009822.s006.xlsx"
#: Known SHA-256 digests per form; ``None`` = not known (see the module docstring).
KNOWN_SHA256: dict[str, str | None] = {
    "csv": "1f039d436d880f251bddcbfdf081831b16f921ead14e0e82ec3f702b2e9c797d",
    "xlsx": None,
}
S1_SHEETS = ("Study1", "Study2", "Study3", "Study4", "Study5")


class UnverifiedDataWarning(UserWarning):
    """A fetched file could not be checked against a known checksum."""


@dataclass(frozen=True)
class FetchResult:
    """Outcome of :func:`fetch_laleh2022`.

    Attributes
    ----------
    path : Path
        The CSV form written (read it with :func:`oncodyn.data.read_laleh_s1`).
    source : str
        URL or local path the bytes came from.
    source_format : str
        ``"csv"`` or ``"xlsx"``.
    sha256 : str
        SHA-256 of the source bytes.
    verified : bool
        True only when ``sha256`` equals a known or given checksum.
    warnings : tuple of str
        Messages for the user (e.g. checksum unknown).
    xlsx_path : Path or None
        The xlsx kept beside the CSV when the source was an xlsx.
    """

    path: Path
    source: str
    source_format: str
    sha256: str
    verified: bool
    warnings: tuple[str, ...]
    xlsx_path: Path | None = None


def default_data_dir() -> Path:
    """``$ONCODYN_DATA_DIR`` or ``~/.cache/oncodyn``."""
    env = os.environ.get("ONCODYN_DATA_DIR")
    return Path(env) if env else Path.home() / ".cache" / "oncodyn"


def _download(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (http/file only)
            return resp.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(f"download failed ({reason}); download the file by hand and use "
                        f"--from PATH (fetch_laleh2022(source=PATH))", file=url) from None


def _form(blob: bytes, where: str) -> str:
    if blob[:4] == b"PK\x03\x04":
        return "xlsx"
    try:
        head = blob[:4096].decode("utf-8-sig").splitlines()[0]
    except (UnicodeDecodeError, IndexError):
        head = ""
    if all(c in head.split(",") for c in S1_COLUMNS):
        return "csv"
    raise DataError("neither the S1 xlsx nor its CSV form (expected a zip/xlsx file or a CSV "
                    f"with columns {list(S1_COLUMNS)})", file=where, row=1)


def _cell(v: object) -> str:
    """xlsx cell -> text as in the CSV form: integral numbers without '.0', text verbatim."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).upper()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def xlsx_to_csv_text(xlsx: Path) -> str:
    """Convert the S1 xlsx to the text of its CSV form (sheets stacked, ``sheet`` column first).

    Needs openpyxl (not a dependency of oncodyn): ``pip install openpyxl``. Integral numbers
    are written without a decimal part and text verbatim; the result is meant to match the CSV
    form but byte identity with oncodyn's copy is not guaranteed (never checked: see module
    docstring).
    """
    try:
        import openpyxl
    except ImportError:
        raise DataError("reading the xlsx needs openpyxl, which is not installed "
                        "(pip install openpyxl), or pass the CSV form with --from", file=str(xlsx)) from None
    try:
        book = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... for a bad workbook
        raise DataError(f"cannot read the xlsx: {exc}", file=str(xlsx)) from None
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    header: list[str] | None = None
    sheets = [s for s in S1_SHEETS if s in book.sheetnames]
    if not sheets:
        raise DataError(f"no sheet named {S1_SHEETS[0]}..{S1_SHEETS[-1]}; sheets are "
                        f"{book.sheetnames}", file=str(xlsx))
    for name in sheets:
        rows = book[name].iter_rows(values_only=True)
        head = [_cell(v) for v in next(rows, ())]
        while head and head[-1] == "":
            head.pop()
        if header is None:
            header = head
            writer.writerow(["sheet", *header])
        elif head != header:
            raise DataError(f"sheet header {head} differs from {header}", file=str(xlsx), column=name)
        for row in rows:
            cells = [_cell(v) for v in row[: len(header)]]
            if any(cells):
                writer.writerow([name, *cells])
    return buf.getvalue()


def _put_csv(out: Path, data: bytes) -> None:
    """Write the CSV form atomically, after checking that it loads (else nothing is written)."""
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
        read_laleh_s1(tmp, format="csv")


def fetch_laleh2022(dest: str | Path | None = None, *, source: str | Path | None = None,
                    url: str = PLOS_S1_URL, sha256: str | None = None, verify: bool = True,
                    timeout: float = 60.0) -> FetchResult:
    """Fetch the Laleh et al. (2022) S1 Data into ``dest`` as CSV, verifying its checksum.

    Parameters
    ----------
    dest : str or Path, optional
        Folder to write into (created); default ``default_data_dir() / "laleh2022"``.
    source : str or Path, optional
        A local copy (xlsx or CSV form) to use instead of downloading.
    url : str
        Where to download from (``http(s)://`` or ``file://``); default :data:`PLOS_S1_URL`.
    sha256 : str, optional
        Expected SHA-256 of the source bytes; default the known digest of its form
        (:data:`KNOWN_SHA256`; none is known for the xlsx form).
    verify : bool
        When True (default) a mismatch with the expected digest raises and nothing is written;
        when False it becomes a warning.
    timeout : float
        Download timeout in seconds.

    Returns
    -------
    FetchResult
        ``verified`` is True only when a known or given digest matched.

    Raises
    ------
    DataError
        Download failure, unrecognised content, checksum mismatch, unreadable xlsx (or openpyxl
        missing), or a CSV that :func:`oncodyn.data.read_laleh_s1` cannot read.
    """
    dest = default_data_dir() / "laleh2022" if dest is None else Path(dest)
    if source is not None:
        where = str(source)
        try:
            blob = Path(source).read_bytes()
        except FileNotFoundError:
            raise DataError("file not found", file=where) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", file=where) from None
    else:
        where = url
        blob = _download(url, timeout)
    form = _form(blob, where)
    digest = hashlib.sha256(blob).hexdigest()
    expected = sha256.lower().strip() if sha256 else KNOWN_SHA256[form]
    messages: list[str] = []
    if expected is None:
        messages.append(f"no known SHA-256 for the {form} form of the S1 Data: the file was NOT "
                        f"verified (its SHA-256 is {digest}; pass --sha256 to check it)")
    elif digest != expected:
        msg = f"SHA-256 mismatch: got {digest}, expected {expected}"
        if verify:
            raise DataError(msg + " (nothing written; pass --sha256 for another copy)", file=where)
        messages.append(msg + " (verification disabled, file kept)")
    verified = expected is not None and digest == expected
    for m in messages:
        warnings.warn(m, UnverifiedDataWarning, stacklevel=2)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create folder: {exc.strerror or exc}", file=str(dest)) from None
    out = dest / CSV_NAME
    xlsx_path = None
    if form == "xlsx":
        xlsx_path = dest / XLSX_NAME
        write_atomic(xlsx_path, lambda fh: fh.write(blob))
        _put_csv(out, xlsx_to_csv_text(xlsx_path).encode("utf-8"))
    else:
        _put_csv(out, blob)
    return FetchResult(path=out, source=where, source_format=form, sha256=digest,
                       verified=verified, warnings=tuple(messages), xlsx_path=xlsx_path)


POPLAR_CSV_NAME = "POPLAR_Clinical_Data.csv"
POPLAR_SHA256 = "243d22636dc1b37c473fe7ce4255aa9944249f3c5be0399bdd7d6aa09c3c7587"
"""SHA-256 of the CSV export of sheet ``POPLAR_Clinical_Data`` (287 rows, values verbatim as
text, ``.`` = missing) of the supplement of Gandara DR et al. (2018) Nat Med 24:1441
(``41591_2018_134_MOESM3_ESM.xlsx``, as redistributed in Genentech's jmpost ``data-raw/``)."""


def fetch_poplar(source: str | Path, dest: str | Path | None = None, *,
                 sha256: str | None = None, verify: bool = True) -> FetchResult:
    """Install a local copy of the POPLAR patient file where the simulator looks for it.

    The file is journal supplementary material whose licence is not stated, so oncodyn neither
    ships nor downloads it: give the CSV export (``source``). It is checked against
    :data:`POPLAR_SHA256` (or ``sha256``) and by reading it as a baseline pool, then written to
    ``dest`` (default :func:`default_data_dir` ``/poplar``), the folder
    :func:`oncodyn.patients.baseline.find_baseline_file` searches.

    Raises
    ------
    DataError
        Unreadable file, checksum mismatch (with ``verify``), or a file that is not the POPLAR
        table (missing columns). Nothing is written then.
    """
    from ..patients.baseline import load_baseline_pool

    where = str(source)
    try:
        blob = Path(source).read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", file=where) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", file=where) from None
    digest = hashlib.sha256(blob).hexdigest()
    expected = (sha256 or POPLAR_SHA256).lower().strip()
    messages: list[str] = []
    if digest != expected:
        msg = f"SHA-256 mismatch: got {digest}, expected {expected}"
        if verify:
            raise DataError(msg + " (nothing written; --no-verify keeps another export)",
                            file=where)
        messages.append(msg + " (verification disabled, file kept)")
    load_baseline_pool.cache_clear()
    load_baseline_pool(where, ("Docetaxel", "MPDL3280A"))  # columns and values check
    dest = default_data_dir() / "poplar" if dest is None else Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create folder: {exc.strerror or exc}", file=str(dest)) from None
    out = dest / POPLAR_CSV_NAME
    write_atomic(out, lambda fh: fh.write(blob))
    return FetchResult(path=out, source=where, source_format="csv", sha256=digest,
                       verified=digest == expected, warnings=tuple(messages))
