"""The names the district's people carry, as a clerk types them into PowerSchool.

Most are plain; a share are the names real rosters hold and a generator of tidy data
never makes: given names of two words, hyphenated and apostrophized surnames, accents,
letters outside Latin script, and names near PowerSchool's 50-character limit. Every
rule downstream that turns a name into something else (the AutoComm web ids) meets all
of them.
"""

from __future__ import annotations

import random
import re
import unicodedata

PLAIN_FIRST = (
    "Aaliyah Amir Ana Andre Angel Ariana Ava Brandon Brianna Camila Carlos Chloe Daniel Darius "
    "David Destiny Diego Elijah Emily Emmanuel Gabriel Genesis Isabella Isaiah Jada Jalen Jasmine "
    "Jayden Jordan Jose Josiah Kayla Kevin Layla Leah Luis Malik Maria Mariah Mateo Maya Michael "
    "Nevaeh Nia Olivia Samuel Sofia Tiana Xavier Zion"
).split()
PLAIN_LAST = (
    "Allen Alvarez Bailey Brown Castillo Cruz Davis Diaz Edwards Flores Garcia Gomez Green Harris "
    "Hernandez Jackson Johnson Jones King Lopez Martinez Mendoza Miller Mitchell Moore Morales "
    "Nguyen Ortiz Perez Ramirez Reyes Rivera Robinson Rodriguez Sanchez Smith Taylor Thomas "
    "Thompson Torres Walker Washington White Williams Wilson Young"
).split()

MESSY_FIRST = (
    "José",
    "Zoë",
    "Renée",
    "Anne-Marie",
    "Mary Kate",
    "D'Andre",
    "Ja'Nya",
    "La'Shay",
    "Jean-Baptiste",
    "Nayeli Guadalupe",
    "Łukasz",
    "Søren",
    "Björn",
    "İlker",
    "Chí Thanh",
    "Ngọc Anh",
    "Ōta",
    "Nadia-Rose",
    "François",
    "Iñaki",
    "Ελένη",
    "Дмитрий",
    "محمد",
    "美玲",
    "Maria de los Angeles Guadalupe",
)
MESSY_LAST = (
    "O'Brien",
    "O'Neal",
    "De La Cruz",
    "de Jesús",
    "Smith-Jones",
    "García-Márquez",
    "Núñez",
    "Muñoz",
    "Pérez",
    "St. Louis",
    "Van der Berg",
    "N'Diaye",
    "Ní Bhriain",
    "Øvergård",
    "Straße",
    "Nguyễn",
    "Trần",
    "Иванова",
    "王",
    "عبد الله",
    "Παπαδόπουλος",
    "Castellanos Hernández de la Fuente y Villalobos",  # 47 characters
    "Wolfeschlegelsteinhausenbergerdorff-Johnson",
)
# PowerSchool's students.first_name and last_name hold 50 characters
NAME_LIMIT = 50
MESSY_SHARE = 0.2


def first_name(rng: random.Random) -> str:
    return rng.choice(MESSY_FIRST if rng.random() < MESSY_SHARE else PLAIN_FIRST)


def last_name(rng: random.Random) -> str:
    return rng.choice(MESSY_LAST if rng.random() < MESSY_SHARE else PLAIN_LAST)


# Latin letters that Unicode does not decompose into a base letter and a mark
_UNDECOMPOSED = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
)


def login_part(name: str) -> str:
    """A name as a district writes it into a login or an email address: accents
    dropped, lower case, letters and digits only. Empty for a name in a script with no
    Latin letters; the caller decides what stands in."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    return re.sub(r"[^a-z0-9]", "", decomposed.lower())
