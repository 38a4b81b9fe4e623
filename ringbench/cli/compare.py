"""``ringbench compare``: a ready-made experiment (``ringbench.experiments.SETTINGS``) as a table and a plot.

``--problem quadratic`` (default) is the Ringmaster paper's experiment, ``--problem
logistic`` the same comparison on a LIBSVM dataset, ``--setting heterogeneous``
the structure of the Ringleader experiment (data split across workers), and
``--setting ringmaster-mnist`` / ``ringleader-mnist`` / ``ringleader-fashion-mnist``
the papers' neural-network experiments (reduced by default, ``--paper-scale`` for the
papers' data and horizons).
"""

import json

from .. import _validate, datasets, experiments, extensions, plotting, timing
from ..files import write_text_atomically
from ..simulation import configured
from .common import (
    INTERRUPTED,
    add_common,
    add_dataset_options,
    assignments,
    budget,
    capped,
    checked_out,
    comma_list,
    reject_inapplicable,
    with_availability,
    with_system,
    workers,
)


def register(commands):
    compare = commands.add_parser("compare")  # its one-line help: cli.COMMANDS
    compare.add_argument("--setting", default="homogeneous",
                         help="homogeneous (every worker samples f; default), heterogeneous (Ringleader's: "
                              "a9a split over workers), ringmaster-mnist, ringleader-mnist or "
                              "ringleader-fashion-mnist (the papers' MLP experiments)")
    compare.add_argument("--paper-scale", action="store_true",
                         help="MNIST settings: the papers' full training set and horizon instead of the reduced "
                              "default (downloads the data set if missing; see README)")
    compare.add_argument("--problem",
                         help="homogeneous setting: quadratic (the Ringmaster paper's; default) or logistic")
    compare.add_argument("--methods", help="comma-separated methods (default: the setting's); a plug-in as "
                                            "package.module:Class or path/to/file.py:Class")
    compare.add_argument("--param", action="append", metavar="KEY=VALUE",
                         help="a parameter of the plug-in methods in --methods, e.g. gamma=0.3 (repeatable; "
                              "values as in TOML); built-ins take their tuned parameters")
    compare.add_argument("--theory", type=float, metavar="EPS",
                         help="theory-mode parameters for this eps instead of the tuned ones")
    add_dataset_options(compare)
    add_common(compare)
    compare.set_defaults(handler=handle, parser=compare)


def _setting(args):
    _validate.choice("--setting", args.setting, ("homogeneous", "heterogeneous", *experiments.DEFAULT_DATA))
    if args.paper_scale and args.setting not in experiments.PAPER_SCALE:
        raise ValueError(f"--paper-scale applies to the settings {', '.join(experiments.PAPER_SCALE)}, "
                         f"not {args.setting!r}")
    if args.setting != "homogeneous":
        if args.problem is not None:
            raise ValueError(f"--problem {args.problem} does not apply to --setting {args.setting} (the setting "
                             "fixes its problem); leave --problem out")
        return experiments.SETTINGS[args.setting]
    problem = "quadratic" if args.problem is None else args.problem  # an empty --problem "" is no default
    return experiments.SETTINGS[_validate.choice("--problem", problem, ("quadratic", "logistic"))]


#: The comparison's own file in --out, beside one result per method.
_SUMMARY = "summary"

#: The builder of each setting's problem: the problem options it takes are its parameters.
_BUILDERS = {"quadratic": experiments.paper_problem, "logistic": experiments.logistic_problem,
             "heterogeneous": experiments.heterogeneous_problem, "ringmaster-mnist": experiments.mnist_problem,
             **{name: experiments.ringleader_problem for name in experiments.DEFAULT_DATA
                if name != "ringmaster-mnist"}}


def _data(setting, args):
    """The MNIST setting's data options: its default, or the paper scale, with an explicit --dataset on top."""
    chosen = dict(experiments.DEFAULT_DATA[setting.name])
    if args.paper_scale:
        chosen.update(experiments.PAPER_SCALE[setting.name])
        chosen.pop("t_max")
    if args.dataset is not None:
        chosen["dataset"] = args.dataset
    return chosen


def _problem(setting, args, n):
    if setting.name == "ringmaster-mnist":
        return experiments.mnist_problem(_data(setting, args)["dataset"], path=args.data_path)
    if setting.name in experiments.DEFAULT_DATA:
        return experiments.ringleader_problem(**_data(setting, args), path=args.data_path, n=n)
    args.dataset = args.dataset or "a9a"
    if setting.name == "quadratic":
        return experiments.paper_problem(args.d)
    if setting.name == "logistic":
        return experiments.logistic_problem(args.dataset, path=args.data_path, storage=args.storage)
    return experiments.heterogeneous_problem(args.dataset, path=args.data_path, n=n, storage=args.storage)


def _timing(setting, args, n):
    if args.timing is not None:
        return timing.profile(args.timing, n), args.timing
    if setting.name == "heterogeneous" or setting.name.startswith("ringleader-"):
        return experiments.heterogeneous_timing(n, seed=args.seed), "ringleader (permuted)"
    if setting.name == "ringmaster-mnist":
        return experiments.mnist_timing(n), "paper (shuffled)"
    return experiments.paper_timing(n), "paper"


def _methods(args, setting):
    """The compared methods: built-ins with the setting's tuned parameters, plug-ins with ``--param``."""
    names = setting.compared if args.methods is None else comma_list("--methods", args.methods)
    if args.param and not any(map(extensions.is_plugin_name, names)):
        listed = "--methods names none" if args.methods else f"the {setting.name} setting's methods are built-ins"
        raise ValueError(f"--param sets the parameters of plug-in methods, and {listed} (built-ins take the "
                         "setting's tuned parameters, or --theory)")
    chosen = [capped(args, method) for method in experiments.paper_methods(
        names, eps=args.theory, tuned=setting.tuned, plugin_parameters=assignments("--param", args.param))]
    called = [method.name for method in chosen]
    repeated = sorted({name for name in called if called.count(name) > 1})
    if repeated:  # each result is saved, tabled and plotted under its method's name
        raise ValueError(f"--methods: more than one method is called {', '.join(map(repr, repeated))}; give "
                         "each compared method its own name")
    if _SUMMARY in called:
        raise ValueError(f"--methods: a method called {_SUMMARY!r} would be saved over the comparison's own "
                         f"{_SUMMARY}.json; give it another name")
    return chosen


def handle(args):
    out = checked_out(args)
    setting = _setting(args)
    reject_inapplicable(args, f"the {setting.name} setting", (_BUILDERS[setting.name],))
    if args.dataset is not None:  # the MNIST settings take image sets, the others LIBSVM ones
        images = setting.name in experiments.DEFAULT_DATA
        datasets.require_format("--dataset", args.dataset, "idx" if images else "libsvm")
    _validate.integer("--seed", args.seed, minimum=0)  # it also permutes the heterogeneous setting's times
    n = workers(args, setting.n)
    # With --theory EPS the methods aim at EPS, so time to EPS is the column to compare with the predictions.
    if args.theory is not None:
        _validate.real("--theory", args.theory, positive=True)
    default_target = setting.target if args.theory is None else args.theory
    target = _validate.real("--target", default_target if args.target is None else args.target, positive=True)
    chosen = _methods(args, setting)
    model, timing_label = _timing(setting, args, n)
    model = with_system(args, model)
    for given, label in ((args.shared_slowdown is not None, "shared slowdowns"),
                         (args.download is not None or args.upload is not None, "communication")):
        timing_label += f" with {label}" if given else ""
    default_t_max = experiments.PAPER_SCALE[setting.name]["t_max"] if args.paper_scale else setting.t_max
    t_max, _ = budget(args, model, default_t_max if args.t_max is None else args.t_max)
    model = with_availability(args, model, t_max)
    if model.name == "availability":
        timing_label += " with availability"
    problem = _problem(setting, args, n)
    for method in chosen:  # a method that refuses the timing (availability), or a broken plug-in, fails before any run
        configured(method, problem, model)
    results = experiments.compare(chosen, problem, model, t_max=t_max, seed=args.seed, progress=not args.quiet,
                                  checkpoints=setting.checkpoints, target=target)
    rows = experiments.summary(results, target)
    not_run = [method.name for method in chosen[len(results):]]  # after a Ctrl-C
    if out:  # written before anything is printed
        for result in results:
            result.save(out / result.method)
        write_text_atomically(out / f"{_SUMMARY}.json", json.dumps(
            {"setting": setting.name, "target": target, "rows": rows,
             "not_run": not_run, "problem": problem.describe(),
             "timing": model.describe(), "t_max": t_max, "seed": args.seed}, indent=2))
        figure = plotting.convergence(results, metric=("grad_norm2", plotting.objective_metric(results)),
                                      title=f"{problem.name}, n = {n}, {timing_label} timing")
        plot = plotting.save(figure, out / "compare.png")
    print(f"{problem!r}; n = {n} workers ({timing_label} timing); {t_max:g} simulated seconds; seed {args.seed}")
    print(experiments.format_table(rows, target))
    if not_run:
        print(f"interrupted before running: {', '.join(not_run)}")
    if out:
        print(f"wrote {out / _SUMMARY}.json, {plot} and one result per method in {out}")
    return INTERRUPTED if not_run or results[-1].status == "interrupted" else 0
