"""Linear-quadratic radiobiology (oncodyn.models.radiation) against textbook arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncodyn.errors import ConfigError
from oncodyn.models.radiation import (
    ContinuousLDR,
    Course,
    Fractionation,
    Repopulation,
    bed,
    bed_ldr,
    bed_permanent_implant,
    eqd2,
    fraction_survival,
    incomplete_repair_g,
    interval_survival,
    isoeffective_dose,
    sensitised_alpha,
    surviving_fraction,
    tcp_poisson,
    total_eqd2,
)

TIGHT = 1e-12  # the formulas are exact arithmetic: only floating-point rounding differs


def test_cervix_ebrt_plus_hdr_sums_to_84_gy():
    ebrt = Fractionation(25, 1.8)
    hdr = Fractionation(4, 7.0, modality="hdr", start_day=35, fractions_per_week=1)
    # 45*(1.8+10)/12 = 44.25 ; 28*(7+10)/12 = 39.666...
    assert math.isclose(float(ebrt.eqd2(10)), 44.25, rel_tol=TIGHT)
    assert math.isclose(float(hdr.eqd2(10)), 119 / 3, rel_tol=TIGHT)
    total = float(total_eqd2([ebrt, hdr], 10))
    assert math.isclose(total, 44.25 + 119 / 3, rel_tol=TIGHT)
    assert round(total, 1) == 83.9  # MODELS.md section 11; the "about 84 Gy"
    # organ at risk receiving 4 x 4.5 Gy, alpha/beta 3: 43.2 + 27.0 = 70.2 Gy3
    oar = float(total_eqd2([ebrt, Fractionation(4, 4.5, modality="hdr")], 3))
    assert math.isclose(oar, 70.2, rel_tol=TIGHT)
    assert math.isclose(float(Course((ebrt, hdr)).eqd2(10)), total, rel_tol=TIGHT)


def test_short_course_rectum():
    assert math.isclose(float(bed(5, 5, 10)), 37.5, rel_tol=TIGHT)
    assert math.isclose(float(eqd2(5, 5, 10)), 31.25, rel_tol=TIGHT)


@pytest.mark.parametrize("ab", [0.4, 1.5, 3.0, 10.0, 25.0, 1e4])
@pytest.mark.parametrize("n", [1, 17, 35])
def test_two_gy_fractions_eqd2_is_physical_dose(ab, n):
    assert math.isclose(float(eqd2(n, 2.0, ab)), 2.0 * n, rel_tol=TIGHT)


# MODELS.md section 11 table: (n, d, alpha/beta, quantity, printed value, printed decimals)
TABLE = [
    (3, 8.0, 10, "eqd2", 36.0, 1), (2, 9.0, 10, "eqd2", 28.5, 1),
    (28, 1.8, 10, "eqd2", 49.6, 1), (20, 2.75, 10, "eqd2", 58.4, 1),
    (32, 2.0, 10, "eqd2", 64.0, 1), (20, 2.75, 3, "eqd2", 63.3, 1),
    (1, 8.0, 10, "eqd2", 12.0, 1), (10, 3.0, 10, "eqd2", 32.5, 1),
    (3, 18.0, 10, "bed", 151.0, 0), (5, 10.0, 10, "bed", 100.0, 0),
    (25, 1.8, 3, "eqd2", 43.2, 1), (4, 4.5, 3, "eqd2", 27.0, 1),
]


@pytest.mark.parametrize("n,d,ab,quantity,printed,decimals", TABLE)
def test_models_md_table(n, d, ab, quantity, printed, decimals):
    value = float((eqd2 if quantity == "eqd2" else bed)(n, d, ab))
    # printed values are rounded: within half a unit of the last printed digit
    assert abs(value - printed) <= 0.5 * 10.0 ** -decimals + 1e-9


def test_repopulation_term():
    # MODELS.md section 11 consistency check: alpha 0.35, Tpot 3 d -> 0.66 Gy BED10/day,
    # 0.55 Gy EQD2/day (printed to 2 decimals)
    per_day = float(bed(35, 2, 10) - bed(35, 2, 10, T=29, Tk=28, Tpot=3, alpha=0.35))
    assert abs(per_day - 0.66) <= 0.005
    assert abs(per_day / 1.2 - 0.55) <= 0.005
    assert math.isclose(per_day, math.log(2) / (0.35 * 3), rel_tol=TIGHT)
    # no loss before the kick-off time
    assert float(bed(35, 2, 10, T=20, Tk=28, Tpot=3, alpha=0.35)) == float(bed(35, 2, 10))
    with pytest.raises(ConfigError, match="Tpot"):
        bed(35, 2, 10, T=40, Tk=28)
    # Course over 35 fractions, 5 per week: first to last fraction is 46 days
    ebrt = Fractionation(35, 2.0)
    assert ebrt.overall_time() == 46.0
    c = Course((ebrt,), repopulation=Repopulation(Tk=28, Tpot=3, alpha=0.35))
    want = 84.0 - math.log(2) * 18 / (0.35 * 3)
    assert math.isclose(float(c.bed(10)), want, rel_tol=TIGHT)


def test_ldr_limits_and_approximation():
    rate, hours, ab = 0.5, 120.0, 10.0
    dose = rate * hours
    # mu -> inf: complete repair, no quadratic term
    assert math.isclose(float(bed_ldr(rate, hours, ab, np.inf)), dose, rel_tol=TIGHT)
    # mu -> 0: no repair during delivery -> one acute fraction of the whole dose.
    # g(x) = 1 - x/3 + O(x^2): relative gap <= (x/3) * D/(ab + D) with x = mu*T
    mu = 1e-8
    acute = float(bed(1, dose, ab))
    gap = abs(float(bed_ldr(rate, hours, ab, mu)) - acute) / acute
    assert gap <= (mu * hours / 3) * dose / (ab + dose) * 1.01
    # large mu*T: the MODELS.md form R T [1 + 2R/(mu a/b)] exceeds the exact one by exactly
    # D * 2R/(mu a/b) * (1 - exp(-mu T))/(mu T)
    mu = 0.46
    approx = dose * (1 + 2 * rate / (mu * ab))
    exact = float(bed_ldr(rate, hours, ab, mu))
    diff = dose * 2 * rate / (mu * ab) * (-math.expm1(-mu * hours)) / (mu * hours)
    assert math.isclose(approx - exact, diff, rel_tol=1e-9)
    # the LDR object agrees with the function
    assert math.isclose(float(ContinuousLDR(rate, hours).bed(ab)), exact, rel_tol=TIGHT)


def test_incomplete_repair_factor_is_continuous_at_series_switch():
    x = np.array([1e-3 * (1 - 1e-9), 1e-3])
    g = incomplete_repair_g(x)
    # series truncation error at x = 1e-3 is O(x^3/60) ~ 2e-11
    assert abs(g[0] - g[1]) <= 1e-10
    assert incomplete_repair_g(0.0) == 1.0


def test_permanent_implant_equals_ldr_with_decay_limit():
    # with a very long half-life the implant is a constant rate for 1/lam hours:
    # BED -> (R0/lam)[1 + R0/(mu a/b)], the large-mu*T LDR form
    r0, mu, ab, hl = 0.07, 0.46, 10.0, 1e9
    lam = math.log(2) / hl
    got = float(bed_permanent_implant(r0, hl, ab, mu))
    assert math.isclose(got, (r0 / lam) * (1 + r0 / ((mu + lam) * ab)), rel_tol=TIGHT)
    assert got > r0 / lam


def test_isoeffect_formula():
    # 60 Gy in 2 Gy <-> total dose in 3 Gy fractions at alpha/beta 3: 60*5/6 = 50 Gy
    assert math.isclose(float(isoeffective_dose(60, 2, 3, 3)), 50.0, rel_tol=TIGHT)
    # isoeffective schedules have equal BED: total dose D2 in 7 Gy fractions has BED
    # D2 (1 + 7/10) (D2/7 need not be a whole number of fractions, which bed() refuses)
    D2 = float(isoeffective_dose(45, 1.8, 7, 10))
    assert math.isclose(D2 * (1 + 7 / 10), float(bed(25, 1.8, 10)), rel_tol=TIGHT)
    # converting to 2 Gy fractions is EQD2
    assert math.isclose(float(isoeffective_dose(28, 7, 2, 10)), float(eqd2(4, 7, 10)), rel_tol=TIGHT)


def test_surviving_fraction_and_tcp():
    s = surviving_fraction(2.0, 0.3, 0.03)
    assert math.isclose(float(s), math.exp(-0.72), rel_tol=TIGHT)
    # -ln S / d is linear in d with intercept alpha and slope beta
    d = np.array([1.0, 2.0, 4.0, 8.0])
    y = -np.log(surviving_fraction(d, 0.3, 0.03)) / d
    np.testing.assert_allclose(np.polyfit(d, y, 1), [0.03, 0.3], rtol=1e-10)
    # TCP = 1/2 exactly when N0 S = ln 2: choose n so that n(alpha d + beta d^2) = ln(N0/ln2)
    n0 = 1e9
    n = math.log(n0 / math.log(2)) / 0.72
    total_s = math.exp(-n * 0.72)
    assert math.isclose(float(tcp_poisson(n0, total_s)), 0.5, rel_tol=1e-12)
    assert float(tcp_poisson(n0, 1.0)) == 0.0  # exp(-1e9) underflows to 0


def test_fraction_survival_per_lesion():
    doses = Fractionation(5, 5.0).fraction_doses()
    alpha = np.array([[0.3, 0.2, 0.4], [0.3, 0.3, 0.3]])  # 2 patients x 3 lesions
    beta = alpha / 10
    mask = np.array([[True, False, True], [False, False, True]])
    s = fraction_survival(doses, alpha, beta, mask)
    assert s.shape == (2, 3, 5)
    np.testing.assert_array_equal(s[~mask], 1.0)
    np.testing.assert_allclose(s[0, 0], math.exp(-0.3 * 5 - 0.03 * 25), rtol=TIGHT)
    # radiosensitisation multiplies alpha only
    f = 1.2
    s_chemo = fraction_survival(doses, alpha, beta, mask, alpha_factor=f)
    np.testing.assert_allclose(np.log(s_chemo[0, 2]) - np.log(s[0, 2]), -(f - 1) * 0.4 * 5,
                               rtol=1e-12)
    assert math.isclose(float(sensitised_alpha(0.3)), 0.36, rel_tol=TIGHT)  # illustrative 1.2
    # product over a course equals the course's log survival
    course = Fractionation(25, 1.8)
    prod = fraction_survival(course.fraction_doses(), 0.3, 0.03).prod(axis=-1)
    assert math.isclose(float(np.log(prod)), float(course.log_survival(0.3, 0.03)), rel_tol=1e-12)


def test_interval_survival_on_a_weekly_grid():
    course = Fractionation(25, 2.0, start_day=3)
    t = course.fraction_times()
    assert t[-1] == 3 + 7 * 4 + 4
    s = fraction_survival(course.fraction_doses(), np.array([0.3, 0.1]), np.array([0.03, 0.01]),
                          np.array([True, True]))
    weekly = interval_survival(t, s, np.arange(0, 50, 7.0))
    assert weekly.shape == (2, 7)
    np.testing.assert_allclose(weekly.prod(axis=-1), s.prod(axis=-1), rtol=1e-12)
    # week 0 (days 0-6) holds fractions on days 3..6 -> 4 fractions
    np.testing.assert_allclose(weekly[:, 0], s[:, 0] ** 4, rtol=1e-12)
    np.testing.assert_allclose(weekly[:, -2], s[:, 0], rtol=1e-12)  # day 35: the last fraction
    np.testing.assert_array_equal(weekly[:, -1], 1.0)  # days 42-48: none


def test_bad_input_is_a_config_error():
    with pytest.raises(ConfigError, match="NxD"):
        Fractionation.parse("25 fractions")
    with pytest.raises(ConfigError, match="integer"):
        Fractionation.parse("2.5x2")
    assert Fractionation.parse("25 x 1.8 Gy") == Fractionation(25, 1.8)
    with pytest.raises(ConfigError, match="alpha/beta"):
        bed(5, 5, 0)
    with pytest.raises(ConfigError, match="dose per fraction"):
        Fractionation(5, -1)
    with pytest.raises(ConfigError):
        ContinuousLDR(0.5, -1)


def test_course_overall_time_spans_components():
    ebrt = Fractionation(25, 1.8, start_day=0)  # last fraction day 32
    ldr = ContinuousLDR(0.5, 48.0, start_day=40)  # removed on day 42
    c = Course((ebrt, ldr), repopulation=Repopulation(Tk=28, Tpot=3, alpha=0.35))
    assert c.overall_time() == 42.0
    want = float(ebrt.bed(10) + ldr.bed(10)) - math.log(2) * 14 / (0.35 * 3)
    assert math.isclose(float(c.bed(10)), want, rel_tol=TIGHT)
    np.testing.assert_array_equal(c.fraction_times()[-1:], [40.0])
    np.testing.assert_allclose(c.fraction_doses()[-1], 24.0)


def test_fraction_survival_of_an_ldr_component_matches_its_log_survival():
    ldr = ContinuousLDR(0.6, 40.0)
    c = Course((Fractionation(5, 2.0), ldr))
    s = fraction_survival(c.fraction_doses(), 0.3, 0.03, g=c.fraction_g())
    assert math.isclose(float(np.log(s[-1])), float(ldr.log_survival(0.3, 0.03)), rel_tol=1e-12)
    # protracted delivery spares cells compared with one acute fraction of the same dose
    assert s[-1] > float(surviving_fraction(24.0, 0.3, 0.03))
