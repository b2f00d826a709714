"""The public API is small and pinned; importing it has no heavy side effects."""

from __future__ import annotations

import subprocess
import sys

import outcomes


def test_public_names_are_pinned_and_sorted() -> None:
    assert outcomes.__all__ == [
        "Analysis",
        "Cohort",
        "FileMapping",
        "InputError",
        "Instrument",
        "MappingError",
        "OptionError",
        "OutcomesError",
        "Problems",
        "ReliefDefinition",
        "ValidationError",
        "__version__",
        "analyze",
        "load_cohort",
        "load_mapping",
    ]
    assert outcomes.__all__ == sorted(outcomes.__all__)
    for name in outcomes.__all__:
        assert getattr(outcomes, name) is not None


def test_import_does_not_load_matplotlib_jupyter_or_slow_scipy_parts() -> None:
    """Every command waits for the import: scipy.stats alone took 1 s of 1.8 s."""
    code = (
        "import sys, outcomes; "
        "heavy = [m for m in ('matplotlib', 'lifelines', 'papermill', 'nbformat', "
        "'scipy.stats', 'scipy.optimize', 'scipy.sparse') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
