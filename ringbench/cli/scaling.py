"""``ringbench scaling``: time to eps against n for every method in theory mode, beside the theory."""

import json
from pathlib import Path

from .. import plotting, scaling, theory, timing
from .common import INTERRUPTED


def register(commands):
    parser = commands.add_parser("scaling", help="time to eps as workers are added: measured against predicted")
    parser.add_argument("--timing", default="sqrt", metavar="PROFILE",
                        help=f"timing profile: {', '.join(timing.PROFILES)} (default: %(default)s)")
    parser.add_argument("--ns", default=",".join(map(str, scaling.DEFAULT_NS)),
                        help="comma-separated worker counts (default: %(default)s)")
    parser.add_argument("--methods", default=",".join(theory.HOMOGENEOUS),
                        help="comma-separated methods (default: %(default)s)")
    parser.add_argument("--eps", type=float, default=scaling.DEFAULT_EPS,
                        help="target for ||grad f||^2 and theory-mode eps (default: %(default)s)")
    parser.add_argument("--sigma2", type=float, default=scaling.DEFAULT_SIGMA2,
                        help="noise variance sigma^2 (default: %(default)s)")
    parser.add_argument("--d", type=int, default=scaling.DEFAULT_D, help="dimension (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per point, median taken (default: %(default)s)")
    parser.add_argument("--budget", type=float, default=10.0,
                        help="stop a run at this many times its predicted time (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("results"),
                        help="directory for scaling.json, scaling.txt and scaling.png (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=handle)


def _list(text, convert):
    return [convert(item.strip()) for item in text.split(",") if item.strip()]


def handle(args):
    try:
        ns = _list(args.ns, int)
    except ValueError:
        raise ValueError(f"ns must be comma-separated integers, got {args.ns!r}") from None
    names = _list(args.methods, str)
    problem = scaling.problem(args.d, args.sigma2)
    try:
        rows = scaling.study(problem, args.timing, ns, eps=args.eps, names=names, seeds=args.seeds,
                             budget=args.budget, progress=not args.quiet)
    except KeyboardInterrupt:
        return INTERRUPTED
    heading = (f"{problem!r}, isotropic noise; {args.timing} timing; eps = {args.eps:g} "
               f"(R = S = {theory.threshold(problem.sigma2, args.eps)}); median of {args.seeds} seed(s)")
    table = scaling.format_table(rows)
    print(heading)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling.txt").write_text(f"{heading}\n{table}\n")
    (args.out / "scaling.json").write_text(json.dumps(
        {"problem": problem.describe(), "timing": args.timing, "eps": args.eps, "seeds": args.seeds,
         "budget": args.budget, "rows": rows,
         "bands": {name: list(band) for name, band in scaling.bands(rows).items()}}, indent=2))
    plot = plotting.save(scaling.plot(rows, title=heading), args.out / "scaling.png")
    print(f"wrote {args.out / 'scaling.txt'}, {args.out / 'scaling.json'} and {plot}")
    return 0
