"""outcomes: how long relief from joint denervation lasts.

Load and validate follow-up pain scores::

    import outcomes
    cohort = outcomes.load_cohort("followup.csv", events="events.csv")
    cohort.raise_for_errors()

Importing the package is cheap: it does not import matplotlib or Jupyter.
"""

from __future__ import annotations

from outcomes.errors import InputError, MappingError, OutcomesError, ValidationError
from outcomes.instruments import Instrument
from outcomes.mapping import FileMapping, load_mapping
from outcomes.problems import Problems
from outcomes.schema import Cohort, load_cohort

__version__ = "0.1.0"

__all__ = [
    "Cohort",
    "FileMapping",
    "InputError",
    "Instrument",
    "MappingError",
    "OutcomesError",
    "Problems",
    "ValidationError",
    "__version__",
    "load_cohort",
    "load_mapping",
]
