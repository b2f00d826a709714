"""Pain and function instruments: their range and which direction is better."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_INSTRUMENTS", "Instrument"]


@dataclass(frozen=True)
class Instrument:
    """A scored questionnaire or scale.

    Parameters
    ----------
    name : str
        Lower-case key used in data files (``nrs``, ``vas``, ...).
    minimum, maximum : float
        Inclusive range of valid scores, in the instrument's own points.
    higher_is_better : bool
        False for pain scales (NRS, VAS, WOMAC); True for function scores
        (Oxford Knee Score, KOOS). Improvement is measured in this direction.
    label : str
        Human-readable name for reports.
    """

    name: str
    minimum: float
    maximum: float
    higher_is_better: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not self.minimum < self.maximum:
            raise ValueError(
                f"instrument {self.name!r}: minimum {self.minimum} must be below "
                f"maximum {self.maximum}"
            )

    @property
    def range_text(self) -> str:
        """The valid range as text, e.g. ``"0-10"``."""
        return f"{self.minimum:g}-{self.maximum:g}"


DEFAULT_INSTRUMENTS: Mapping[str, Instrument] = {
    i.name: i
    for i in (
        Instrument("nrs", 0, 10, False, "Numeric Rating Scale (0-10)"),
        Instrument("vas", 0, 100, False, "Visual Analogue Scale (0-100 mm)"),
        Instrument("womac", 0, 96, False, "WOMAC total (0-96)"),
        Instrument("oks", 0, 48, True, "Oxford Knee Score (0-48)"),
        Instrument("koos", 0, 100, True, "KOOS (0-100)"),
    )
}
