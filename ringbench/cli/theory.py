"""``ringbench theory``: m*, R*, tau_h^{m*} and every method's predicted time against the lower bound."""

import json

from .. import _validate, experiments, theory, timing
from ..formatting import text_table

_FORMULA = "min_m tau_h^m (L Delta/eps + sigma^2 L Delta/(m eps^2))"


def register(commands):
    parser = commands.add_parser("theory")  # its one-line help: cli.COMMANDS
    parser.add_argument("--timing", default="paper", metavar="PROFILE",
                        help=f"timing profile: {', '.join(timing.PROFILES)}; tau_i are its expected durations "
                             "(default: %(default)s)")
    parser.add_argument("--n", type=int, default=experiments.PAPER_N, help="number of workers (default: %(default)s)")
    parser.add_argument("--eps", type=float, required=True, help="target for E||grad f||^2")
    parser.add_argument("--sigma2", type=float,
                        help="noise variance sigma^2 (default: the paper's quadratic's, 0.1729)")
    parser.add_argument("--L", type=float, dest="L", help="smoothness L (default: the paper's quadratic's)")
    parser.add_argument("--delta", type=float, help="f(x0) - f* (default: the paper's quadratic's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=handle, uses_cache=False)


def report(tau, L, Delta, sigma2, eps):
    """Everything the command prints, as a JSON-ready dict."""
    R = theory.threshold(sigma2, eps)
    m_star = theory.optimal_workers(tau, sigma2, eps)
    means = theory.harmonic_means(tau)
    bound = theory.lower_bound(tau, L, Delta, sigma2, eps)
    guarantees = theory.guaranteed_times(tau, L, Delta, sigma2, eps)
    homogeneous = {name: {"time": time, "ratio": time / bound, "guarantee": guarantees.get(name)}
                   for name, time in theory.homogeneous_times(tau, L, Delta, sigma2, eps).items()}
    heterogeneous_bound = theory.heterogeneous_lower_bound(tau, L, Delta, sigma2, eps)
    heterogeneous = {name: {"time": time, "ratio": time / heterogeneous_bound}
                     for name, time in theory.heterogeneous_times(tau, L, Delta, sigma2, eps).items()}
    return {"n": int(tau.size), "L": L, "Delta": Delta, "sigma2": sigma2, "eps": eps, "R": R, "S": R,
            "m_star": m_star, "tau_h_m_star": float(means[m_star - 1]), "tau_h_n": float(means[-1]),
            "window_bound": theory.update_window_bound(tau, R), "lower_bound": bound, "homogeneous": homogeneous,
            "heterogeneous_lower_bound": heterogeneous_bound, "heterogeneous": heterogeneous}


def _text(facts, profile):
    lines = [
        f"tau_i: expected job durations of the {profile!r} timing profile, n = {facts['n']}",
        (f"L = {facts['L']:.6g}, Delta = f(x0) - f* = {facts['Delta']:.6g}, sigma^2 = {facts['sigma2']:.6g}, "
         f"eps = {facts['eps']:g}"),
        f"R* = max{{1, ceil(sigma^2/eps)}} = {facts['R']} (Rennala's S = {facts['S']})",
        f"m* = {facts['m_star']}; tau_h^m* = {facts['tau_h_m_star']:.4g} s (tau_h^n = {facts['tau_h_n']:.4g} s)",
        f"Lemma 4.1: any R* consecutive Ringmaster updates take at most t(R*) = {facts['window_bound']:.4g} s",
        f"lower bound {_FORMULA} = {facts['lower_bound']:.4g} s",
        "predicted times: the papers' complexities with constant 1; guarantee: with the papers' constants [R]",
        "",
    ]
    rows = [("homogeneous (D.1)", "predicted (s)", "/ lower bound", "guarantee (s)")]
    for name, row in facts["homogeneous"].items():
        guarantee = "-" if row["guarantee"] is None else f"{row['guarantee']:.4g}"
        rows.append((name, f"{row['time']:.4g}", f"{row['ratio']:.3f}", guarantee))
    rows.append(("", "", "", ""))
    rows.append((f"heterogeneous (D.2), lower bound {facts['heterogeneous_lower_bound']:.4g} s", "", "", ""))
    for name, row in facts["heterogeneous"].items():
        rows.append((name, f"{row['time']:.4g}", f"{row['ratio']:.3f}", ""))
    lines += text_table(rows, rule=False)
    return "\n".join(lines)


def handle(args):
    eps = args.eps
    sigma2 = args.sigma2 if args.sigma2 is not None else experiments.PAPER_D * experiments.PAPER_NOISE_STD**2
    theory.threshold(sigma2, eps)  # validates both before any other work
    n = _validate.count("--n", args.n, bytes_each=_validate.WORKER_BYTES)
    tau = timing.profile(args.timing, n).expected_durations()
    # Delta = 0 starts at the optimum: every time and the lower bound are 0, and their ratios undefined.
    L = None if args.L is None else _validate.real("--L", args.L, positive=True)
    Delta = None if args.delta is None else _validate.real("--delta", args.delta, positive=True)
    if L is None or Delta is None:
        paper = experiments.paper_problem()
        L = paper.L if L is None else L
        Delta = paper.initial_gap() if Delta is None else Delta
    facts = report(tau, L, Delta, sigma2, eps)
    print(json.dumps({"timing": args.timing, **facts}, indent=2) if args.json else _text(facts, args.timing))
    return 0
