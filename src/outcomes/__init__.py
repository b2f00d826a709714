"""outcomes: how long relief from joint denervation lasts.

Load and validate follow-up pain scores::

    import outcomes
    cohort = outcomes.load_cohort("followup.csv", events="events.csv")
    cohort.raise_for_errors()
    result = outcomes.analyze(cohort, by="technique")
    print(result.to_dict()["median_months"])

Importing the package is cheap: it does not import matplotlib or Jupyter.
"""

from __future__ import annotations

from outcomes.analysis import Analysis, analyze
from outcomes.endpoints import ReliefDefinition
from outcomes.errors import InputError, MappingError, OptionError, OutcomesError, ValidationError
from outcomes.instruments import Instrument
from outcomes.mapping import FileMapping, load_mapping
from outcomes.problems import Problems
from outcomes.schema import Cohort, load_cohort

__version__ = "0.1.0"

__all__ = [
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
