"""Events: trigger words, the thing they evoke, its participants, places and status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.modality import event_status
from kg.extract.model import ACTOR_KEYS, MEETING_FAMILY, Mention
from kg.extract.parse import OBJECT_DEPS, char_span, governing_verbs, is_passive, subject_of, token_at
from kg.extract.proposals import exchange, find_goods
from kg.extract.things import add_thing


def triggers(ctx: ArticleState, begin: int, end: int) -> list[tuple[int, int, str]]:
    text = ctx.text[begin:end]
    found: list[tuple[int, int, str]] = []
    for trigger in lex.TRIGGERS[ctx.lang]:
        for match in ctx.rx(trigger.pattern).finditer(text):
            b, e = begin + match.start(), begin + match.end()
            if not any(b < fe and fb < e for fb, fe, _k in found):
                found.append((b, e, trigger.kind))
    return sorted(found)


def things_for(ctx: ArticleState, index: int, begin: int, end: int,
               triggers: list[tuple[int, int, str]], cues: list[tuple[str, lex.Cue]],
               sentence_text: str, attribution: Any) -> list[str]:
    about: list[str] = []
    mentions = [m for m in ctx.in_span(begin, end)
                if not (attribution and attribution[2] <= m.begin < attribution[3]
                        and m.id == attribution[0])]
    sentence = ctx.sentences[index]
    all_mentions = ctx.in_span(sentence.begin, sentence.end)
    status = event_status(ctx, begin, end, cues, index, triggers)
    kinds = [k for _b, _e, k in triggers]
    if "EXCHANGE" in kinds or (("DELIVERY" in kinds or "REQUEST" in kinds)
                               and ctx.last_thing({"ExchangeProposal"})):
        about += exchange(ctx, index, begin, end, triggers, mentions, cues, attribution)
    for tb, te, kind in triggers:
        if kind == "EXCHANGE" or (kind in ("DELIVERY", "REQUEST", "RECEIPT") and about):
            continue
        before = [m for m in mentions if m.end <= tb]
        after = [m for m in mentions if m.begin >= te]
        anaphor = bool(ctx.rx(lex.ANAPHOR[ctx.lang]).search(ctx.text[max(begin, tb - 25):tb]))
        roles = roles_from_tree(ctx, index, tb, mentions)
        if kind == "RECEIPT":  # "X received tanks from Y": Y gives, X receives
            roles = TreeRoles([m for m in roles.objects if m not in roles.destinations],
                              roles.subjects, roles.subjects)
        clause = Clause(begin, end, before, after, mentions, all_mentions, status, anaphor,
                        sentence_text, roles)
        for thing in event_things(ctx, _event_type(ctx, kind, begin, end), clause):
            if thing not in about:
                about.append(thing)
    if not about and ctx.rx(r"\bsatellites?\b|\bsatellitaire\b").search(ctx.text[begin:end]):
        about += exchange(ctx, index, begin, end, [], mentions, cues, attribution)
    return about


def _event_type(ctx: ArticleState, kind: str, begin: int, end: int) -> str:
    """Pseudo-kinds to classes: an agreement is an ArmsDeal only when it is about arms."""
    if kind == "AGREEMENT":
        arms = set(find_goods(ctx, begin, end)) & lex.ARMS_GOODS or ctx.rx(
            r"\barms deal|\baccords? d(?:’|')armement").search(ctx.text[begin:end])
        return "ArmsDeal" if arms else "Agreement"
    return {"DELIVERY": "Delivery", "RECEIPT": "Delivery", "REQUEST": "Request"}.get(kind, kind)


@dataclass(frozen=True)
class TreeRoles:
    """The mentions a trigger's dependency arguments hold: its subject (or, for a noun, its
    possessor/"de X"), its objects and obliques (and whether they are introduced by a
    preposition of destination or target), for a passive the agent as subject."""

    subjects: list[Mention] = field(default_factory=list)
    objects: list[Mention] = field(default_factory=list)
    destinations: list[Mention] = field(default_factory=list)


_DESTINATION_WORDS = frozenset({"to", "in", "at", "into", "à", "au", "aux", "en", "vers", "dans"})


def roles_from_tree(ctx: ArticleState, index: int, trigger_begin: int,
                    mentions: list[Mention]) -> TreeRoles:
    offset = ctx.sentences[index].begin
    token = token_at(ctx.docs[index], trigger_begin - offset)
    if token is None:
        return TreeRoles()
    heads = [token]
    if token.pos_ in ("NOUN", "PROPN"):
        verb = next(iter(governing_verbs(token)[:1]), None)
        if verb is not None and verb is not token and \
                verb.lemma_.lower() not in lex.SPEECH_LEMMAS[ctx.lang]:
            heads.append(verb)

    def within(tok: Any) -> list[Mention]:
        b, e = char_span(tok.subtree, offset)
        return [m for m in mentions if b <= m.begin and m.end <= e]

    roles = TreeRoles()
    for head in heads:
        subject = subject_of(head) if head.pos_ in ("VERB", "AUX") else None
        if subject is not None:
            (roles.objects if is_passive(head) else roles.subjects).extend(within(subject))
        for child in head.children:
            possessor = child.dep_ in ("poss", "nmod:poss", "agent", "obl:agent") or (
                head is token and token.pos_ == "NOUN" and child.dep_ in ("nmod", "prep")
                and (_case(child) in ("de", "du", "des") or child.lower_ in ("of", "by")))
            if possessor:
                roles.subjects.extend(within(child))
            elif child.dep_ in OBJECT_DEPS:
                found = within(child)
                roles.objects.extend(found)
                if child.lower_ in _DESTINATION_WORDS or _case(child) in _DESTINATION_WORDS:
                    roles.destinations.extend(found)
    return roles


def _case(token: Any) -> str:
    return next((c.lower_ for c in token.children if c.dep_ == "case"), "")


def pair(ctx: ArticleState, kind: str) -> list[str]:
    pair = lex.PAIR[ctx.lang]
    return ctx.recent_of({"person"}, 2) if kind == "person" else ctx.recent_states(2) \
        if pair else []


@dataclass(frozen=True)
class Clause:
    """A trigger in its clause: the mentions before and after it, the whole sentence's mentions,
    the status its tense and hedges give, and whether an anaphor ("ce sommet") precedes it."""

    begin: int
    end: int
    before: list[Mention]
    after: list[Mention]
    mentions: list[Mention]
    all_mentions: list[Mention]
    status: str | None
    anaphor: bool
    sentence_text: str
    tree: TreeRoles = field(default_factory=lambda: TreeRoles())

    def persons(self) -> list[str]:
        return [m.id for m in self.mentions if m.kind == "person"]


def event_things(ctx: ArticleState, kind: str, clause: Clause) -> list[str]:
    """The things one trigger evokes: an earlier thing it refers back to, or a new one."""
    persons = clause.persons()
    if kind == "Meeting" and (len(set(persons)) >= 2 or ctx.last_thing({"Summit"})):
        kind = "Summit"
    if clause.anaphor and not persons:
        family = MEETING_FAMILY if kind in MEETING_FAMILY else {kind}
        previous = ctx.last_thing(family | ({"Arrival"} if kind == "Visit" else set()))
        if previous:
            return [previous.id]
    if kind == "RELATION":
        return _relation(ctx, clause)
    if kind == "MEMBERSHIP":
        return membership(ctx, clause.before or clause.mentions)
    props = _common_props(ctx, kind, clause)
    roles = _ROLES.get(kind)
    if roles is not None:
        roles(ctx, kind, clause, props)
    _place(ctx, kind, clause, props)
    actors = list(dict.fromkeys(a for key in ACTOR_KEYS for a in props.get(key, []) if a))
    if "hasPlace" in props and "hasPlace" in props.get("unknown", []):
        del props["hasPlace"]
    return [add_thing(ctx, kind, props, actors, sentence_text=clause.sentence_text).id]


def _place(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    """Where it happens: a place named in the clause after "à"/"in"/"at" (not for a trip,
    whose place is its destination, nor for a statement)."""
    if kind in ("Visit", "Arrival", "Departure", "PublicStatement") or any(
            props.get(k) for k in ("hasPlace", "destination", "origin")):
        return
    places = [m.id for m in clause.mentions if m.kind == "place"]
    if places:
        props["hasPlace"] = places[:1]


def _common_props(ctx: ArticleState, kind: str, clause: Clause) -> dict[str, list[str]]:
    text = ctx.text[clause.begin:clause.end]
    props: dict[str, list[str]] = {}
    cameo = lex.CAMEO.get(kind)
    if kind == "Summit" and clause.status == "planned":
        cameo = "036"
    if cameo:
        props["eventType"] = [cameo]
    if clause.status:
        props["eventStatus"] = [clause.status]
    if ctx.rx(r"\bla date\b|\bthe date\b").search(text) and ctx.rx(r"inconnu|unknown").search(text):
        place_too = ctx.rx(r"\blieu\b|\bplace\b|\bvenue\b").search(text)
        props["unknown"] = ["date", "hasPlace"] if place_too else ["date"]
    return props


def _tree_actors(ctx: ArticleState, mentions: list[Mention], kinds: set[str]) -> list[str]:
    return list(dict.fromkeys(m.id for m in mentions if m.kind in kinds))


def _meeting_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    tree = _tree_actors(ctx, clause.tree.subjects + clause.tree.objects, {"person"})
    if len(tree) >= 2:
        props["participant"] = tree
        return
    people = list(dict.fromkeys(tree + clause.persons()
                                or [m.id for m in clause.all_mentions if m.kind == "person"]))
    if len(people) < 2 and ctx.rx(lex.PAIR[ctx.lang]["person"]).search(clause.sentence_text):
        people = ctx.recent_of({"person"}, 2)
    if len(people) < 2:
        parent = ctx.last_thing({"Summit"})
        if parent and kind == "Negotiation":
            props["subEventOf"] = [parent.id]
            people = parent.props.get("participant", people)
        else:
            people = list(dict.fromkeys(people + ctx.recent_of({"person"}, 2)))[:2]
    props["participant"] = people


def _movement_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    """Visit, Arrival, Departure, Welcome, TroopReview: who moves, where, and who hosts."""
    begin, end, after = clause.begin, clause.end, clause.after
    subjects = (_tree_actors(ctx, clause.tree.subjects, {"person"})
                or _tree_actors(ctx, clause.tree.subjects, {"state", "org", "group"}))
    person = (subjects or [m.id for m in clause.before if m.kind == "person"]
              or [m.id for m in clause.all_mentions if m.kind == "person"]
              or ctx.recent_of({"person"}, 1))[:1]
    tail = ctx.text[after[0].begin:end] if after else ctx.text[max(begin, end - 60):end]
    places = (_tree_actors(ctx, clause.tree.destinations, {"state", "place"})
              or [m.id for m in after if m.kind in ("state", "place") and m.id not in person]
              or ctx.demonym_states(tail)[:1])
    if kind == "Visit":
        props["visitor"] = person
        host = [ctx.state(p) for p in places[:1] if ctx.state(p)]
        props["host"] = [h for h in host if h != (ctx.state(person[0]) if person else None)]
        props["destination"] = places[:1]
        return
    if kind == "Arrival":
        props["initiator"], props["destination"] = person, places[:1]
    elif kind == "Departure":
        props["initiator"], props["origin"] = person, places[:1]
    elif kind == "Welcome":
        _welcome_roles(ctx, clause, person, places, props)
    else:
        props["initiator"] = person
    parent = ctx.last_thing({"Visit"})
    if parent:
        props["subEventOf"] = [parent.id]


def _welcome_roles(ctx: ArticleState, clause: Clause, person: list[str], places: list[str],
                   props: dict[str, list[str]]) -> None:
    text = ctx.text[clause.begin:clause.end]
    passive = ctx.rx(r"\b(?:été|was|were|been) (?:accueilli|welcomed)").search(text)
    hosts = (_tree_actors(ctx, clause.tree.objects, {"person"})
             or [m.id for m in clause.after if m.kind in ("state", "person")] or places[:1])
    hosts = [h for h in hosts if h not in person]
    if passive:
        props["initiator"], props["target"] = hosts[:1], person
    else:
        props["initiator"], props["target"] = person, hosts[:1]
    props["hasPlace"] = places[:1]


def _coverage_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    props["initiator"] = [m.id for m in clause.mentions if m.kind == "media"][:1]


def _parties_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    """JointMilitaryExercise, ArmsDeal, Agreement: the states taking part."""
    tree = clause.tree.subjects + clause.tree.objects
    parties = [ctx.state(m.id) or m.id for m in tree if ctx.state(m.id)]
    parties = list(dict.fromkeys(parties + list(dict.fromkeys(ctx.state(m.id) or m.id for m in clause.mentions
                                 if m.kind in ("state", "org", "person") and ctx.state(m.id)))))
    if len(parties) < 2:
        parties = list(dict.fromkeys(
            parties + [ctx.state(m.id) or m.id for m in clause.all_mentions if ctx.state(m.id)]
            + ctx.demonym_states(clause.sentence_text)))[:2]
    if len(parties) < 2:
        parties = list(dict.fromkeys(parties + ctx.recent_states(2)))[:2]
    props["participant" if kind == "JointMilitaryExercise" else "party"] = parties
    visit = ctx.last_thing({"Visit"})
    if visit and ctx.rx(r"aboutir|conduire|mener|lead to|result in").search(
            ctx.text[clause.begin:clause.end]):
        props["outcomeOf"] = [visit.id]
    if kind == "JointMilitaryExercise":
        props["context"] = ["military"]
    else:
        goods = find_goods(ctx, clause.begin, clause.end)[:3]
        if goods:
            props["goods"] = goods


def _stance_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    """DiplomaticRecognition, InternationalSupport: who recognises or backs whom."""
    before, after = clause.before, clause.after
    first = before[0].begin if before else (after[0].begin if after else clause.end)
    subject = ([ctx.state(m.id) or m.id for m in before if m.kind == "state"]
               or [ctx.state(m.id) or m.id for m in clause.all_mentions
                   if m.kind == "state" and m.end <= first]
               or ctx.recent_states(1))[:1]
    target = [m.id for m in after if m.kind != "place"][:1] or \
        [m.id for m in clause.mentions if m.kind == "state" and m.id not in subject][:1]
    props["initiator"], props["target"] = subject, target
    if kind == "InternationalSupport":
        props["context"] = ["diplomatic"]
        return
    parent = ctx.last_thing({"InternationalSupport"})
    if parent:
        props["subEventOf"] = [parent.id]


def _launch_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    props["initiator"] = ([ctx.state(m.id) or m.id for m in clause.mentions if ctx.state(m.id)]
                          or ctx.recent_states(1))[:1]
    if ctx.rx(r"infructueuse|ratée|failed|échec").search(ctx.text[clause.begin:clause.end]):
        props["outcome"] = ["failure"]


def _delivery_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    """Who gives what to whom: the subject gives (the agent of a passive), the "to"/"à"
    argument receives; goods from the clause."""
    givers = _tree_actors(ctx, clause.tree.subjects, {"state", "org", "group", "person"})
    receivers = [a for a in _tree_actors(ctx, clause.tree.destinations or clause.tree.objects,
                                         {"state", "org", "group", "person"}) if a not in givers]
    if not givers:
        givers = [m.id for m in clause.before if m.kind in ("state", "org", "group")][:1]
    if not receivers:
        receivers = [m.id for m in clause.after if m.kind in ("state", "org", "group")
                     and m.id not in givers][:1]
    props["giver"] = [ctx.state(g) or g for g in givers[:1]]
    props["recipient"] = [ctx.state(r) or r for r in receivers[:1]
                          if (ctx.state(r) or r) not in props["giver"]]
    props["goods"] = find_goods(ctx, clause.begin, clause.end)[:3]
    if set(props["goods"]) & lex.ARMS_GOODS:
        props["eventType"] = ["072"]


def _directed_roles(ctx: ArticleState, kind: str, clause: Clause, props: dict[str, list[str]]) -> None:
    """Sanction, Request: the subject acts on the object ("against X", "à X")."""
    kinds = {"state", "org", "group", "person"}
    initiators = _tree_actors(ctx, clause.tree.subjects, kinds) or \
        [m.id for m in clause.before if m.kind in kinds][:1]
    targets = [a for a in _tree_actors(ctx, clause.tree.objects, kinds) if a not in initiators] or \
        [m.id for m in clause.after if m.kind in kinds and m.id not in initiators][:1]
    props["initiator"], props["target"] = initiators[:1], targets[:1]
    goods = find_goods(ctx, clause.begin, clause.end)[:3] if kind == "Request" else []
    if goods:
        props["goods"] = goods


def _relation(ctx: ArticleState, clause: Clause) -> list[str]:
    parties = list(dict.fromkeys(ctx.state(m.id) or m.id for m in clause.mentions
                                 if ctx.state(m.id)))[:2]
    if len(parties) < 2:
        return []
    thing = add_thing(ctx, "BilateralRelation", {"party": parties}, parties,
                      sentence_text=clause.sentence_text)
    return [thing.id]


_ROLES = {
    "Summit": _meeting_roles, "Meeting": _meeting_roles, "Negotiation": _meeting_roles,
    "Visit": _movement_roles, "Arrival": _movement_roles, "Departure": _movement_roles,
    "Welcome": _movement_roles, "TroopReview": _movement_roles,
    "MediaCoverage": _coverage_roles,
    "JointMilitaryExercise": _parties_roles, "ArmsDeal": _parties_roles,
    "Agreement": _parties_roles, "Delivery": _delivery_roles, "Sanction": _directed_roles,
    "Request": _directed_roles,
    "DiplomaticRecognition": _stance_roles, "InternationalSupport": _stance_roles,
    "SatelliteLaunchAttempt": _launch_roles,
}


def membership(ctx: ArticleState, members: list[Mention]) -> list[str]:
    members = [m for m in members if m.kind in ("person", "group")]
    if not members:
        return []
    state = next((ctx.state(m.id) for m in members if ctx.state(m.id)), None) or \
        (ctx.recent_states(1) or [None])[0]
    delegation = next((e["id"] for e in ctx.draft.entities if e.get("type") == "Delegation"),
                      None)
    if delegation is None:
        delegation = ctx.new_id(f"delegation-{state or 'x'}")
        entry: dict[str, Any] = {"id": delegation, "type": "Delegation",
                                 "label": {"fr": "délégation", "en": "delegation"},
                                 "_review": "delegation named by the text: check its label"}
        if state:
            entry["represents"] = state
            name = ctx.knowledge.entities[state].labels if state in ctx.knowledge.entities \
                else {}
            entry["label"] = {"fr": f"délégation ({name.get('fr', state)})",
                              "en": f"delegation ({name.get('en', state)})"}
        ctx.draft.entities.append(entry)
        ctx.defined_entities.add(delegation)
    out: list[str] = []
    for member in members:
        entity = ctx.knowledge.entities.get(member.id)
        role = None
        if entity and entity.type == "Minister" and re.search(r"étrangères|foreign", member.text, re.I):
            role = "foreign-minister"
        elif re.search(r"militaire|military", member.text, re.I):
            role = "military-official"
        props = {"member": [member.id], "ofDelegation": [delegation]}
        if role:
            props["membershipRole"] = [role]
        out.append(add_thing(ctx, "DelegationMembership", props, [member.id]).id)
    return out
