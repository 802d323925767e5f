"""A deterministic synthetic corpus in our own data model, for benchmarks at any size.

``generate_corpus(out_dir, size_triples, seed)`` writes a folder shaped like ``data/``
(``entities.yaml`` + ``articles/<id>/{article.txt,meta.yaml,annotation.yaml}``) that goes
through the real build path: strict YAML, quote finding, compile, SHACL, store.

- A population of states (names built from syllables), each with a capital, a leader, a
  foreign minister, a government, a spokesperson and state media. Which states an article is
  about follows a Zipf-like popularity (a few states dominate, as in real news).
- Articles are French texts assembled from sentence templates; every sentence carries at least
  one claim whose quote is copied from the sentence, so the compiler finds it in the text.
  Sentences cover the model: visits (with arrival), summits in a series, public statements
  (reported speech with a hedge cue and a named source), exchange proposals with both legs,
  joint exercises inferred from imagery, state-media staging, denials (negative polarity),
  delegations with members (foreign intelligence), unknown dates.
- Same seed and size: byte-identical files.

The number of triples per article is close to constant, so the corpus size is chosen by the
number of articles (``articles_for``); the benchmark reports the size measured after compiling.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: measured on the generator's output (compile of 104 articles): triples per article, and
#: triples of the ontology (1,489) + registry (43 per state) for the default population
TRIPLES_PER_ARTICLE = 838
ONTOLOGY_TRIPLES = 1489
TRIPLES_PER_STATE = 43

_SYLLABLES = ("va", "lor", "dri", "ka", "mes", "tan", "bo", "ri", "sel", "nu", "ga", "ther",
              "os", "mir", "ul", "den", "ca", "pra", "zo", "lin", "fe", "to", "ar", "bel",
              "qui", "sor", "ma", "vel", "ne", "dor")
_FIRST = ("Adrien", "Boris", "Chiara", "Dmitri", "Elena", "Farid", "Giulia", "Hiro", "Ines",
          "Jonas", "Kwame", "Leila", "Marek", "Nadia", "Omar", "Priya", "Quentin", "Rosa",
          "Sven", "Tamara", "Umar", "Vera", "Wei", "Xenia", "Yusuf", "Zofia")
_GOODS = ("arms", "food-aid", "munitions", "naval-technology", "nuclear-submarine-technology",
          "satellite-launch-assistance", "space-technology")
_GOODS_FR = {"arms": "armes", "food-aid": "aide alimentaire", "munitions": "munitions",
             "naval-technology": "technologie navale",
             "nuclear-submarine-technology": "technologie de sous-marins nucléaires",
             "satellite-launch-assistance": "aide au lancement de satellites",
             "space-technology": "technologie spatiale"}
_CONTEXTS = {"diplomatic": "diplomatique", "economic": "économique", "military": "militaire",
             "security": "sécuritaire", "technology": "technologique",
             "humanitarian": "humanitaire"}
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class State:
    key: str  # id suffix
    name: str

    def id(self, role: str) -> str:
        return f"{role}-{self.key}"


@dataclass
class _Article:
    """One article under construction: sentences, things and claims (YAML-ready dicts)."""

    article_id: str
    sentences: list[str] = field(default_factory=list)
    entities: list[dict[str, object]] = field(default_factory=list)
    things: list[dict[str, object]] = field(default_factory=list)
    claims: list[dict[str, object]] = field(default_factory=list)
    claim_sentences: list[str] = field(default_factory=list)
    counter: int = 0

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return f"{self.article_id.replace('_', '-')}-{kind}-{self.counter}"


def _name(rng: random.Random, used: set[str], parts: int) -> str:
    while True:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()
        # no name may be a prefix of another, or a quote naming one could match inside another
        if not any(word.startswith(u) or u.startswith(word) for u in used):
            used.add(word)
            return word


def make_population(rng: random.Random, n_states: int) -> list[State]:
    used: set[str] = set()
    return [State(f"s{index:03d}", _name(rng, used, rng.choice((2, 3))))
            for index in range(n_states)]


def _person(rng: random.Random, used: set[str]) -> str:
    return f"{rng.choice(_FIRST)} {_name(rng, used, 3)}"


def _label(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def registry(rng: random.Random, states: list[State]) -> list[dict[str, object]]:
    """43 triples per state: the state and its capital, leader, minister, government, voices."""
    used: set[str] = set()
    out: list[dict[str, object]] = []
    for state in states:
        leader, minister = _person(rng, used), _person(rng, used)
        n = state.name
        out += [
            {"id": state.id("state"), "type": "State", "label": _label(n, n),
             "sourceType": "government"},
            {"id": state.id("capital"), "type": "Place",
             "label": _label(f"{n}-Ville", f"{n} City"), "locatedIn": state.id("state")},
            {"id": state.id("leader"), "type": "PoliticalLeader", "label": _label(leader, leader)},
            {"id": state.id("minister"), "type": "Minister", "label": _label(minister, minister)},
            {"id": state.id("government"), "type": "GovernmentBody",
             "label": _label(f"gouvernement de {n}", f"government of {n}"),
             "represents": state.id("state"), "sourceType": "government"},
            {"id": state.id("spokesperson"), "type": "Spokesperson",
             "label": _label(f"porte-parole de {n}", f"{n} spokesperson"),
             "spokespersonFor": state.id("government"), "sourceType": "official-spokesperson"},
            {"id": state.id("media"), "type": "StateMedia",
             "label": _label(f"médias d'État de {n}", f"{n} state media"),
             "controlledBy": state.id("state"), "sourceType": "state-media"},
        ]
    return out


# ---------------------------------------------------------------------------- sentences
# Each template appends one sentence (ending with ".") and the things and claims it supports.

Template = Callable[[_Article, random.Random, State, State, State, dict[str, str]], None]


def _claim(article: _Article, quote: str, about: str | list[str], certainty: str, **extra: str
           ) -> None:
    claim: dict[str, object] = {"id": f"c{len(article.claims) + 1}", "quote": quote,
                                "about": about, "certainty": certainty}
    claim.update(extra)
    article.claims.append(claim)
    article.claim_sentences.append(article.sentences[-1])


def _visit(a: _Article, rng: random.Random, s: State, t: State, _u: State,
           series: dict[str, str]) -> None:
    visit, arrival = a.new_id("visit"), a.new_id("arrival")
    day = rng.randint(1, 28)
    a.things += [
        {"id": visit, "type": "Visit", "label": _label(f"visite du dirigeant de {s.name} à {t.name}",
                                                         f"visit of {s.name}'s leader to {t.name}"),
         "visitor": s.id("leader"), "host": t.id("state"), "origin": s.id("capital"),
         "destination": t.id("capital"), "eventType": "042", "eventStatus": "held"},
        {"id": arrival, "type": "Arrival", "label": _label(f"arrivée à {t.name}",
                                                           f"arrival in {t.name}"),
         "subEventOf": visit, "initiator": s.id("leader"), "destination": t.id("capital"),
         "eventStatus": "held"},
    ]
    sentence = (f"Le dirigeant de {s.name} est arrivé le {day} à {t.name}-Ville pour une visite "
                f"officielle auprès des autorités de {t.name}")
    a.sentences.append(sentence + ".")
    _claim(a, f"Le dirigeant de {s.name} est arrivé le {day} à {t.name}-Ville", [visit, arrival],
           "certain", temporality="past")
    _claim(a, f"pour une visite officielle auprès des autorités de {t.name}", visit, "certain",
           temporality="past")


def _summit(a: _Article, rng: random.Random, s: State, t: State, _u: State,
            series: dict[str, str]) -> None:
    summit = a.new_id("summit")
    pair = "-".join(sorted((s.key, t.key)))
    thing: dict[str, object] = {
        "id": summit, "type": "Summit",
        "label": _label(f"sommet {s.name}–{t.name}", f"{s.name}–{t.name} summit"),
        "participant": [s.id("leader"), t.id("leader")], "eventType": "036",
        "eventStatus": "planned", "unknown": ["date"], "hasPlace": t.id("capital")}
    previous = series.get(pair)
    if previous is not None:
        thing["previousInSeries"] = previous
    series[pair] = summit
    a.things.append(thing)
    sentence = (f"Les dirigeants de {s.name} et de {t.name} doivent se retrouver en sommet à "
                f"{t.name}-Ville, à une date qui reste inconnue")
    a.sentences.append(sentence + ".")
    _claim(a, sentence, summit, "certain", temporality="future")


def _statement(a: _Article, rng: random.Random, s: State, t: State, _u: State,
               series: dict[str, str]) -> None:
    talks, statement = a.new_id("talks"), a.new_id("statement")
    context = rng.choice(sorted(_CONTEXTS))
    hedged = f"c{len(a.claims) + 1}"
    a.things += [
        {"id": talks, "type": "Negotiation",
         "label": _label(f"discussions {s.name}–{t.name}", f"{s.name}–{t.name} talks"),
         "participant": [s.id("state"), t.id("state")], "context": context, "eventType": "046",
         "eventStatus": "planned"},
        {"id": statement, "type": "PublicStatement",
         "label": _label(f"déclaration du porte-parole de {s.name}",
                         f"statement of the {s.name} spokesperson"),
         "initiator": s.id("spokesperson"), "concerns": talks, "conveys": hedged,
         "eventType": "010", "eventStatus": "held"},
    ]
    topic = f"la coopération {_CONTEXTS[context]} avec {t.name}"
    sentence = f"Les discussions porteront sur {topic}, selon le porte-parole de {s.name}"
    a.sentences.append(sentence + ".")
    _claim(a, sentence, talks, "probable", temporality="future", hedgeCue="selon",
           evidentialBasis="reported-speech", accordingTo=s.id("spokesperson"))
    _claim(a, f"selon le porte-parole de {s.name}", statement, "certain", temporality="past")


def _proposal(a: _Article, rng: random.Random, s: State, t: State, _u: State,
              series: dict[str, str]) -> None:
    proposal, out_leg, in_leg = a.new_id("proposal"), a.new_id("leg"), a.new_id("leg")
    given, received = rng.sample(_GOODS, 2)
    a.things += [
        {"id": proposal, "type": "ExchangeProposal",
         "label": _label(f"{_GOODS_FR[given]} contre {_GOODS_FR[received]}",
                         f"{given} for {received}"),
         "party": [s.id("state"), t.id("state")], "hasLeg": [out_leg, in_leg],
         "floatedBy": "narrator", "proposalStatus": "speculated"},
        {"id": out_leg, "type": "ProposalLeg",
         "label": _label(f"{_GOODS_FR[given]} de {s.name}", f"{given} from {s.name}"),
         "giver": s.id("state"), "recipient": t.id("state"), "goods": given},
        {"id": in_leg, "type": "ProposalLeg",
         "label": _label(f"{_GOODS_FR[received]} de {t.name}", f"{received} from {t.name}"),
         "giver": t.id("state"), "recipient": s.id("state"), "goods": received},
    ]
    sentence = (f"En échange de {_GOODS_FR[given]}, {s.name} pourrait obtenir de {t.name} "
                f"des livraisons de {_GOODS_FR[received]}")
    a.sentences.append(sentence + ".")
    _claim(a, sentence, [proposal, out_leg, in_leg], "possible", temporality="future",
           hedgeCue="pourrait", evidentialBasis="journalist-speculation")


def _exercise(a: _Article, rng: random.Random, s: State, t: State, _u: State,
              series: dict[str, str]) -> None:
    exercise = a.new_id("exercise")
    a.things.append(
        {"id": exercise, "type": "JointMilitaryExercise",
         "label": _label(f"exercices conjoints {s.name}–{t.name}",
                         f"{s.name}–{t.name} joint exercises"),
         "participant": [s.id("state"), t.id("state")], "context": "military",
         "eventType": "062", "eventStatus": "hypothetical"})
    sentence = (f"Des images satellites laissent supposer que {s.name} et {t.name} préparent "
                f"des exercices navals conjoints")
    a.sentences.append(sentence + ".")
    _claim(a, sentence, exercise, "possible", temporality="future",
           hedgeCue="laissent supposer", evidentialBasis="imagery-inference")


def _staging(a: _Article, rng: random.Random, s: State, t: State, _u: State,
             series: dict[str, str]) -> None:
    welcome, coverage = a.new_id("welcome"), a.new_id("coverage")
    a.things += [
        {"id": welcome, "type": "Welcome",
         "label": _label(f"accueil du dirigeant de {t.name}", f"welcome of {t.name}'s leader"),
         "initiator": s.id("state"), "target": t.id("leader"), "hasPlace": s.id("capital"),
         "eventType": "043", "eventStatus": "held"},
        {"id": coverage, "type": "MediaCoverage",
         "label": _label(f"couverture par les médias d'État de {s.name}",
                         f"{s.name} state media coverage"),
         "initiator": s.id("media"), "concerns": welcome, "eventStatus": "held"},
    ]
    sentence = (f"Les médias d'État de {s.name} ont longuement montré l'accueil triomphal "
                f"réservé au dirigeant de {t.name}")
    a.sentences.append(sentence + ".")
    _claim(a, f"l'accueil triomphal réservé au dirigeant de {t.name}", welcome, "certain",
           temporality="past", evidentialBasis="state-media-staging", accordingTo=s.id("media"))
    _claim(a, f"Les médias d'État de {s.name} ont longuement montré", coverage, "certain",
           temporality="past")


def _denial(a: _Article, rng: random.Random, s: State, t: State, _u: State,
            series: dict[str, str]) -> None:
    deal = a.new_id("deal")
    a.things.append(
        {"id": deal, "type": "ArmsDeal",
         "label": _label(f"accord d'armement {s.name}–{t.name}", f"{s.name}–{t.name} arms deal"),
         "party": [s.id("state"), t.id("state")], "concerns": "goods:arms", "eventType": "057",
         "eventStatus": "hypothetical"})
    sentence = f"Le gouvernement de {s.name} a démenti tout accord d'armement avec {t.name}"
    a.sentences.append(sentence + ".")
    _claim(a, sentence, deal, "certain", polarity="negative", temporality="present",
           evidentialBasis="reported-speech", accordingTo=s.id("government"))


def _delegation(a: _Article, rng: random.Random, s: State, t: State, u: State,
                series: dict[str, str]) -> None:
    delegation, membership = a.new_id("delegation"), a.new_id("membership")
    a.entities.append(
        {"id": delegation, "type": "Delegation",
         "label": _label(f"délégation de {s.name} à {t.name}", f"{s.name} delegation to {t.name}"),
         "represents": s.id("state")})
    a.things.append(
        {"id": membership, "type": "DelegationMembership",
         "label": _label(f"ministre de {s.name} dans la délégation",
                         f"{s.name} minister in the delegation"),
         "member": s.id("minister"), "ofDelegation": delegation,
         "membershipRole": "foreign-minister"})
    sentence = (f"D'après des responsables de {u.name}, le ministre des Affaires étrangères de "
                f"{s.name} ferait partie de la délégation envoyée à {t.name}")
    a.sentences.append(sentence + ".")
    _claim(a, sentence, membership, "probable", temporality="present",
           hedgeCue="D'après des responsables", evidentialBasis="foreign-intelligence",
           accordingTo=u.id("government"))


TEMPLATES: tuple[Template, ...] = (_visit, _summit, _statement, _proposal, _exercise, _staging,
                                   _denial, _delegation)


# ---------------------------------------------------------------------------- writing


def _yaml_scalar(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _yaml_mapping(item: dict[str, object], indent: str) -> str:
    lines = []
    for index, (key, value) in enumerate(item.items()):
        lead = f"{indent}- " if index == 0 else f"{indent}  "
        if isinstance(value, dict):
            inner = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in value.items())
            lines.append(f"{lead}{key}: {{{inner}}}")
        elif isinstance(value, list):
            lines.append(f"{lead}{key}: [{', '.join(_yaml_scalar(v) for v in value)}]")
        else:
            lines.append(f"{lead}{key}: {_yaml_scalar(value)}")
    return "\n".join(lines)


def _yaml_section(name: str, items: list[dict[str, object]]) -> str:
    if not items:
        return f"{name}: []\n"
    return f"{name}:\n" + "\n".join(_yaml_mapping(item, "  ") for item in items) + "\n"


def _zipf_weights(n: int, exponent: float = 1.1) -> list[float]:
    return [1.0 / (rank ** exponent) for rank in range(1, n + 1)]


def articles_for(size_triples: int, n_states: int = 150) -> int:
    """How many articles give about ``size_triples`` triples (at least one)."""
    base = ONTOLOGY_TRIPLES + TRIPLES_PER_STATE * n_states
    return max(1, (size_triples - base) // TRIPLES_PER_ARTICLE)


def _article(index: int, rng: random.Random, states: list[State], weights: list[float],
             series: dict[str, str]) -> tuple[_Article, str, str]:
    article_id = f"{index:07d}_synth"
    article = _Article(article_id)
    main, other = rng.choices(states, weights=weights, k=2)
    while other == main:
        other = rng.choices(states, weights=weights)[0]
    third = rng.choice(states)
    seen: set[str] = set()
    paragraphs: list[str] = []
    for paragraph in range(4):
        start = len(article.sentences)
        if paragraph == 2:  # the second half of the article brings in another state
            other = rng.choices(states, weights=weights)[0]
            while other == main:
                other = rng.choices(states, weights=weights)[0]
        order = rng.sample(TEMPLATES, 5)
        for template in order:
            s, t = (main, other) if rng.random() < 0.6 else (other, main)
            key = f"{template.__name__}-{s.key}-{t.key}"
            if key in seen:  # the same template on the same pair would repeat a sentence
                continue
            seen.add(key)
            template(article, rng, s, t, third, series)
        paragraphs.append(" ".join(article.sentences[start:]))
    text = "\n".join(paragraphs) + "\n"
    for claim, sentence in zip(article.claims, article.claim_sentences, strict=True):
        if text.count(str(claim["quote"])) != 1:  # a part quote repeated: quote the sentence
            claim["quote"] = sentence.removesuffix(".")
    month = rng.randint(1, 12)
    year = 2015 + index % 10
    meta = (f"id: {article_id}\nlanguage: fr\npublished: {year}-{month:02d}\n"
            f"title: {_yaml_scalar(f'{main.name} et {other.name} : chronique de {_MONTHS[month - 1]}')}\n"
            f"author: Rédaction Synthèse\nunknown: [publisher]\n")
    return article, text, meta


def states_for(size_triples: int) -> int:
    """The population grows with the corpus: 20 states up to 14k triples, 150 from 105k."""
    return max(20, min(150, size_triples // 700))


#: the synthetic corpus stands for a reviewed one (as data/ is): its plain claims make facts
SYNTHETIC_PROVENANCE = ("provenance:\n  annotator: {person: kg synth}\n  annotatedAt: 2026-01-01\n"
                        "  reviewer: {person: kg synth}\n  reviewedAt: 2026-01-01\n")


def generate_corpus(out_dir: Path, size_triples: int, seed: int = 7,
                    n_states: int | None = None) -> int:
    """Write a synthetic ``data/``-shaped corpus of about ``size_triples`` triples.

    Returns the number of articles written. Deterministic for a given seed and size.
    """
    n_states = n_states if n_states is not None else states_for(size_triples)
    rng = random.Random(seed)
    states = make_population(rng, n_states)
    weights = _zipf_weights(len(states))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "entities.yaml").write_text(
        "# Synthetic registry (kg.synth): states and their voices.\n"
        + _yaml_section("entities", registry(rng, states)), encoding="utf-8")
    series: dict[str, str] = {}
    count = articles_for(size_triples, n_states)
    articles_dir = out_dir / "articles"
    for index in range(count):
        article, text, meta = _article(index, rng, states, weights, series)
        folder = articles_dir / article.article_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "article.txt").write_text(text, encoding="utf-8")
        (folder / "meta.yaml").write_text(meta, encoding="utf-8")
        (folder / "annotation.yaml").write_text(
            f"article: {article.article_id}\n" + SYNTHETIC_PROVENANCE
            + _yaml_section("entities", article.entities)
            + _yaml_section("things", article.things) + _yaml_section("claims", article.claims),
            encoding="utf-8")
    return count
