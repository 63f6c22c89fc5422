"""Standard errors and the likelihood of a population fit.

Standard errors (``cov``): Louis' observed information (Louis TA 1982, J R Stat Soc B 44:226),
the method of Monolix's stochastic-approximation Fisher information (Kuhn & Lavielle 2005):

    I = sum_i ( E[-d2/dtheta2 log p(y_i, phi_i; theta) | y_i] - Cov[d/dtheta log p(y_i, phi_i;
        theta) | y_i] )

with the conditional moments taken over posterior draws of phi_i at the estimates. The
complete-data scores are analytic for the fixed effects of parameters with a random effect and
for Omega, central differences for the residual error and for fixed effects of parameters
without a random effect; the Hessian term is the central difference of the summed scores.
cov = I^-1; typical values on the natural scale by the delta method.

Robust standard errors (``cov_robust``): the sandwich I^-1 J I^-1 with J the outer product of
the individual observed-data scores Delta_i = E[score_i | y_i] (Fisher's identity; Delattre M,
Kuhn E 2019, arXiv:1909.06094 use J alone as an information estimate), J corrected for the Monte
Carlo error of each Delta_i with the between-chain variance of the chain means. Under the model
I and J agree; with heavier-tailed data than Gaussian (real tumour measurements have outliers)
J grows with the kurtosis and the sandwich gives the honest, larger, standard errors, mostly for
the residual-error parameters. Checked against the exact information of a linear mixed model
(statsmodels MixedLM) and by interval coverage over simulated replicates.

-2LL: importance sampling (the Monolix method, Lavielle 2014, *Mixed Effects Models for the
Population Approach*, CRC, sec. 9.3): for each series, draws from a Student t (5 degrees of
freedom) centred at the conditional mean with the conditional covariance of phi_i;
L_i = mean of p(y_i | phi) p(phi) / q(phi). Its Monte Carlo standard error is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln, logsumexp

from ._error import ErrorModel, error_params, obs_loglik
from ._mcmc import Problem

NU = 5.0
"""Degrees of freedom of the importance-sampling proposal (Monolix default)."""


@dataclass(frozen=True)
class Information:
    labels: tuple[str, ...]
    estimates: np.ndarray
    cov: np.ndarray
    messages: tuple[str, ...] = field(default_factory=tuple)
    cov_robust: np.ndarray | None = None

    @property
    def se(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.cov))


def parameter_layout(names: tuple[str, ...], xs: list[np.ndarray], term_labels: list[list[str]],
                     is_random: np.ndarray, omega_kind: str, err_kind: str) -> list[str]:
    """Labels of the estimated population parameters, in the order of the covariance."""
    labels = []
    for k, nm in enumerate(names):
        labels.append(f"mu_{nm}")
        labels.extend(f"beta_{nm}_{lab}" for lab in term_labels[k])
    r = np.flatnonzero(is_random)
    for a in r:
        labels.append(f"omega2_{names[a]}")
    if omega_kind == "full":
        for i, a in enumerate(r):
            for b in r[i + 1:]:
                labels.append(f"omega_{names[a]}_{names[b]}")
    labels.extend(error_params(err_kind))
    return labels


def _complete_scores(prob: Problem, phi: np.ndarray, xs: list[np.ndarray],
                     beta: list[np.ndarray], omega: np.ndarray, is_random: np.ndarray,
                     omega_kind: str, err: ErrorModel) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of log p(y_i, phi_i; theta) per draw and series (M, N, P), and theta.

    ``phi`` (M, N, d): draws; the components without random effect are set to X_i beta.
    """
    d = phi.shape[-1]
    r = np.flatnonzero(is_random)
    mean = np.column_stack([x @ b for x, b in zip(xs, beta, strict=True)])
    phi = phi.copy()
    phi[..., ~is_random] = mean[..., ~is_random]
    grads: list[np.ndarray] = []
    est: list[float] = []
    if r.size:
        oinv = np.linalg.inv(omega[np.ix_(r, r)])
        v = (phi[..., r] - mean[..., r]) @ oinv                       # (M, N, kr)
    f = prob.predict(phi)

    def ll_of(fv: np.ndarray, e: ErrorModel) -> np.ndarray:
        return obs_loglik(prob.y, fv, e.sd(fv), prob.valid, prob.cens, prob.lloq).sum(-1)

    for k in range(d):
        est.extend(beta[k].tolist())
        if is_random[k]:
            kr = int(np.flatnonzero(r == k)[0])
            grads.append(v[..., kr, None] * xs[k][None])
        else:
            h = 1e-5
            e = np.zeros(d)
            e[k] = h
            dl = (ll_of(prob.predict(phi + e), err) - ll_of(prob.predict(phi - e), err)) / (2 * h)
            grads.append(dl[..., None] * xs[k][None])
    if r.size:
        g_om = 0.5 * (np.einsum("mna,mnb->mnab", v, v) - oinv)
        for i in range(r.size):
            grads.append(g_om[..., i, i, None])
            est.append(float(omega[r[i], r[i]]))
        if omega_kind == "full":
            for i in range(r.size):
                for j in range(i + 1, r.size):
                    grads.append(2.0 * g_om[..., i, j, None])
                    est.append(float(omega[r[i], r[j]]))
    for pname in error_params(err.kind):
        val = getattr(err, pname)
        h = 1e-5 * max(val, 1e-8)
        up = ErrorModel(err.kind, **{**err.as_dict(), pname: val + h})
        dn = ErrorModel(err.kind, **{**err.as_dict(), pname: val - h})
        grads.append(((ll_of(f, up) - ll_of(f, dn)) / (2 * h))[..., None])
        est.append(float(val))
    return np.concatenate(grads, axis=-1), np.asarray(est, float)


def _unpack(vec: np.ndarray, xs: list[np.ndarray], omega: np.ndarray, is_random: np.ndarray,
            omega_kind: str, err: ErrorModel) -> tuple[list[np.ndarray], np.ndarray, ErrorModel]:
    """(beta, Omega, error) from a parameter vector laid out as :func:`parameter_layout`."""
    pos = 0
    beta = []
    for x in xs:
        beta.append(vec[pos:pos + x.shape[1]].copy())
        pos += x.shape[1]
    om = omega.copy()
    r = np.flatnonzero(is_random)
    for a in r:
        om[a, a] = vec[pos]
        pos += 1
    if omega_kind == "full":
        for i, a in enumerate(r):
            for b in r[i + 1:]:
                om[a, b] = om[b, a] = vec[pos]
                pos += 1
    vals = dict(zip(error_params(err.kind), vec[pos:], strict=True))
    return beta, om, ErrorModel(err.kind, **{k: float(v) for k, v in vals.items()})


def _omega_pair(label: str, names: tuple[str, ...]) -> tuple[str, str]:
    """The two parameter names of an ``omega2_<a>`` or ``omega_<a>_<b>`` label."""
    if label.startswith("omega2_"):
        a = label[len("omega2_"):]
        return a, a
    rest = label[len("omega_"):]
    for a in names:
        if rest.startswith(a + "_") and rest[len(a) + 1:] in names:
            return a, rest[len(a) + 1:]
    raise ValueError(f"not an omega label: {label}")


def _inverse(info: np.ndarray) -> np.ndarray | None:
    info = 0.5 * (info + info.T)
    w = np.linalg.eigvalsh(info)
    if not np.all(np.isfinite(w)) or w[0] <= 1e-12 * max(w[-1], 1e-300):
        return None
    return np.linalg.inv(info)


def score_information(prob: Problem, draws: np.ndarray, n_chains: int, xs: list[np.ndarray],
                      beta: list[np.ndarray], omega: np.ndarray, is_random: np.ndarray,
                      omega_kind: str, err: ErrorModel, *,
                      term_labels: list[list[str]] | None = None) -> Information:
    """Covariance of the population estimates (module docstring): Louis' observed information
    (``cov``) and the sandwich with the score outer product (``cov_robust``)."""
    n, m_draws, d = draws.shape
    names = prob.model.param_names
    if term_labels is None:
        term_labels = [[f"x{j}" for j in range(1, x.shape[1])] for x in xs]
    labels = parameter_layout(names, xs, term_labels, is_random, omega_kind, err.kind)
    phi = draws.transpose(1, 0, 2)                                   # (M, N, d)
    g, est = _complete_scores(prob, phi, xs, beta, omega, is_random, omega_kind, err)
    p = g.shape[-1]
    msgs: list[str] = []
    fin = np.all(np.isfinite(g), axis=(0, 2))
    if not fin.all():
        msgs.append(f"{int((~fin).sum())} series with non-finite scores left out of the "
                    "standard errors")
    # score outer product, corrected for the Monte Carlo error of each Delta_i
    keep = m_draws // n_chains
    gc = g[: keep * n_chains, fin].reshape(keep, n_chains, int(fin.sum()), p)
    chain_means = gc.mean(axis=0)                                     # (C, N, P)
    s_i = chain_means.mean(axis=0)                                    # (N, P)
    total = s_i.sum(axis=0)
    opg = s_i.T @ s_i - np.outer(total, total) / max(s_i.shape[0], 1)
    if n_chains >= 2:
        dev = chain_means - s_i[None]
        corrected = opg - np.einsum("cnp,cnq->pq", dev, dev) / (n_chains - 1) / n_chains
        if np.all(np.linalg.eigvalsh(0.5 * (corrected + corrected.T)) > 0):
            opg = corrected
    # Louis: -E[Hessian of the complete log-likelihood] - sum_i Cov(score_i | y_i); the
    # Hessian by central differences of the summed analytic/numeric complete-data scores
    hess = np.zeros((p, p))
    r = np.flatnonzero(is_random)
    steps = np.full(p, 1e-4)                                          # fixed effects
    for j, lab in enumerate(labels):
        if lab.startswith("omega"):
            a, b = (names.index(x) for x in _omega_pair(lab, names))
            steps[j] = 1e-4 * np.sqrt(omega[a, a] * omega[b, b])
        elif lab in error_params(err.kind):
            steps[j] = 1e-4 * max(est[j], 1e-8)
    del r
    for j in range(p):
        h = steps[j]
        cols = []
        for sign in (1.0, -1.0):
            vec = est.copy()
            vec[j] += sign * h
            b_j, om_j, err_j = _unpack(vec, xs, omega, is_random, omega_kind, err)
            g_j, _ = _complete_scores(prob, phi, xs, b_j, om_j, is_random, omega_kind, err_j)
            cols.append(g_j[:, fin].mean(axis=0).sum(axis=0))
        hess[:, j] = (cols[0] - cols[1]) / (2 * h)
    gf = g[:, fin]
    dev = gf - gf.mean(axis=0)
    within = np.einsum("mnp,mnq->pq", dev, dev) / max(m_draws - 1, 1)
    louis = -0.5 * (hess + hess.T) - within
    cov = _inverse(louis)
    opg_inv = _inverse(opg)
    if cov is None:
        msgs.append("Louis' information is not positive definite: standard errors from the "
                    "score outer product instead")
        cov = opg_inv
    if cov is None:
        msgs.append("Fisher information is singular: standard errors not available (a "
                    "parameter is not identifiable from these data; fix it or drop its "
                    "random effect)")
        nan = np.full((p, p), np.nan)
        return Information(tuple(labels), est, nan, tuple(msgs), nan)
    robust = cov @ opg @ cov
    return Information(tuple(labels), est, cov, tuple(msgs), robust)


def importance_minus2ll(prob: Problem, draws: np.ndarray, mean: np.ndarray, omega: np.ndarray,
                        rdims: np.ndarray, err: ErrorModel, rng: np.random.Generator, *,
                        n_draws: int = 1000, chunk: int = 200) -> tuple[float, float]:
    """-2 log-likelihood by importance sampling, and its Monte Carlo standard error."""
    n, _, d = draws.shape
    if rdims.size == 0:
        ll, _ = prob.loglik(mean, err)
        return float(-2 * ll.sum()), 0.0
    k = rdims.size
    mu = draws[..., rdims].mean(axis=1)                               # (N, k)
    dev = draws[..., rdims] - mu[:, None]
    cov = np.einsum("nma,nmb->nab", dev, dev) / max(draws.shape[1] - 1, 1)
    om = omega[np.ix_(rdims, rdims)]
    # floor the proposal at 1e-4 of the population variance (a chain that never moved)
    cov = cov + np.diag(1e-4 * np.diag(om))[None]
    chol = np.linalg.cholesky(cov)
    logdet_q = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    om_inv = np.linalg.inv(om)
    logdet_om = np.linalg.slogdet(om)[1]
    c_t = gammaln((NU + k) / 2) - gammaln(NU / 2) - 0.5 * k * np.log(NU * np.pi)
    logw_all = []
    base = np.broadcast_to(mean, (1, n, d))
    for start in range(0, n_draws, chunk):
        mch = min(chunk, n_draws - start)
        z = rng.standard_normal((mch, n, k))
        wchi = rng.chisquare(NU, size=(mch, n, 1))
        x = z * np.sqrt(NU / wchi)
        phi_r = mu[None] + np.einsum("nab,mnb->mna", chol, x)
        phi = np.broadcast_to(base, (mch, n, d)).copy()
        phi[..., rdims] = phi_r
        ll, _ = prob.loglik(phi, err)
        dm = phi_r - mean[None][..., rdims]
        lprior = -0.5 * (np.einsum("mna,ab,mnb->mn", dm, om_inv, dm) + logdet_om
                         + k * np.log(2 * np.pi))
        quad = np.einsum("mna,mna->mn", x, x)
        lq = c_t - 0.5 * logdet_q[None] - 0.5 * (NU + k) * np.log1p(quad / NU)
        logw_all.append(ll + lprior - lq)
    logw = np.concatenate(logw_all, axis=0)                           # (M, N)
    logw = np.where(np.isfinite(logw), logw, -np.inf)
    lse = logsumexp(logw, axis=0)
    log_li = lse - np.log(logw.shape[0])
    # relative variance of the mean weight per series -> delta-method SE of sum log L_i
    with np.errstate(all="ignore"):
        wn = np.exp(logw - lse[None])                                 # normalised, sums to 1
        rel_var = (logw.shape[0] * np.sum(wn**2, axis=0) - 1.0) / logw.shape[0]
    se = 2.0 * float(np.sqrt(np.nansum(rel_var)))
    return float(-2.0 * log_li.sum()), se
