"""``oncodyn radiation bed|eqd2``: linear-quadratic calculators (thin layer over the models).

Formulas and sources: :mod:`oncodyn.models.radiation`. Research and teaching software, not a
clinical decision tool.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError

app = typer.Typer(help="Radiotherapy calculators: BED and EQD2 (linear-quadratic model).",
                  no_args_is_help=True)

_DOSE = typer.Option("--dose-per-fraction", "-d", help="Dose per fraction, Gy.")
_FRACTIONS = typer.Option("--fractions", "-n", help="Number of fractions.")
_AB = typer.Option("--alpha-beta", help="alpha/beta ratio, Gy (10 tumour, 3 late tissue).")
_COURSE = typer.Option("--course", help="Course as NxD (N fractions of D Gy), repeatable: "
                       "--course 25x1.8 --course 4x7. Courses are summed.")
_T = typer.Option("--time", help="Overall treatment time T, days (repopulation).")
_TK = typer.Option("--tk", help="Kick-off time of repopulation Tk, days.")
_TPOT = typer.Option("--tpot", help="Potential doubling time Tpot, days.")
_ALPHA = typer.Option("--alpha", help="alpha, 1/Gy (repopulation term).")
_JSON = typer.Option("--json", help="Also write the result as JSON to this file.")


def _compute(dose: float | None, fractions: int | None, alpha_beta: float, course: list[str] | None,
             time: float | None, tk: float | None, tpot: float | None,
             alpha: float | None) -> dict:
    from ..models import radiation as rt

    parts: list[rt.Fractionation] = []
    if (dose is None) != (fractions is None):
        raise ConfigError("give --dose-per-fraction and --fractions together (or use --course NxD)")
    if dose is not None and fractions is not None:
        parts.append(rt.Fractionation(fractions, dose))
    parts += [rt.Fractionation.parse(c) for c in (course or [])]
    if not parts:
        raise ConfigError("nothing to compute: give --dose-per-fraction/--fractions or --course NxD")
    if not (alpha_beta > 0):
        raise ConfigError(f"--alpha-beta must be > 0 Gy, got {alpha_beta}")
    repop = [x is not None for x in (time, tk, tpot, alpha)]
    if any(repop) and not all(repop):
        raise ConfigError("repopulation needs --time, --tk, --tpot and --alpha together")
    loss = float(rt.repopulation_bed_loss(time, tk, tpot, alpha)) if all(repop) else 0.0
    summed = rt.summed_bed(parts, alpha_beta, loss)  # per-course and summed BED, >= 0
    rows = [{"fractions": p.n_fractions, "dose_per_fraction_gy": p.dose_per_fraction, **r}
            for p, r in zip(parts, summed["courses"], strict=True)]
    total_bed = summed["bed_gy"]
    if not (math.isfinite(total_bed) and all(math.isfinite(r["total_dose_gy"]) for r in rows)):
        raise ConfigError("the dose is too large to compute (overflow); check --course / "
                          "--dose-per-fraction / --fractions")
    return {
        "alpha_beta_gy": alpha_beta,
        "courses": rows,
        "repopulation": ({"time_days": time, "tk_days": tk, "tpot_days": tpot, "alpha_per_gy": alpha,
                          "bed_loss_gy": loss} if all(repop) else None),
        "bed_gy": total_bed,
        "eqd2_gy": summed["eqd2_gy"],
        "formula": {"bed": "BED = n d (1 + d/(a/b)) - ln2 max(T - Tk, 0)/(alpha Tpot), floored at 0",
                    "eqd2": "EQD2 = BED / (1 + 2/(a/b))",
                    "source": "Fowler JF, Br J Radiol 1989;62:679 (LQ); EQD2 summed over courses"},
    }


def _print(result: dict, quantity: str) -> None:
    from rich.console import Console

    con = Console()
    ab = result["alpha_beta_gy"]
    con.print(f"[bold]{quantity.upper()}[/] at alpha/beta = {ab:g} Gy")
    con.print(f"  {result['formula']['bed']}")
    if quantity == "eqd2":
        con.print(f"  {result['formula']['eqd2']}")
    for r in result["courses"]:
        n, d = r["fractions"], r["dose_per_fraction_gy"]
        line = f"  {n} x {d:g} Gy: BED = {n}*{d:g}*(1 + {d:g}/{ab:g}) = {r['bed_gy']:.2f} Gy"
        if quantity == "eqd2":
            line += f", EQD2 = {r['eqd2_gy']:.2f} Gy"
        con.print(line)
    rep = result["repopulation"]
    if rep is not None:
        con.print(f"  repopulation: ln2*max({rep['time_days']:g} - {rep['tk_days']:g}, 0)/"
                  f"({rep['alpha_per_gy']:g}*{rep['tpot_days']:g}) = {rep['bed_loss_gy']:.2f} Gy BED")
    value = result[f"{quantity}_gy"]
    con.print(f"[bold]{quantity.upper()} total = {value:.2f} Gy[/]")
    if rep is not None and result["bed_gy"] == 0.0:
        con.print("  repopulation outweighs the dose: BED floored at 0 Gy (no negative dose)")
    con.print("  (research and teaching software, not a clinical decision tool)")


def _check_json_path(json_out: Path | None) -> None:
    """--json must name a file in an existing, writable folder (checked before computing)."""
    from ..errors import DataError

    if json_out is None:
        return
    out = Path(json_out)
    if out.is_dir():
        raise DataError("--json names a folder; give a file name", file=str(out))
    parent = out.absolute().parent
    if not parent.is_dir():
        raise DataError("--json: folder does not exist", file=str(parent))
    if not os.access(parent, os.W_OK):
        raise DataError("--json: folder is not writable", file=str(parent))


def _run(quantity: str, dose, fractions, alpha_beta, course, time, tk, tpot, alpha, json_out) -> None:
    from ..data.writers import write_atomic
    from ..errors import DataError

    _check_json_path(json_out)
    result = _compute(dose, fractions, alpha_beta, course, time, tk, tpot, alpha)
    if json_out is not None:
        result["quantity"] = quantity
        text = (json.dumps(result, indent=2) + "\n").encode("utf-8")
        try:
            write_atomic(Path(json_out), lambda fh: fh.write(text))
        except OSError as exc:
            raise DataError(f"cannot write: {exc.strerror or exc}", file=str(json_out)) from None
    _print(result, quantity)


@app.command("bed")
def bed_cmd(
    alpha_beta: Annotated[float, _AB],
    dose: Annotated[float | None, _DOSE] = None,
    fractions: Annotated[int | None, _FRACTIONS] = None,
    course: Annotated[list[str] | None, _COURSE] = None,
    time: Annotated[float | None, _T] = None,
    tk: Annotated[float | None, _TK] = None,
    tpot: Annotated[float | None, _TPOT] = None,
    alpha: Annotated[float | None, _ALPHA] = None,
    json_out: Annotated[Path | None, _JSON] = None,
) -> None:
    """Biologically effective dose of one or more courses (summed)."""
    _run("bed", dose, fractions, alpha_beta, course, time, tk, tpot, alpha, json_out)


@app.command("eqd2")
def eqd2_cmd(
    alpha_beta: Annotated[float, _AB],
    dose: Annotated[float | None, _DOSE] = None,
    fractions: Annotated[int | None, _FRACTIONS] = None,
    course: Annotated[list[str] | None, _COURSE] = None,
    time: Annotated[float | None, _T] = None,
    tk: Annotated[float | None, _TK] = None,
    tpot: Annotated[float | None, _TPOT] = None,
    alpha: Annotated[float | None, _ALPHA] = None,
    json_out: Annotated[Path | None, _JSON] = None,
) -> None:
    """Equivalent dose in 2-Gy fractions of one or more courses (e.g. EBRT + HDR, summed)."""
    _run("eqd2", dose, fractions, alpha_beta, course, time, tk, tpot, alpha, json_out)
