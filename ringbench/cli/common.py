"""Pieces shared by the subcommands: the common options, and building a problem from them."""

import inspect
import re
import sys

from .. import _validate, datasets, experiments, methods, timing
from ..problems import registry as problem_registry
from ..problems import splits
from .parser import (
    INTERRUPTED,  # noqa: F401  (re-exported: the subcommands import it from here)
    path,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_TARGET = 1e-3
PROBLEMS = tuple(problem_registry.PROBLEMS)
PROBLEM_GROUP = "problem options"
#: Problem options whose destination is not the name of the builder parameter they set.
_PARAMETER_OF = {"data_path": "path", "without_replacement": "replacement", "alpha": "split",
                 "no_download": "path"}


def add_common(parser):
    """Options every simulating subcommand takes: workers, dimension, timing, budget, seed, output.

    ``--n``, ``--t-max`` and ``--target`` default to None: the subcommand fills in the
    setting's values.
    """
    parser.add_argument("--n", type=int, help="number of workers (default: the setting's)")
    problem_group(parser).add_argument("--d", type=int, default=experiments.PAPER_D,
                        help="quadratic: dimension (default: %(default)s)")
    parser.add_argument("--timing", metavar="PROFILE",
                        help=f"timing profile: {', '.join(timing.PROFILES)} (default: the setting's)")
    parser.add_argument("--t-max", type=float, help="simulated-time budget in seconds (default: the setting's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--target", type=float, help="||grad f||^2 level for the time-to-target column "
                                                     "(default: the setting's)")
    parser.add_argument("--out", type=path, help="directory to write results into")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    away = parser.add_mutually_exclusive_group()
    away.add_argument("--availability", type=path, metavar="FILE.csv",
                      help="workers offline on the intervals of this CSV (rows worker,start,end in seconds): a job in "
                           "flight when its worker drops is lost, the worker rejoins with a fresh job")
    away.add_argument("--offline", metavar="MEAN_ON,MEAN_OFF",
                      help="workers alternately online and offline for exponential times of these means (seconds), "
                           "drawn from --seed up to --t-max; as --availability otherwise")
    parser.add_argument("--shared-slowdown", metavar="job|SECONDS",
                        help="random profiles (paper, ringleader): one slowdown shared by all workers, per job index "
                             "(job) or per window of this many seconds, instead of independent draws")
    parser.add_argument("--download", type=float, metavar="SECONDS",
                        help="time to send the iterate to a worker, every worker and job (default: 0)")
    parser.add_argument("--upload", type=float, metavar="SECONDS",
                        help="time to send a gradient back to the server, every worker and job (default: 0)")
    parser.add_argument("--cap", type=int, metavar="C",
                        help=f"at most C workers compute at once (methods {', '.join(methods.CAPPABLE)})")


def capped(args, method):
    """``method`` under the concurrency cap of ``--cap``, if given (an error for a method it does not apply to)."""
    if args.cap is None:
        return method
    try:
        return methods.Capped(method=method, cap=args.cap)
    except ValueError as error:
        raise ValueError(f"--cap: {error}") from None


def _shared(model, text):
    """``model`` (a random profile) with its draws shared by all workers, per job index or per window."""
    if model.name != "half-normal":
        raise ValueError("--shared-slowdown needs a random profile (--timing paper or ringleader), got --timing "
                         f"{model.describe().get('profile', model.name)}")
    if text == "job":
        window = None
    else:
        try:
            window = float(text)
        except ValueError:
            raise ValueError(f"--shared-slowdown must be 'job' or a window in seconds > 0, got {text!r}") from None
        window = _validate.real("--shared-slowdown", window, positive=True)
    data = model.data()
    return timing.correlated(data.base, data.scale, window=window)


def with_system(args, model):
    """``model`` with the shared slowdowns of ``--shared-slowdown`` and the transfers of ``--download``/``--upload``."""
    if args.shared_slowdown is not None:
        model = _shared(model, args.shared_slowdown)
    if args.download is not None or args.upload is not None:
        model = timing.communicating(
            model, download=_validate.real("--download", 0.0 if args.download is None else args.download, minimum=0.0),
            upload=_validate.real("--upload", 0.0 if args.upload is None else args.upload, minimum=0.0))
    return model


def with_availability(args, model, t_max):
    """``model`` with the offline intervals of ``--availability`` or ``--offline`` (drawn up to ``t_max``), if given."""
    if args.availability is not None:
        return timing.availability(model, args.availability)
    if args.offline is None:
        return model
    means = comma_list("--offline", args.offline, float, distinct=False)  # equal means are a valid pair
    if len(means) != 2:
        raise ValueError(f"--offline takes MEAN_ON,MEAN_OFF (two numbers of seconds), got {args.offline!r}")
    return timing.random_availability(model, _validate.real("--offline MEAN_ON", means[0], positive=True),
                                      _validate.real("--offline MEAN_OFF", means[1], positive=True), horizon=t_max,
                                      seed=_validate.integer("--seed", args.seed, minimum=0))


def problem_group(parser):
    """The argument group of the options that describe the problem (checked against the problem chosen)."""
    if getattr(parser, "title", None) == PROBLEM_GROUP:
        return parser
    group = next((group for group in parser._action_groups if group.title == PROBLEM_GROUP), None)
    return group or parser.add_argument_group(PROBLEM_GROUP)


def given_options(args):
    """``{dest: flag}`` of the problem options (of ``args.parser``) given on the command line or set to other than
    their defaults (``args.given``: the destinations written on the command line, see ``cli.main``).
    """
    actions = problem_group(args.parser)._group_actions
    return {action.dest: action.option_strings[0] for action in actions
            if action.dest in getattr(args, "given", ()) or getattr(args, action.dest) != action.default}


def parameters_of(*builders):
    """The keyword parameters of problem builders: the problem options that apply to what they build."""
    return {name for builder in builders for name in inspect.signature(builder).parameters}


def reject_inapplicable(args, what, builders):
    """Raise if a problem option was given that none of ``builders`` (the chosen problem's) has a parameter for."""
    accepted = parameters_of(*builders)
    for dest, flag in given_options(args).items():
        if _PARAMETER_OF.get(dest, dest) not in accepted:
            raise ValueError(f"{flag} does not apply to {what}; leave it out (it would be ignored)")


def budget(args, model, t_max, max_updates=None):
    """Check ``--t-max`` (and ``--max-updates``) describe a run that can finish on ``model``; return them."""
    t_max = _validate.real("--t-max", t_max, positive=True)
    if max_updates is not None:
        max_updates = _validate.integer("--max-updates", max_updates, minimum=1)
    _validate.run_length(t_max, max_updates, model.expected_durations(), names=("--t-max", "--max-updates"))
    return t_max, max_updates


def workers(args, default):
    """``--n`` (or ``default``), bounded by what the machine's memory holds."""
    return _validate.count("--n", default if args.n is None else args.n, bytes_each=_validate.WORKER_BYTES)


def comma_list(flag, text, convert=str, *, distinct=True):
    """The items of a comma-separated option, converted; none empty, and none repeated if ``distinct``."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ValueError(f"{flag} must be a comma-separated list without empty items, got {text!r}")
    try:
        values = [convert(item) for item in items]
    except ValueError:
        raise ValueError(f"{flag} items must be {convert.__name__} values, got {text!r}") from None
    repeated = sorted({item for item in items if items.count(item) > 1})
    if distinct and repeated:
        raise ValueError(f"{flag} names {', '.join(repeated)} more than once; give each once")
    return values


def checked_out(args):
    """``args.out`` created and checked writable before any run, or None."""
    return None if args.out is None else _validate.writable_directory("--out", args.out)


def add_dataset_options(parser):
    """Which LIBSVM dataset, and where to find it."""
    parser = problem_group(parser)
    parser.add_argument("--dataset", help="a registered dataset: a9a or w8a for logistic problems, mnist5k, mnist "
                                          "or fashion-mnist for the MLP (default: the problem's own, a9a or mnist5k)")
    parser.add_argument("--data-path", type=path, help="the dataset's file or directory, searched instead of "
                                                       "$RINGBENCH_DATA, ./data and the data cache")
    parser.add_argument("--no-download", action="store_true",
                        help="never download a missing dataset (as $RINGBENCH_OFFLINE=1)")
    parser.add_argument("--storage", default="csr", help="logistic: csr (default) or dense features")


#: A value that is no TOML but reads as a string without quotes: a name or a path, not starting like a number.
_BARE_WORD = re.compile(r"[A-Za-z_~/.][\w./~-]*")


def assignments(flag, items):
    """``{key: value}`` of ``KEY=VALUE`` items, each value read as in TOML (``0.5``, ``3``, ``true``, ``"text"``)."""
    parsed = {}
    for item in items or ():
        key, equals, text = item.partition("=")
        key = key.strip()
        if not equals or not key.isidentifier():
            raise ValueError(f"{flag} takes KEY=VALUE with a Python name as KEY, got {item!r}")
        if key in parsed:
            raise ValueError(f"{flag} sets {key} twice; give it once")
        text = text.strip()
        try:
            parsed[key] = tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError:
            # a bare word (a file name) was meant as a string; a mistyped number was not
            quoted = f": {flag} '{key}=\"{text}\"'" if _BARE_WORD.fullmatch(text) else ""
            raise ValueError(f"{flag} {key}: {text!r} is not a TOML value (a number, true/false, or a quoted "
                             f"string{quoted})") from None
    return parsed


def add_problem_options(parser):
    """Every problem option of ``ringbench run``."""
    parser.add_argument("--problem", default="worst-case",
                        help=f"one of: {', '.join(PROBLEMS)} (default: %(default)s, the paper's quadratic), or a "
                             "plug-in: package.module:Class or path/to/file.py:Class")
    parser.add_argument("--problem-param", action="append", metavar="KEY=VALUE",
                        help="any key of the problem's builder (ringbench.problems.registry) or a plug-in problem's "
                             "constructor argument, its value in TOML (a string quoted), e.g. 'file=\"A.mtx\"' for "
                             "--problem matrix (repeatable)")
    parser = problem_group(parser)
    parser.add_argument("--condition-number", type=float, default=100.0, help="random-dense: condition number")
    parser.add_argument("--noise-std", type=float, default=experiments.PAPER_NOISE_STD,
                        help="quadratic: gradient noise s (default: %(default)s)")
    parser.add_argument("--noise", default="scalar", help="quadratic: scalar (the papers') or isotropic")
    parser.add_argument("--heterogeneity", type=float,
                        help="quadratic: give each worker its own b_i = b + heterogeneity * z_i")
    add_dataset_options(parser)
    parser.add_argument("--lam", type=float, default=experiments.LOGISTIC_LAM,
                        help="logistic: regularisation lambda (default: %(default)s)")
    parser.add_argument("--regularizer", default="l2", help="logistic: l2 (default) or nonconvex")
    parser.add_argument("--batch", type=int, default=1, help="logistic: minibatch size b (default: %(default)s)")
    parser.add_argument("--without-replacement", action="store_true",
                        help="logistic: draw each minibatch without replacement")
    parser.add_argument("--split", help=f"logistic: split the samples over the workers: {', '.join(splits.SPLITS)}")
    parser.add_argument("--alpha", type=float, default=experiments.HETEROGENEOUS_ALPHA,
                        help="logistic --split dirichlet: concentration alpha (default: %(default)s)")


#: Built-in problems whose builders' defaults are their own experiment's (the MLP's: E.2's batch 4, no added
#: noise), not the command line's (the quadratic's noise, logistic regression's batch 1).
_OWN_DEFAULTS = ("mlp",)


def _problem_values(args):
    """``{builder key: value}`` of the problem options of ``args`` that the chosen problem's builder takes.

    A built-in kind gets every applicable option, defaults included (the CLI's defaults
    are the papers'); a plug-in, or a kind of :data:`_OWN_DEFAULTS`, only the options
    given, and the --problem-param values.
    """
    accepted = problem_registry.parameters(args.problem)
    values = {key: getattr(args, key) for key in ("d", "condition_number", "noise_std", "noise", "heterogeneity",
                                                   "dataset", "storage", "lam", "regularizer", "batch")}
    values.update(path=args.data_path, replacement=not args.without_replacement, seed=args.seed)
    if args.heterogeneity is not None:
        values["heterogeneity_seed"] = args.seed  # one --seed seeds the run and its per-worker data
    if args.split is not None:
        table = {"kind": args.split, "alpha": args.alpha, "seed": args.seed}
        values["split"] = {key: table[key] for key in splits.SPLIT_KEYS.get(args.split, ("kind",))}
    given = _given_keys(args)
    only_given = args.problem not in problem_registry.PROBLEMS or args.problem in _OWN_DEFAULTS
    chosen = {key: value for key, value in values.items()
              if key in accepted and value is not None and (key in given or not only_given)}
    for key, value in assignments("--problem-param", args.problem_param).items():
        if key in given:
            raise ValueError(f"--problem-param {key} repeats a problem option its own flag already sets")
        chosen[key] = value
    problem_registry.check_keys(f"--problem {args.problem}", args.problem, chosen)
    return chosen


def _given_keys(args):
    """The builder keys of the problem options given on the command line."""
    return {_PARAMETER_OF.get(dest, dest) for dest in given_options(args)}


def check_problem_options(args):
    """Raise if a problem option is given that ``--problem`` does not take (it would be silently ignored), or if
    ``--method`` needs per-worker data that the problem options do not give it.
    """
    reject_inapplicable(args, f"--problem {args.problem}", (problem_registry.builder(args.problem),))
    if args.problem in problem_registry.DATASET_FORMATS and args.dataset is not None:  # before anything is read
        datasets.require_format("--dataset", args.dataset, problem_registry.DATASET_FORMATS[args.problem])
    if args.split != "dirichlet" and "alpha" in given_options(args):
        raise ValueError("--alpha is the concentration of --split dirichlet; without that split it would be ignored")
    if getattr(args, "method", None) is not None:
        values = {"split": args.split, "heterogeneity": args.heterogeneity,
                  **assignments("--problem-param", args.problem_param)}
        problem_registry.check_per_worker(f"--method {args.method}", methods.resolve(args.method), args.problem,
                                          values)


def problem_from(args, n):
    """The problem ``args`` describe (``--problem`` and its options), for ``n`` workers."""
    problem = problem_registry.build(args.problem, _problem_values(args), n=n)
    if getattr(args, "method", None) is not None:  # a plug-in problem tells only once built
        problem_registry.check_per_worker(f"--method {args.method}", methods.resolve(args.method), args.problem,
                                          {}, problem)
    return problem
