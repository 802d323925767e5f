"""Lexicons of ``kg extract``: event triggers, hedge cues, attribution, goods (French, English).

Plain data: regular expressions (matched case-insensitively on the sentence text) with what a
match means. Compiled by the stages of :mod:`kg.extract` when it runs, never at import.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trigger:
    """A word that evokes a thing of the ontology (``kind`` is a dkg: class or a pseudo-kind)."""

    kind: str
    pattern: str


@dataclass(frozen=True)
class Cue:
    """A hedge cue: how sure the writer is (certainty) and what the statement rests on.

    ``basis`` None: the basis comes from the speaker (reported speech, foreign intelligence...)
    or, for the narrator, from the context (imagery, state media, else speculation).
    """

    pattern: str
    certainty: str
    basis: str | None = None
    future: bool = False


#: pseudo-kinds: EXCHANGE (a give-and-take marker), DELIVERY and REQUEST (one leg of it),
#: MEMBERSHIP (part of a delegation), RELATION (relations between two states).
TRIGGERS: dict[str, tuple[Trigger, ...]] = {
    "fr": (
        Trigger("EXCHANGE", r"\ben (?:échange|contrepartie) d(?:e|es|u|’|')"),
        Trigger("TroopReview", r"\b(?:pass\w* en revue|revue des) (?:les |des )?troupes\b"),
        Trigger("MediaCoverage", r"\bmis\w* en scène\b"),
        Trigger("MEMBERSHIP", r"\b(?:faire|font|fait|faisaient) partie de la délégation\b"),
        Trigger("RELATION", r"\brelations? (?:entre|bilatérales?)\b"),
        Trigger("AGREEMENT", r"\baccords? d(?:’|')armement\b|(?<![dD]’)(?<![dD]')\baccords?\b"
                             r"|\btraités?\b|\bpactes?\b"),
        Trigger("Sanction", r"\bsanctions?\b|\bsanctionn\w+\b|\bembargo\b"),
        Trigger("Summit", r"\bsommets?\b"),
        Trigger("Meeting", r"\brencontr\w*\b|\bréuni[se]?\b"),
        Trigger("Negotiation", r"\bdiscussions?\b|\bnégociations?\b|\bentretiens?\b|\bpourparlers\b"
                               r"|\bs(?:’|')(?:est |sont )?entretenu\w*\b|\bnégoci\w+\b|\bdiscut\w+\b"),
        Trigger("Arrival", r"\barriv(?:é|ée|és|ées|er|ée|e|ent|era|ait)\b|\barrivée\b"),
        Trigger("Departure", r"\bdépart\b|\bquitt(?:é|ée|er|e|ent)\b"),
        Trigger("Visit", r"\bvisites?\b|\bvoyages?\b|\bse rendre\b|\bs(?:’|')est rendue?\b|\bséjour\b"),
        Trigger("Welcome", r"\baccueilli\w*\b|\baccueill\w*\b"),
        Trigger("JointMilitaryExercise", r"\bexercices? (?:\w+ )?(?:conjoints?|communs?|navals|militaires)\b"
                                         r"|\bmanœuvres\b"),
        Trigger("DiplomaticRecognition", r"\breconn(?:aissant|aît|u|ue|us|aissance|aître)\b"),
        Trigger("InternationalSupport", r"\bsoutenu\b|\bsoutient\b|\bsoutenir\b|\bsoutien\b"),
        Trigger("SatelliteLaunchAttempt",
                r"\btentatives? (?:\w+ )?(?:infructueuses?|ratées?|de lancement)\b"),
        Trigger("DELIVERY", r"\blivraisons?\b|\blivr(?:er|é|ée|és|ées|e|ent|era|eront|ait|aient)\b"
                            r"|\bfourni\w*\b|\btransferts?\b|\benvoy\w+\b|\benverr\w+\b"),
        Trigger("REQUEST", r"\bsollicit\w*\b|\bdemand\w*\b|\brecherch\w*\b|\bréclam\w*\b"),
        Trigger("RECEIPT", r"\breçu\w*\b|\brecev\w*\b|\breçoi\w*\b"),
    ),
    "en": (
        Trigger("EXCHANGE", r"\bin (?:return|exchange) for\b"),
        Trigger("TroopReview", r"\b(?:review\w*|inspect\w*) (?:the )?(?:troops|honou?r guard)\b"),
        Trigger("MediaCoverage", r"\bstaged\b|\bbroadcast\b"),
        Trigger("MEMBERSHIP", r"\bpart of the delegation\b|\baccompanied by\b"),
        Trigger("RELATION", r"\b(?:relations|ties) between\b"),
        Trigger("AGREEMENT", r"\barms deals?\b|\bagreements?\b|\bdeals?\b|\btreat(?:y|ies)\b"
                             r"|\bpacts?\b"),
        Trigger("Sanction", r"\bsanction(?:s|ed|ing)?\b|\bembargo(?:es)?\b"),
        Trigger("Summit", r"\bsummits?\b|\bhosted\b"),
        Trigger("Meeting", r"\bmet\b|\bmeet(?:s|ing|ings)?\b"),
        Trigger("Negotiation", r"\btalks\b|\bnegotiations?\b|\bdiscuss(?:ed|es|ions?)?\b"),
        Trigger("Arrival", r"\barriv(?:ed|es|al|ing|e)\b"),
        Trigger("Departure", r"\bdepart(?:ed|ure|s)\b|\bleft\b"),
        Trigger("Visit", r"\bvisit(?:s|ed|ing)?\b|\btrip\b|\btravel(?:s|led|ed)?\b"),
        Trigger("Welcome", r"\bwelcom\w*\b|\bgreet\w*\b"),
        Trigger("JointMilitaryExercise", r"\b(?:joint |naval |military )+(?:exercises|drills|manoeuvres)\b"),
        Trigger("DiplomaticRecognition", r"\brecogni[sz]\w*\b"),
        Trigger("InternationalSupport", r"\bsupport(?:ed|s|ing)?\b|\bbacked\b"),
        Trigger("SatelliteLaunchAttempt", r"\bfailed (?:satellite )?launch(?:es| attempts?)?\b"
                                          r"|\blaunch attempts?\b"),
        Trigger("DELIVERY", r"\bsuppl(?:y|ies|ied)\b|\bdeliver\w*\b|\bshipments?\b|\btransfers?\b"
                            r"|\bprovid\w*\b|\bsen[dt]s?(?:ing)?\b|\bship(?:s|ped|ping)?\b"),
        Trigger("REQUEST", r"\bwants?\b|\bseek\w*\b|\bsought\b|\brequest\w*\b|\bask(?:s|ed)? for\b"),
        Trigger("RECEIPT", r"\breceiv(?:e|es|ed|ing)\b"),
    ),
}

#: demonstratives and definite articles before a trigger noun: an anaphor of an earlier thing
ANAPHOR: dict[str, str] = {
    "fr": r"(?:cette|ce|cet|ces|la|le|les|des|du|l’|l')\s*(?:\w+\s)?$",
    "en": r"(?:this|that|these|the)\s+(?:\w+\s)?$",
}

#: "X and Y", "the two leaders": the last two persons or states mentioned
PAIR: dict[str, dict[str, str]] = {
    "fr": {"person": r"\bdeux dirigeants\b|\bdeux leaders\b", "state": r"\bdeux pays\b"},
    "en": {"person": r"\btwo leaders\b", "state": r"\btwo countries\b"},
}

HEDGES: dict[str, tuple[Cue, ...]] = {
    "fr": (
        Cue(r"\bpourrai(?:t|ent) potentiellement\b", "possible", future=True),
        Cue(r"\bpourrai(?:t|ent)\b", "possible", future=True),
        Cue(r"\bdevrai(?:t|ent)\b", "probable", future=True),
        Cue(r"\baurai(?:t|ent)\b", "possible", "reported-speech"),
        Cue(r"\bserai(?:t|ent)\b", "possible", "reported-speech"),
        Cue(r"\bsembl(?:e|ent|ait|aient)\b", "probable"),
        Cue(r"\bparaî(?:t|ssent)\b", "probable"),
        Cue(r"\blaiss(?:e|ent) (?:supposer|entrevoir|penser|présager)\b", "possible"),
        Cue(r"\bsuggér(?:ant|ait|é)\b|\bsuggèr(?:e|ent)\b", "possible"),
        Cue(r"\bsoupçonn\w*\b", "possible"),
        Cue(r"\bpotentiellement\b|\bpeut-être\b|\béventuellement\b", "possible"),
        Cue(r"\brumeurs?\b|\bprétendu\w*\b|\bprésumé\w*\b|\bsupposé\w*\b|\ballégué\w*\b", "possible",
            "reported-speech"),
        Cue(r"\bpuissent\b|\bpuisse\b|\bcrai(?:n|gn)\w* que\b", "possible"),
        Cue(r"\bapparemment\b|\blaisse(?:nt)? entendre\b", "probable"),
        Cue(r"\bla possibilité\b|\bpossibles? (?=\w)|\bpotentiel(?:le)?s?\b|\bn(?:’|')exclu\w* pas\b"
            r"|\benvisag\w+\b", "possible"),
        Cue(r"\bselon (?:des|certaines|plusieurs) (?:informations|sources|médias|agences)\b", "possible",
            "reported-speech"),
        Cue(r"\bprobablement\b|\bvraisemblablement\b", "probable"),
        Cue(r"\bn(?:’|')(?:a|ont) pas (?:encore )?confirmé\b", "unknown", "reported-speech"),
    ),
    "en": (
        Cue(r"\bcould\b|\bmight\b|\bmay\b", "possible", future=True),
        Cue(r"\bwould\b", "possible", future=True),
        Cue(r"\bshould\b|\blikely\b|\bexpected to\b", "probable", future=True),
        Cue(r"\breportedly\b|\ballegedly\b|\bpurportedly\b|\bpurport(?:s|ed|ing)\b|\balleged\b"
            r"|\brumou?r(?:s|ed)?\b|\bis said to\b|\bare said to\b", "possible", "reported-speech"),
        Cue(r"\bbeliev(?:e|es|ed)\b|\bhint(?:s|ed)?\b|\bfear(?:s|ed)?\b|\bthinks?\b", "possible"),
        Cue(r"\bapparently\b|\bpresumably\b|\bappearing\b|\bestimated\b", "probable"),
        Cue(r"\bpotential\b|\bcontemplat\w+\b|\bconsidering\b|\b(?:does|did|do) not rule out\b"
            r"|\bnot ruled? out\b", "possible"),
        Cue(r"\b(?:appears?|seems?) to\b", "probable"),
        Cue(r"\bsuggest(?:s|ed|ing)?\b", "possible"),
        Cue(r"\bsuspect(?:s|ed)?\b", "possible"),
        Cue(r"\bpossibly\b|\bperhaps\b|\bpotentially\b", "possible"),
        Cue(r"\bprobably\b", "probable"),
        Cue(r"\b(?:has|have) not (?:yet )?confirmed\b|\bdid not confirm\b", "unknown", "reported-speech"),
    ),
}

#: attribution: the speaker is the actor mentioned inside the match (group "who"), or the
#: subject before a reporting verb. ``lead`` patterns open the sentence or follow a comma.
ATTRIBUTION: dict[str, tuple[str, ...]] = {
    "fr": (
        r"\b(?:[Ss]elon|[Dd](?:’|')après) (?P<who>[^,.;]+)",
        r"\binformations? (?:venant|provenant) d(?:e|u|es) (?P<who>[^,.;]+?)(?= la semaine| le mois|[,.;]|$)",
        r"(?P<who>^[^,.;]+?) (?:a|ont) (?:\w+ )?(?:affirmé|déclaré|annoncé|indiqué|assuré|précisé|"
        r"confirmé|démenti)\b",
        r"(?P<who>^[^,.;]+?) (?:soupçonne|soupçonnent|affirme|affirment|estime|estiment|accuse|accusent)\b",
        r"(?P<who>^[^,.;]+?) n(?:’|')(?:a|ont) pas (?:encore )?(?:confirmé|commenté)\b",
    ),
    "en": (
        r"\b[Aa]ccording to (?P<who>[^,.;]+)",
        r"(?:^|, )(?P<who>[^,.;]+?) (?:said|says|reported|added|stated)(?=[,.;]|$)",
        r"(?P<who>^[^,.;]+?) (?:said|says|told reporters|told|stated|announced|reported|"
        r"(?:have |has )?(?:repeatedly )?warned|(?:have |has )?claimed)\b",
        r"(?P<who>^[^,.;]+?) (?:has|have|did) not (?:yet )?(?:confirmed|confirm|commented)\b",
    ),
}

#: verbs that make the attributed statement's cue (the words as written, incl. auxiliaries)
REPORTING_CUE: dict[str, str] = {
    "fr": r"\b(?:[Ss]elon|[Dd](?:’|')après)\b|\binformations (?:venant|provenant) d\w*\s+\w+"
          r"|\b(?:a|ont) (?:\w+ )?(?:affirmé|déclaré|annoncé|indiqué|assuré|précisé|démenti)\b"
          r"|\bsoupçonn\w*\b|\baffirm(?:e|ent)\b",
    "en": r"\b[Aa]ccording to\b|\b(?:the )?[\w ]{0,30}?\b(?:said|says|reported|stated)\b"
          r"|\btold reporters\b|\b(?:have |has )?(?:repeatedly )?warned\b",
}

NEGATION: dict[str, str] = {
    "fr": r"\baucune?\b|\bjamais\b|\bn(?:’|')\w+ (?:pas|plus|jamais)\b|\bne \w+ (?:pas|plus)\b|\bdément\w*\b",
    "en": r"\bno\b|\bnot\b|\bnever\b|n't\b|\bdenied\b|\bdenies\b",
}

FUTURE: dict[str, str] = {
    "fr": r"\bprévue?s?\b|\bà venir\b|\b\w+(?:era|eront|ira|iront|ra|ront)\b",
    "en": r"\bwill\b|\bplanned\b|\bupcoming\b|\bto be held\b",
}
PAST: dict[str, str] = {
    "fr": r"\b(?:a|ont|est|sont|avait|avaient|était|étaient|ayant) (?:\w+ ){0,2}?"
          r"\w+(?:é|ée|és|ées|i|is|u|us|eu)\b|\ben (?:19|20)\d\d\b|\bsuite à\b",
    "en": r"\b\w+ed\b|\bmet\b|\bleft\b|\bsaid\b|\btold\b|\bin (?:19|20)\d\d\b|\bhad\b",
}

#: words of the context that give the narrator's evidential basis
IMAGERY = r"\bphotos?\b|\bimages?\b|\bclichés?\b|\bvidéos?\b|\bsatellite images\b|\bfootage\b|\bcasting\b"
STATE_MEDIA = r"\bcommunication nord-coréenne\b|\bmédias d(?:’|')État\b|\bstate media\b|\bpropagand\w*\b"

#: goods: concept of dkv:goods and its pattern (more specific first)
GOODS: tuple[tuple[str, str], ...] = (
    ("nuclear-submarine-technology", r"\bsous-marins? à propulsion nucléaire\b|\bsous-marins?\b"
                                     r"|\bnuclear[- ]powered submarines?\b|\bsubmarines?\b"),
    ("naval-technology", r"\btechnologies? navales?\b|\bnaval technology\b"),
    ("satellite-launch-assistance", r"\bsatellites?\b|\bsatellitaires?\b|\bprogramme spatial\b"
                                    r"|\bspace programme\b|\blancement\b"),
    ("space-technology", r"\btechnologies? spatiales?\b|\bspace technology\b"),
    ("food-aid", r"\b(?:aide|assistance) alimentaire\b|\bfood(?: aid)?\b|\bgrains?\b|\bcéréales\b"
                 r"|\bproduits agricoles\b|\bfertili[sz]ers?\b|\bengrais\b|\bwheat\b|\bblé\b"),
    ("munitions", r"\bartillery shells?\b|\bobus d(?:’|')artillerie\b|\bmunitions?\b|\bobus\b"
                  r"|\bshells?\b|\bammunition\b|\brockets?\b|\broquettes?\b"),
    ("arms", r"\barmes?\b|\barmement\b|\bweapons?\b|\barms\b|\b(?:fighter )?jets\b"
             r"|\bavions de (?:chasse|combat)\b|\bmissiles?\b|\bchars\b|\btanks\b|\bdrones?\b"
             r"|\bRafale\b|\bartillery\b|\bartillerie\b|\barmou?red vehicles\b|\bblindés\b"
             r"|\blethal (?:aid|military aid)\b|\bassistance militaire\b|\b(?:military|militaire)"
             r" (?:equipment|équipement)\b|\béquipements? militaires?\b|\bmilitaro-technique\b"),
)

#: goods of the same family are the same leg when proposals are compared or reused
GOODS_FAMILY = {"munitions": "arms", "space-technology": "satellite-launch-assistance"}

CAMEO = {"Visit": "042", "Welcome": "043", "Negotiation": "046", "PublicStatement": "010",
         "JointMilitaryExercise": "062", "DiplomaticRecognition": "054",
         "InternationalSupport": "051", "ArmsDeal": "057", "Agreement": "057", "Sanction": "163"}

#: role words before a name: the type of a person the gazetteer does not know
PERSON_TITLES: dict[str, tuple[tuple[str, str], ...]] = {
    "fr": (("Spokesperson", r"porte-parole"), ("Minister", r"ministre"),
           ("PoliticalLeader", r"président|présidente|dirigeant|leader|premier ministre"),
           ("MilitaryOfficial", r"général|amiral|maréchal|colonel")),
    "en": (("Spokesperson", r"spokes(?:man|woman|person)"), ("Minister", r"[Mm]inister|[Ss]ecretary"),
           ("PoliticalLeader", r"[Pp]resident|[Ll]eader|[Pp]rime [Mm]inister|[Cc]hancellor"),
           ("MilitaryOfficial", r"[Gg]eneral|[Aa]dmiral|[Mm]arshal|[Cc]olonel")),
}


# ---------------------------------------------------------------------------- parse-based cues
#
# Lemmas looked up on the dependency parse (kg.extract.parse): the verb's lemma and its
# arguments, not the clause string.

#: speech and cognition verbs whose subject is the source of what they govern
SPEECH_LEMMAS: dict[str, frozenset[str]] = {
    "fr": frozenset({
        "dire", "déclarer", "affirmer", "annoncer", "indiquer", "assurer", "préciser", "ajouter",
        "souligner", "estimer", "expliquer", "confirmer", "rappeler", "insister", "marteler",
        "avertir", "prévenir", "accuser", "juger", "considérer", "répéter", "écrire", "noter",
        "signaler", "relever", "déplorer", "dénoncer", "promettre", "réaffirmer", "confier",
        "reconnaître", "admettre", "avancer", "rapporter", "lancer", "poursuivre", "conclure",
        "martèler", "prétendre", "révéler", "détailler", "commenter", "répondre", "démentir",
        "nier", "rejeter", "réfuter", "contester", "croire", "penser", "soupçonner", "craindre",
    }),
    "en": frozenset({
        "say", "tell", "add", "state", "announce", "claim", "warn", "insist", "note", "stress",
        "declare", "affirm", "explain", "write", "report", "accuse", "confirm", "reiterate",
        "emphasise", "emphasize", "argue", "assert", "maintain", "acknowledge", "admit", "reveal",
        "allege", "promise", "pledge", "vow", "urge", "describe", "comment", "respond", "reply",
        "deny", "dismiss", "reject", "refute", "believe", "think", "suspect", "hint", "suggest",
        "fear", "estimate", "indicate", "conclude", "predict", "caution", "complain", "quote",
    }),
}

#: speech verbs that deny what they govern: a negative claim credited to their subject
DENIAL_LEMMAS: dict[str, frozenset[str]] = {
    "fr": frozenset({"démentir", "nier", "rejeter", "réfuter", "contester"}),
    "en": frozenset({"deny", "dismiss", "reject", "refute"}),
}

#: cognition verbs: what they govern is a belief of their subject, not a fact
BELIEF_LEMMAS: dict[str, frozenset[str]] = {
    "fr": frozenset({"croire", "penser", "soupçonner", "craindre", "estimer", "supposer"}),
    "en": frozenset({"believe", "think", "suspect", "hint", "suggest", "fear", "estimate",
                     "allege", "assume", "predict"}),
}

#: pronouns standing for the last named speaker
PRONOUNS: dict[str, frozenset[str]] = {
    "fr": frozenset({"il", "elle", "-il", "-elle", "ils", "elles", "-ils", "-elles"}),
    "en": frozenset({"he", "she", "they"}),
}

#: French conditional of irregular verbs: lemma -> stem of the conditional
FRENCH_CONDITIONAL_STEMS = {
    "pouvoir": "pourr", "vouloir": "voudr", "devoir": "devr", "être": "ser", "avoir": "aur",
    "faire": "fer", "aller": "ir", "venir": "viendr", "voir": "verr", "envoyer": "enverr",
    "savoir": "saur", "falloir": "faudr", "tenir": "tiendr", "recevoir": "recevr",
    "obtenir": "obtiendr", "revenir": "reviendr", "devenir": "deviendr", "mourir": "mourr",
}
FRENCH_CONDITIONAL_ENDINGS = ("raient", "rait", "rais", "rions", "riez")

#: verbs that put the event they govern in the future or call it off (trigger in their scope)
PLANNED_LEMMAS: dict[str, frozenset[str]] = {
    "fr": frozenset({"prévoir", "programmer", "envisager", "planifier", "projeter", "compter",
                     "reporter", "repousser", "ajourner", "différer", "devoir"}),
    "en": frozenset({"schedule", "plan", "expect", "intend", "postpone", "delay", "defer",
                     "reschedule", "set"}),
}
CANCELLED_LEMMAS: dict[str, frozenset[str]] = {
    "fr": frozenset({"annuler", "suspendre", "abandonner"}),
    "en": frozenset({"cancel", "scrap", "suspend", "abandon"}),
}
CANCELLED_WORDS = r"\bcall(?:ed|s)? off\b|\bannulation\b|\bcancell?ation\b"

#: negation words attached to a verb or a trigger noun
NEGATION_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset({"pas", "jamais", "plus", "aucun", "aucune", "nul", "nulle", "ni"}),
    "en": frozenset({"not", "n't", "never", "no", "neither", "nor"}),
}

#: a title standing for a person: (words of the title, type of the person)
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "fr": ("président", "présidente", "ministre", "porte-parole", "chancelier", "chancelière",
           "premier ministre", "chef", "dirigeant", "secrétaire", "ambassadeur", "diplomate"),
    "en": ("president", "minister", "spokesman", "spokeswoman", "spokesperson", "chancellor",
           "premier", "leader", "secretary", "ambassador", "envoy", "chief", "diplomat"),
}

#: speakers that are a kind of source rather than a named actor ("des agences", "officials")
SOURCE_NOUNS = (r"\b(?:services?|renseignements?|intelligence|ministères?|ministry|ministries|"
                r"gouvernements?|governments?|officials?|responsables|diplomates|diplomats?|"
                r"sources?|agences?|agency|agencies|médias|media|experts?|analystes?|analysts?|"
                r"observateurs|observers|porte-parole|spokes(?:man|woman|person)|authorities|"
                r"autorités|officiels|council|conseil|commission|presidency|présidence|office|"
                r"bureau)\b")

#: event triggers by lemma (verbs and nouns): the type they evoke before its arguments refine it
AGREEMENT_WORDS = {
    "fr": r"\baccords?\b(?<!d’accord)(?<!d'accord)|\btraités?\b|\bpactes?\b|\bentente\b",
    "en": r"\bagreements?\b|\bdeals?\b|\btreat(?:y|ies)\b|\bpacts?\b|\baccords?\b",
}
SANCTION_WORDS = {
    "fr": r"\bsanctions?\b|\bsanctionn\w+\b|\bembargo\b",
    "en": r"\bsanction(?:s|ed|ing)?\b|\bembargo(?:es)?\b|\bblacklist\w*\b",
}
ARMS_GOODS = frozenset({"arms", "munitions"})
