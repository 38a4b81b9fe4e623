"""The error a method's rule raises when it breaks the engine's contract (see the README's plug-in section).

A subclass of ``RuntimeError``, raised from inside the compiled loop as well as after it:
the ``ringbench`` command reports it in one line, as the bug of the rule it names, not
as a crash of ringbench.
"""


class RuleError(RuntimeError):
    """A method's server rule, or its configuration, did what the engine cannot run."""
