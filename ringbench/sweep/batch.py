"""Many seeds in one process: independent simulations of one configuration, in parallel threads.

The jitted event loop releases the GIL (kernels are compiled with ``nogil=True``) and
each simulation owns all its arrays, so threads run simulations on several cores at
once while sharing the problem and the timing model. Each result is bit-identical to
running ``ringbench.simulate`` with that seed alone: a run depends only on its
configuration and seed, never on event order across runs or on chunking.
"""

import concurrent.futures

from tqdm.auto import tqdm

from .. import _validate
from ..simulation import simulate
from .executors import available_cores


def simulate_seeds(problem, method, timing, seeds, *, threads=None, progress=False, **options):
    """Simulate one configuration once per seed, on up to ``threads`` cores of this process.

    Parameters
    ----------
    problem, method, timing
        As for :func:`ringbench.simulate`.
    seeds : sequence of int or numpy.random.SeedSequence
        One run per seed, e.g. ``numpy.random.SeedSequence(0).spawn(8)``.
    threads : int, optional
        Simulations at a time; default: the available cores (at most one per seed).
    progress : bool, default False
        Show a progress bar over seeds.
    **options
        Keyword arguments of :func:`ringbench.simulate` (``t_max``, ``max_updates``,
        ``target``, ``record``, ``blowup``, ``trace``), the same for every seed.

    Returns
    -------
    list of ringbench.Result
        In the order of ``seeds``.

    Notes
    -----
    Ctrl-C stops the runs not yet started; runs in progress in other threads finish first.
    """
    seeds = _validate.sequence("seeds", seeds, "integer seeds or numpy SeedSequences")
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    for reserved in ("seed", "progress"):
        if reserved in options:
            raise ValueError(f"simulate_seeds sets {reserved!r} itself; pass seeds=[...] and progress=True|False")
    threads = min(available_cores(), len(seeds)) if threads is None else _validate.integer("threads", threads,
                                                                                             minimum=1)
    # One tiny run first, in this thread: it validates the configuration and compiles (or loads) the
    # kernels once, instead of in several threads at the same time.
    simulate(problem, method, timing, seed=seeds[0], **{**options, "max_updates": 1})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ringbench-seed")
    try:
        futures = [pool.submit(simulate, problem, method, timing, seed=seed, **options) for seed in seeds]
        with tqdm(total=len(seeds), desc=method.name, unit="seed", disable=not progress, dynamic_ncols=True) as bar:
            for _ in concurrent.futures.as_completed(futures):
                bar.update()
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
