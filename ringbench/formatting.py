"""Plain-text tables and short numbers, for every table ringbench prints."""


def short(value):
    """A float to 4 significant digits; anything else as ``str``."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def diverged(diverged_at):
    """Where a run diverged (``Result.diverged_at``), as summaries and tables say it."""
    return f"diverged at t={diverged_at['time']:.6g}, k={diverged_at['iteration']}"


def text_table(lines, *, rule=True):
    """Left-aligned columns of the rows ``lines`` (tuples of strings); returns the list of text lines.

    With ``rule`` a line of dashes goes under the first row (the header). A row whose
    cells after the first are all empty is a heading: it does not widen the columns.
    """
    columns = len(lines[0])
    measured = [line for line in lines if any(line[1:])] or lines
    widths = [max(len(line[column]) for line in measured) for column in range(columns)]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
    if rule:
        text.insert(1, "  ".join("-" * width for width in widths))
    return text
