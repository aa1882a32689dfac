"""Names of places a sentence can give without a preposition before them.

"Which country …?" is answered as often by a country as a sentence's subject ("Following months of
hesitancy, Germany this week agreed to send 14 … tanks") as after "in" or "from", and a capitalised
word alone could be anyone. The names of countries and of US states are a closed list, kept by
pycountry (ISO 3166), so a sentence naming one offers a place wherever the name stands
(`answer_kinds.PLACE`). Names with a comma or brackets ("Korea, Republic of") are ISO's catalogue
forms, which news does not write; the common name ("Bolivia", "Taiwan") is kept instead.
"""

import re

import pycountry


def country_names() -> set[str]:
    """Country names: ISO's short and common names, without its catalogue forms."""
    names: set[str] = set()
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None)):
            if name and "," not in name and "(" not in name:
                names.add(name)
    return names


def us_state_names() -> set[str]:
    """The names of the 50 US states."""
    return {state.name for state in pycountry.subdivisions.get(country_code="US") if state.type == "State"}


def place_names() -> set[str]:
    """Country names and the names of the 50 US states."""
    return country_names() | us_state_names()


def _any_of(names: set[str]) -> str:
    """A pattern matching any of `names` as whole words, the longest first ("South Sudan" before "Sudan")."""
    return r"\b(?:" + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + r")\b"


_COUNTRIES = country_names()
_US_STATES = us_state_names()
KNOWN_PLACE = _any_of(_COUNTRIES | _US_STATES)
COUNTRY = re.compile(_any_of(_COUNTRIES))
US_STATE = re.compile(_any_of(_US_STATES))
