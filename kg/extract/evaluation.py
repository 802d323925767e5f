"""Evaluation: drafts of reviewed articles, extracted as unseen, scored against their annotation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.corpus import read_text
from kg.errors import InputError
from kg.extract import lexicon as lex
from kg.extract.knowledge import Knowledge, entries, load_knowledge, strings
from kg.extract.model import ACTOR_KEYS, LANGS, NARRATOR, Draft, slug
from kg.extract.sentences import extract_draft
from kg.text import find_quote, split_sentences
from kg.yamlsafe import Node, load_yaml

# of the knowledge the extractor reconciles with):
# - entities: the actors and places the annotation involves (its entities, the speakers of its
#   claims, the actors and places of the things it defines or makes claims about), by id; a new
#   entity of the draft also matches a gold one whose label or alias is its name;
# - events (dkg:Event subclasses except the draft's unclassified placeholders), proposals and
#   legs: same type, and at least one sentence where both have a claim (legs: same giver,
#   recipient and family of goods too);
# - claims: each gold claim is paired with the draft claim of the same sentence whose quote
#   overlaps it most; certainty, speaker (accordingTo), evidential basis and fact/not-a-fact
#   are then compared on the pairs.

_NOT_EVENTS = {"ExchangeProposal", "ProposalLeg", "DelegationMembership", "BilateralRelation"}
_PLACE_KEYS = ("hasPlace", "origin", "destination", "giver", "recipient", "floatedBy",
               "ofDelegation")


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class Ratio:
    correct: int
    total: int

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 1.0

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.correct + other.correct, self.total + other.total)


@dataclass(frozen=True)
class ArticleScores:
    article_id: str
    entities: Score
    events: Score
    proposals: Score
    legs: Score
    claims_paired: Ratio
    certainty: Ratio
    attribution: Ratio
    basis: Ratio
    not_a_fact: Score
    #: issue 15's measures: fact-shaped draft claims the gold says are not facts (of all the
    #: fact-shaped draft claims), speaker of the gold's attributed claims, denials (negative
    #: and credited to the denier), hedge cues found, placeholder events (of the draft's events)
    false_facts: Ratio = Ratio(0, 0)
    attributed: Ratio = Ratio(0, 0)
    denials: Ratio = Ratio(0, 0)
    hedge_cues: Ratio = Ratio(0, 0)
    placeholders: Ratio = Ratio(0, 0)

    def __add__(self, other: ArticleScores) -> ArticleScores:
        return ArticleScores("all", *(getattr(self, f) + getattr(other, f) for f in _FIELDS))


_FIELDS = ("entities", "events", "proposals", "legs", "claims_paired", "certainty", "attribution",
           "basis", "not_a_fact", "false_facts", "attributed", "denials", "hedge_cues",
           "placeholders")


def _fact_shaped(claim: dict[str, Any]) -> bool:
    return (claim["certainty"] == "certain" and claim["polarity"] == "positive"
            and claim["basis"] == "direct-report" and claim["accordingTo"] == NARRATOR
            and not claim["hedgeCue"])


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> int:
    return min(a["span"].end, b["span"].end) - max(a["span"].begin, b["span"].begin)


def _false_facts(gold: _View, mine: _View) -> Ratio:
    """Fact-shaped draft claims whose most-overlapping gold claim is not a fact (or that
    overlap no gold claim)."""
    shaped = [c for c in mine.claims if _fact_shaped(c)]
    false = 0
    for claim in shaped:
        same = [g for g in gold.claims if g["sentence"] == claim["sentence"] and _overlap(g, claim) > 0]
        best = max(same, key=lambda g: _overlap(g, claim), default=None)
        false += int(best is None or not _fact_shaped(best))
    return Ratio(false, len(shaped))


def _issue_measures(gold: _View, mine: _View, mapping: dict[str, str]) -> tuple[Ratio, ...]:
    attributed = denials = cues = Ratio(0, 0)
    for claim in gold.claims:
        same = [c for c in mine.claims if c["sentence"] == claim["sentence"] and _overlap(c, claim) > 0]
        speakers = {mapping.get(c["accordingTo"], c["accordingTo"]) for c in same}
        if claim["accordingTo"] != NARRATOR:
            attributed += Ratio(int(claim["accordingTo"] in speakers), 1)
        if claim["polarity"] == "negative":
            denials += Ratio(int(any(c["polarity"] == "negative" and mapping.get(
                c["accordingTo"], c["accordingTo"]) == claim["accordingTo"] for c in same)), 1)
        if claim["hedgeCue"]:
            written = " ".join(str(c["hedgeCue"]) for c in mine.claims
                               if c["sentence"] == claim["sentence"] and c["hedgeCue"])
            cue = str(claim["hedgeCue"])
            cues += Ratio(int(cue in written or any(str(c["hedgeCue"]) in cue for c in same
                                                    if c["hedgeCue"])), 1)
    events = [t for t, (type_name, _p) in mine.things.items()
              if t in {i for c in mine.claims for i in c["about"]} and type_name not in _NOT_EVENTS
              and t not in gold.things]
    placeholders = [t for t in events if mine.things[t][0] == "Event"]
    return (_false_facts(gold, mine), attributed, denials, cues,
            Ratio(len(placeholders), len(events)))


@dataclass
class _View:
    """What an annotation (gold) or a draft says, in the terms of the matching."""

    things: dict[str, tuple[str, dict[str, tuple[str, ...]]]]
    claims: list[dict[str, Any]]
    entities: set[str]
    local_names: dict[str, set[str]]


def _norm(text: str) -> str:
    return slug(text.replace("’", "'"))


def _gold_view(annotation: Node, text: str, knowledge: Knowledge) -> _View:
    things: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
        t.id: (t.type, t.props) for t in knowledge.things}
    local: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {}
    for entry in entries(annotation, "things"):
        props = {k: strings(v) for k, v in entry.items() if k not in ("id", "type", "label")}
        local[str(entry["id"])] = (str(entry["type"]), props)
    things.update(local)
    sentences = split_sentences(text)
    claims = []
    for entry in entries(annotation, "claims"):
        span = find_quote(text, str(entry["quote"]))
        index = next(i for i, s in enumerate(sentences) if s.begin <= span.begin < s.end)
        claims.append({"sentence": index, "span": span, "about": strings(entry.get("about")),
                       "certainty": str(entry.get("certainty")),
                       "accordingTo": str(entry.get("accordingTo", NARRATOR)),
                       "basis": str(entry.get("evidentialBasis", "direct-report")),
                       "polarity": str(entry.get("polarity", "positive")),
                       "hedgeCue": entry.get("hedgeCue")})
    scope = set(local) | {a for c in claims for a in c["about"]}
    entities = {str(e.get("id")) for e in entries(annotation, "entities")}
    entities |= _actors_of(scope, things, knowledge)
    entities |= {c["accordingTo"] for c in claims if c["accordingTo"] != NARRATOR}
    return _View(things, claims, entities, {})


def _actors_of(scope: Iterable[str], things: dict[str, tuple[str, dict[str, tuple[str, ...]]]],
               knowledge: Knowledge) -> set[str]:
    out: set[str] = set()
    for ident in scope:
        if ident not in things:
            continue
        _type, props = things[ident]
        for key in (*ACTOR_KEYS, *_PLACE_KEYS):
            out |= {v for v in props.get(key, ()) if v != NARRATOR and v not in things}
    return out


def _draft_view(draft: Draft, knowledge: Knowledge) -> _View:
    things: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
        t.id: (t.type, t.props) for t in knowledge.things}
    for thing in draft.things:
        if thing.defined:
            things[thing.id] = (thing.type, {k: tuple(v) for k, v in thing.props.items()})
    claims = [{"sentence": c.sentence, "span": c.span, "about": tuple(c.about),
               "certainty": c.certainty, "accordingTo": c.according_to, "basis": c.basis,
               "polarity": c.polarity, "hedgeCue": c.hedge_cue} for c in draft.claims]
    scope = {t.id for t in draft.things if t.defined} | {a for c in claims for a in c["about"]}
    entities = {str(e["id"]) for e in draft.entities if e.get("type") != "Delegation"}
    entities |= _actors_of(scope, things, knowledge)
    entities |= {c["accordingTo"] for c in claims if c["accordingTo"] != NARRATOR}
    local = {str(e["id"]): {_norm(v) for v in e["label"].values()} for e in draft.entities}
    return _View(things, claims, entities, local)


def _names(ident: str, knowledge: Knowledge) -> set[str]:
    entity = knowledge.entities.get(ident)
    if entity is None:
        return {_norm(ident)}
    return {_norm(f) for lang in LANGS for f in (*entity.forms.get(lang, ()),
                                                  entity.labels.get(lang, ""))} | {_norm(ident)}


def _entity_mapping(gold: _View, draft: _View, knowledge: Knowledge) -> dict[str, str]:
    """draft id -> gold id for the draft entities that match a gold entity."""
    mapping = {i: i for i in draft.entities & gold.entities}
    for ident in sorted(draft.entities - gold.entities):
        names = draft.local_names.get(ident, {_norm(ident)})
        for candidate in sorted(gold.entities - set(mapping.values())):
            if names & _names(candidate, knowledge):
                mapping[ident] = candidate
                break
    return mapping


def _thing_sentences(view: _View, types: set[str] | None, exclude: set[str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for claim in view.claims:
        for ident in claim["about"]:
            if ident not in view.things:
                continue
            type_name = view.things[ident][0]
            if type_name in exclude or (types is not None and type_name not in types):
                continue
            out.setdefault(ident, set()).add(claim["sentence"])
    return out


def _match(gold: dict[str, set[int]], draft: dict[str, set[int]],
           same: Any) -> Score:
    used: set[str] = set()
    tp = 0
    for g in sorted(gold):
        for d in sorted(draft):
            if d not in used and gold[g] & draft[d] and same(g, d):
                used.add(d)
                tp += 1
                break
    return Score(tp, len(draft) - tp, len(gold) - tp)


def score_draft(draft: Draft, annotation: Node, knowledge: Knowledge) -> ArticleScores:
    """Compare a draft with the reviewed annotation of the same text."""
    gold = _gold_view(annotation, draft.text, knowledge)
    mine = _draft_view(draft, knowledge)
    mapping = _entity_mapping(gold, mine, knowledge)
    entities = Score(len(mapping), len(mine.entities) - len(mapping),
                     len(gold.entities) - len(mapping))

    def same_type(g: str, d: str) -> bool:
        return gold.things[g][0] == mine.things[d][0]

    events = _match(_thing_sentences(gold, None, _NOT_EVENTS),
                    _thing_sentences(mine, None, _NOT_EVENTS | {"Event"}), same_type)
    proposals = _match(_thing_sentences(gold, {"ExchangeProposal"}, set()),
                       _thing_sentences(mine, {"ExchangeProposal"}, set()), same_type)

    def same_leg(g: str, d: str) -> bool:
        gp, dp = gold.things[g][1], mine.things[d][1]
        fam = [{lex.GOODS_FAMILY.get(x, x) for x in p.get("goods", ())} for p in (gp, dp)]
        return (gp.get("giver") == tuple(mapping.get(x, x) for x in dp.get("giver", ()))
                and gp.get("recipient") == tuple(mapping.get(x, x) for x in dp.get("recipient", ()))
                and bool(fam[0] & fam[1]))

    legs = _match(_thing_sentences(gold, {"ProposalLeg"}, set()),
                  _thing_sentences(mine, {"ProposalLeg"}, set()), same_leg)
    paired = certainty = attribution = basis = Ratio(0, 0)
    fact = Score(0, 0, 0)
    for claim in gold.claims:
        candidates = [c for c in mine.claims if c["sentence"] == claim["sentence"]]
        best = max(candidates, key=lambda c: min(c["span"].end, claim["span"].end)
                   - max(c["span"].begin, claim["span"].begin), default=None)
        overlap = (min(best["span"].end, claim["span"].end)
                   - max(best["span"].begin, claim["span"].begin)) if best else 0
        if best is None or overlap <= 0:
            paired += Ratio(0, 1)
            continue
        paired += Ratio(1, 1)
        certainty += Ratio(int(best["certainty"] == claim["certainty"]), 1)
        speaker = mapping.get(best["accordingTo"], best["accordingTo"])
        attribution += Ratio(int(speaker == claim["accordingTo"]), 1)
        basis += Ratio(int(best["basis"] == claim["basis"]), 1)
        is_hedged = [c["certainty"] != "certain" or c["basis"] != "direct-report"
                     or c["accordingTo"] != NARRATOR or bool(c["hedgeCue"])
                     or c["polarity"] != "positive" for c in (claim, best)]
        fact += Score(int(is_hedged[0] and is_hedged[1]), int(is_hedged[1] and not is_hedged[0]),
                      int(is_hedged[0] and not is_hedged[1]))
    return ArticleScores(draft.article_id, entities, events, proposals, legs, paired, certainty,
                         attribution, basis, fact, *_issue_measures(gold, mine, mapping))


def evaluate(gold_dirs: Sequence[Path], data_dir: Path) -> list[ArticleScores]:
    """Extract each gold article folder as unseen and score the draft against its annotation."""
    if not gold_dirs:
        raise InputError("no gold article folders to evaluate")
    full = load_knowledge(data_dir)
    results = []
    for folder in gold_dirs:
        meta = load_yaml(folder / "meta.yaml")
        annotation = load_yaml(folder / "annotation.yaml")
        if not isinstance(meta, Node) or not isinstance(annotation, Node):
            raise InputError("expected a YAML mapping", path=folder)
        lang = str(meta.get("language"))
        text = read_text(folder / "article.txt")
        draft = extract_draft(text, lang, folder.name,
                              load_knowledge(data_dir, exclude_article=folder.name))
        results.append(score_draft(draft, annotation, full))
    return results


def format_scores(results: Sequence[ArticleScores]) -> str:
    """A plain-text table: one row per article and the micro-averaged total."""
    rows = list(results)
    if len(rows) > 1:
        total = rows[0]
        for row in rows[1:]:
            total = total + row
        rows.append(total)
    header = (f"{'article':<22} {'entities P/R/F1':<17} {'events P/R/F1':<17} "
              f"{'proposals P/R/F1':<17} {'legs P/R/F1':<17} {'claims':>7} {'certainty':>9} "
              f"{'speaker':>8} {'basis':>6} {'hedged F1':>9}")
    lines = [header, "-" * len(header)]

    def prf(score: Score) -> str:
        if score.tp + score.fp + score.fn == 0:
            return "n/a (none)"
        return f"{score.precision:.2f}/{score.recall:.2f}/{score.f1:.2f}"

    for row in rows:
        lines.append(f"{row.article_id:<22} {prf(row.entities):<17} {prf(row.events):<17} "
                     f"{prf(row.proposals):<17} {prf(row.legs):<17} "
                     f"{row.claims_paired.correct:>3}/{row.claims_paired.total:<3} "
                     f"{row.certainty.value:>9.2f} {row.attribution.value:>8.2f} "
                     f"{row.basis.value:>6.2f} {row.not_a_fact.f1:>9.2f}")
    last = rows[-1]
    lines.insert(0, _issue_line(last))
    lines.append("counts (tp/fp/fn): " + ", ".join(
        f"{name} {getattr(last, name).tp}/{getattr(last, name).fp}/{getattr(last, name).fn}"
        for name in ("entities", "events", "proposals", "legs")))
    lines.append("claims: gold claims paired with a draft claim (same sentence, overlapping quote); "
                 "certainty/speaker/basis: accuracy on the pairs; hedged F1: not-a-fact detection.")
    return "\n".join(lines) + "\n"


def _issue_line(row: ArticleScores) -> str:
    """Issue 15's measures, false facts first."""
    def ratio(r: Ratio) -> str:
        return f"{r.value:.2f} ({r.correct}/{r.total})" if r.total else "n/a"

    return (f"false facts: {row.false_facts.correct} of {row.false_facts.total} fact-shaped draft "
            f"claims | speaker of attributed claims {ratio(row.attributed)} | denials negative "
            f"and credited {ratio(row.denials)} | hedge cues found {ratio(row.hedge_cues)} | "
            f"placeholder events {ratio(row.placeholders)}\n")
