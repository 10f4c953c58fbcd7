"""Each benchmark owns one section of ``bench/RESULTS.md`` and rewrites only that section.

A section runs from ``<!-- begin NAME -->`` to ``<!-- end NAME -->``; a section not in the
file yet is appended. Other sections are left exactly as they were.
"""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "# Benchmark results\n\n"
    "Each section is written by the script it names (see `bench/README.md`), with the numbers\n"
    "of its own latest run; sections from different runs may be from different days.\n"
)


def write_section(path: Path, name: str, text: str) -> None:
    """Replace (or append) section ``name`` of the report at ``path`` with ``text``.

    >>> import tempfile
    >>> report = Path(tempfile.mkdtemp()) / "RESULTS.md"
    >>> write_section(report, "a", "one")
    >>> write_section(report, "b", "two")
    >>> write_section(report, "a", "three")
    >>> print(report.read_text().split("\\n", 5)[-1])
    <!-- begin a -->
    three
    <!-- end a -->
    <BLANKLINE>
    <!-- begin b -->
    two
    <!-- end b -->
    <BLANKLINE>
    """
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    current = path.read_text() if path.exists() else HEADER
    if begin in current and end in current:
        head, _, rest = current.partition(begin)
        _, _, tail = rest.partition(end)
        current = head + block.rstrip("\n") + tail
    else:
        current = current.rstrip("\n") + "\n\n" + block
    path.write_text(current)
