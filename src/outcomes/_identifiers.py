"""Which column names are a person's details and which are record numbers.

One vocabulary for three readers: :mod:`outcomes.io` drops columns named
like direct identifiers when it reads a file, ``validate``'s hint for a
missing ``patient_id`` names a record-number column, and ``outcomes init``
(:mod:`outcomes.assistant`) proposes one as ``patient_id``.

- **Person details** (a name, date of birth, phone number, e-mail address,
  postal address) are never read and never proposed as a patient
  identifier: they identify a person outside the clinic's records.
- **Record numbers** link a patient's rows: a study or patient id, a
  hospital number (MRN, "Hospital No", "Unit No"), a national number
  ("NHS Number", NRIC, CHI). Any of them may be mapped to ``patient_id``,
  which stays internal (used to link rows, never printed); the first kind is
  preferred, then the second, then the third.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "IDENTIFIER_PATTERN",
    "IDENTIFIER_TOKENS",
    "RECORD_KINDS",
    "best_record_number",
    "person_detail",
    "record_number_rank",
    "words_of",
]

#: Words (and joined phrases) of a column name that mark each kind of person detail.
_PERSON: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "a person's name": (
        frozenset(
            {
                "name",
                "names",
                "surname",
                "forename",
                "forenames",
                "firstname",
                "lastname",
                "fullname",
                "initials",
            }
        ),
        ("first_name", "last_name", "given_name", "family_name"),
    ),
    "a date of birth": (
        frozenset({"dob", "birthdate", "birthday"}),
        ("date_of_birth", "birth_date"),
    ),
    "a phone number": (
        frozenset({"phone", "telephone", "mobile", "tel", "cellphone"}),
        ("contact_number",),
    ),
    "an e-mail address": (frozenset({"email", "mail"}), ("e_mail",)),
    "an address": (
        frozenset({"address", "street", "postcode", "zip", "zipcode"}),
        ("post_code", "zip_code"),
    ),
}
#: Record numbers that io drops by name unless the mapping makes one ``patient_id``.
_DROPPED_RECORD_TOKENS = frozenset({"nric", "nhs", "ssn", "passport", "medicare", "mrn"})
_DROPPED_RECORD_PATTERNS = (
    "national_id",
    "id_number",
    "social_security",
    "hospital_number",
    "hosp_no",
    "ic_number",
    "identity_card",
)

#: Name words io drops a column for (person details and national or hospital numbers).
IDENTIFIER_TOKENS = frozenset().union(
    *(tokens for tokens, _ in _PERSON.values()), _DROPPED_RECORD_TOKENS
)
#: Joined phrases io drops a column for, searched in its normalised name.
IDENTIFIER_PATTERN = re.compile(
    "("
    + "|".join([*(p for _, ps in _PERSON.values() for p in ps), *_DROPPED_RECORD_PATTERNS])
    + ")"
)

_NUMBER = r"(?:id|no|num|number|nr|ref|reference|code)"
#: Record numbers a patient_id may be, best first.
RECORD_KINDS = ("a study or patient id", "a hospital number", "a national number")
_RECORD_RANKS = (
    re.compile(
        r"^(?:id|(?:patient|pt|pat|subject|participant|study|trial|audit|registry|anon"
        r"|anonymised|pseudonym|patient_study|study_patient)_?" + _NUMBER + r")$"
    ),
    re.compile(
        r"^(?:mrn|mrn_?" + _NUMBER + r"|urn|crn|k_?number"
        r"|(?:hospital|hosp|unit|unit_record|ur|medical_record|med_rec|record|case_?note"
        r"|case|mr|patient_record|health_record|clinic|chart)_?" + _NUMBER + r")$"
    ),
    re.compile(
        r"^(?:(?:nhs|chi|nric|nhi|ssn|ic|medicare)_?(?:" + _NUMBER + r")?"
        r"|(?:social_security|national|national_health|identity_card|health_card|insurance)_?"
        + _NUMBER
        + r")$"
    ),
)


def words_of(name: object) -> str:
    """A column name as lower-case words joined by ``_``, dots dropped ("D.O.B." -> "dob")."""
    text = str(name).strip().lower().replace(".", "")
    return "_".join(re.findall(r"[a-z0-9]+", text))


def person_detail(name: object) -> str | None:
    """What person detail a column's name says it holds ("a person's name", ...), or None."""
    words = words_of(name)
    tokens = set(words.split("_"))
    for kind, (kind_tokens, phrases) in _PERSON.items():
        if tokens & kind_tokens or any(p in words for p in phrases):
            return kind
    return None


def record_number_rank(name: object) -> int | None:
    """0 for a study or patient id, 1 a hospital number, 2 a national number; None otherwise.

    A person's details are never a record number, whatever else the name says
    ("Patient Name" is a name).
    """
    if person_detail(name) is not None:
        return None
    words = words_of(name)
    for rank, pattern in enumerate(_RECORD_RANKS):
        if pattern.match(words):
            return rank
    return None


def best_record_number(names: Iterable[str]) -> str | None:
    """The column to propose as ``patient_id``: the best-ranked record number, first on ties.

    Never a person's name, date of birth, phone, e-mail or address.
    """
    ranked = [
        (rank, i, n) for i, n in enumerate(names) if (rank := record_number_rank(n)) is not None
    ]
    return min(ranked)[2] if ranked else None
