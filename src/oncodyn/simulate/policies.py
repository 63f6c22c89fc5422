"""Adaptive treatment policies applied at each scan (split from :mod:`.engine`)."""

from __future__ import annotations

from .recist_arrays import PD

# event codes (shared with the engine's event log)
EV = {"toxicity": 1, "dose_reduced": 2, "dose_delayed": 3, "discontinued_toxicity": 4, "switch": 5,
      "pause": 6, "resume": 7, "progression": 8, "death": 9, "stop_at_pd": 10,
      "withdrawal": 11}
EV_NAMES = {v: k for k, v in EV.items()}


def apply_policy(kind, pol, t, seen, ov, first_pd, pct, sod, nadir, base, active, paused, line,
                  next_dose, level, n_red, first_dose, dose_mg, cycle, kill, S, R, sc, event):
    """Adaptive policies acting at a scan (in place on the treatment-state arrays).

    ``kill``, ``S`` and ``R`` are lesion-major (L, n); the other arrays are per patient (n,).

    * ``continue``: treat on schedule whatever the response;
    * ``stop_at_pd``: stop at the first progression (standard trial conduct);
    * ``switch_at_pd``: at the first PD switch to the second line: cells resistant to line 1 are
      sensitive to line 2 except a cross-resistant fraction, i.e. S' = S + (1 - c) R, R' = c R,
      and the lesion kill scales by kill2/kill1; a later PD stops treatment;
    * ``holiday_after_response``: pause at PR (<= -30%), resume when SOD >= 120% of nadir or on PD;
    * ``adaptive``: Zhang J et al. (2017) Nat Commun 8:1816: pause when SOD <= 50% of baseline,
      resume when it returns to baseline (fractions configurable).
    """
    on = active & ~paused & seen
    if kind == "stop_at_pd":
        stop = active & seen & (ov == PD)
        event(stop, float(t), EV["stop_at_pd"])
        active &= ~stop
    elif kind == "switch_at_pd":
        sw = active & seen & (ov == PD) & (line == 1)
        stop = active & seen & (ov == PD) & (line == 2) & ~sw
        if sw.any():
            c = sc.second_line.cross_resistance
            S[:, sw] = S[:, sw] + (1 - c) * R[:, sw]
            R[:, sw] = c * R[:, sw]
            ratio = sc.second_line.kill_per_dose / max(sc.response.kill_per_dose, 1e-12)
            kill[:, sw] *= ratio
            line[sw] = 2
            dose_mg[sw] = sc.second_line.dose_mg_m2
            cycle[sw] = sc.second_line.cycle_days
            level[sw] = 1.0
            n_red[sw] = 0
            next_dose[sw] = t
            paused[sw] = False
            event(sw, float(t), EV["switch"])
        active &= ~stop
    elif kind == "holiday_after_response":
        pause = on & (pct <= -0.30) & (ov != PD)
        resume = active & paused & seen & ((sod >= 1.2 * nadir) | (ov == PD))
        paused[pause] = True
        paused[resume] = False
        next_dose[resume] = t
        event(pause, float(t), EV["pause"])
        event(resume, float(t), EV["resume"])
    elif kind == "adaptive":
        pause = on & (sod <= pol.pause_fraction * base)
        resume = active & paused & seen & (sod >= pol.resume_fraction * base)
        paused[pause] = True
        paused[resume] = False
        next_dose[resume] = t
        event(pause, float(t), EV["pause"])
        event(resume, float(t), EV["resume"])
