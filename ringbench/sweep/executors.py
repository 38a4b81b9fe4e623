"""Where the runs of a sweep execute: local processes (default), threads, or a dask.distributed cluster.

Every executor runs :func:`.task.execute` on run specs and hands back results as they
finish; the results are the same whichever executor and however many workers, since
each run depends on its spec alone. At most two runs per worker are in flight, so a
sweep of any size holds little memory and Ctrl-C has little to cancel.

``local``
    A pool of fresh (spawned) processes, one run each at a time, started with one
    Numba and one BLAS thread (``NUMBA_NUM_THREADS=1``, ...) so that processes do not
    oversubscribe the cores. Ctrl-C interrupts the runs in flight (their partial
    results are dropped) and stops the pool; a worker whose driver was killed exits.
``threads``
    Threads of this process (the kernels release the GIL), sharing built problems and
    timing models: for many cheap runs of one big setting.
``dask``
    A ``dask.distributed.LocalCluster`` of single-threaded worker processes, or, with
    an ``address``, an existing cluster (every worker needs ringbench installed). The
    LocalCluster's scheduler and workers run their background monitors rarely
    (:data:`QUIET_CLUSTER`); an existing cluster keeps its own configuration.

Compiled kernels: with ``prepare`` (the sweep's run specs), the driver first runs
:func:`.task.warm_up` on them, compiling into numba's on-disk cache whatever it lacks;
then every worker runs it once, before its first run. Local processes and a
LocalCluster's workers inherit the driver's environment, so they read the driver's
cache (``NUMBA_CACHE_DIR``, else ``__pycache__`` beside ringbench's sources) and load
instead of compiling. Workers of a cluster on other machines load from the driver's
cache only if they see it (a shared ``NUMBA_CACHE_DIR``, the same ringbench sources);
otherwise each machine compiles once, in that warm-up, and later sweeps load.
:attr:`Executor.driver_compiled` says whether the driver compiled, each run's
``provenance["sweep"]["compiled"]`` whether its worker did.
"""

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time

from .. import _validate
from .task import kinds, warm_up

EXECUTORS = ("local", "threads", "dask")
#: Environment of local and LocalCluster worker processes: one thread each for Numba and BLAS.
SINGLE_THREADED = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
_IN_FLIGHT_PER_WORKER = 2
#: dask settings of a LocalCluster. By default every worker samples its stack every
#: 10 ms (the profiler), times its event loop every 20 ms and polls memory and system
#: load; each takes the GIL from the run in progress, and on a 2-core machine the runs
#: of ``examples/tune-paper.toml`` took 21 % longer in dask's workers than in local
#: processes (benchmarks/report_sweep_scaling.py). Only the dashboard, which this
#: cluster does not serve, uses what they measure; the nanny still restarts a worker
#: that exceeds its memory limit, checked every 5 s instead of every 0.1 s.
QUIET_CLUSTER = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                 "distributed.worker.memory.monitor-interval": "5s",
                 "distributed.admin.system-monitor.interval": "5s"}


def available_cores():
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Executor:
    """A running executor: :meth:`map_unordered` runs a function on items and yields results as they finish.

    Attributes
    ----------
    name : str
    workers : int
        Calls it runs at a time.
    driver_compiled : bool
        Whether numba compiled while this process warmed up, before the workers started.
    """

    def __init__(self, name, workers, submit, wait_first, cancel, driver_compiled):
        self.name = name
        self.workers = workers
        self.driver_compiled = driver_compiled
        self._submit = submit
        self._wait_first = wait_first
        self._cancel = cancel

    def map_unordered(self, function, items):
        """Yield ``function(item)`` for every item, in order of completion.

        Keeps at most two calls per worker in flight; when the caller stops iterating
        (or an exception propagates), the calls not yet started are cancelled.
        """
        items = iter(items)
        pending = set()
        slots = _IN_FLIGHT_PER_WORKER * self.workers
        try:
            while True:
                for item in items:
                    pending.add(self._submit(function, item))
                    if len(pending) >= slots:
                        break
                if not pending:
                    return
                done, pending = self._wait_first(pending)
                for future in done:
                    yield future.result()
        finally:
            self._cancel(pending)


def open_executor(kind="local", *, workers=None, address=None, prepare=None):
    """A context manager that starts an executor and yields an :class:`Executor`.

    Parameters
    ----------
    kind : {'local', 'threads', 'dask'}
    workers : int, optional
        Worker processes or threads; default: the available cores. Not with ``address``
        (the cluster has its own).
    address : str, optional
        ``tcp://HOST:PORT`` of a running dask scheduler; implies ``kind='dask'``.
    prepare : list of RunSpec, optional
        Runs whose kernels the driver, then every worker, loads (or compiles) before
        the first call (:func:`.task.warm_up`); default: one tiny Ringmaster run.
    """
    _validate.choice("executor", kind, EXECUTORS)
    if workers is not None:
        workers = _validate.integer("workers", workers, minimum=1)
    if address is not None:
        if kind != "dask":
            raise ValueError(f"an address is for the dask executor, not {kind!r}")
        if workers is not None:
            raise ValueError("workers cannot be set for an existing cluster (address); it has its own")
        if not isinstance(address, str) or "://" not in address:
            raise ValueError(f"address must look like tcp://HOST:PORT, got {address!r}")
    workers = workers or available_cores()
    if prepare is not None:
        prepare = kinds(prepare)  # what crosses to the workers: one spec per kind
    if kind == "local":
        return _local(workers, prepare)
    if kind == "threads":
        return _threads(workers, prepare)
    return _dask(workers, address, prepare)


def _wait_first(futures):
    return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)


def _cancel_all(futures):
    for future in futures:
        future.cancel()


@contextlib.contextmanager
def _environment(variables):
    """Set environment variables for the processes started inside the block."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _local(workers, prepare):
    driver_compiled = warm_up(prepare)  # before any worker starts: they load what the driver compiled
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_initialize_worker, initargs=(os.getpid(), prepare))
    try:
        # The pool starts a process per submission while none is idle: start all of them now, with
        # one thread each (Numba and BLAS read these variables when they are imported).
        with _environment(SINGLE_THREADED):
            started = [pool.submit(os.getpid) for _ in range(workers)]
        for future in started:
            future.result()
        yield Executor("local", workers, lambda function, item: pool.submit(_interruptible, function, item),
                       _wait_first, _cancel_all, driver_compiled)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _initialize_worker(driver, prepare):
    # Ctrl-C reaches every process of the terminal's group: a worker takes it only while it runs a
    # task (see _interruptible), and exits if its driver dies, instead of waiting forever for work.
    # The initializer runs once in every process (a task need not reach every one): one warm-up each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(driver,), daemon=True).start()
    warm_up(prepare)


def _exit_when_orphaned(driver):
    while os.getppid() == driver:
        time.sleep(1.0)
    os._exit(1)


def _interruptible(function, item):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return function(item)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _threads(workers, prepare):
    driver_compiled = warm_up(prepare)  # compile or load the kernels once, before several threads call them
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ringbench-run")
    try:
        yield Executor("threads", workers, pool.submit, _wait_first, _cancel_all, driver_compiled)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask(workers, address, prepare):
    try:
        import dask
        import distributed
    except ModuleNotFoundError:
        raise ValueError("the dask executor needs dask.distributed: pip install 'ringbench[dist]'") from None
    driver_compiled = warm_up(prepare)
    cluster = None
    if address is None:
        # Its HTTP server on a free loopback port: the default 8787 may be taken by another cluster. Its
        # workers log benign connection errors while it shuts down; a failed run still reaches the driver,
        # as the exception of its future.
        with dask.config.set(QUIET_CLUSTER):  # read when the scheduler and nannies start; workers get a copy
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
                                               env=SINGLE_THREADED)
        client = distributed.Client(cluster)
    else:
        try:
            client = distributed.Client(address, timeout="20s")
        except OSError as error:
            raise ValueError(f"cannot reach a dask scheduler at {address!r}: {error}") from None
    try:
        client.run(warm_up, prepare)  # once on every worker
        threads = sum(client.nthreads().values())
        if threads == 0:
            raise ValueError(f"the dask cluster at {address!r} has no workers")

        def submit(function, item):
            return client.submit(function, item, pure=False)

        def wait_first(futures):
            return distributed.wait(futures, return_when="FIRST_COMPLETED")

        yield Executor("dask", threads, submit, wait_first, lambda futures: client.cancel(list(futures)),
                       driver_compiled)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
