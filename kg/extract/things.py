"""Things of the draft: new ones with fresh ids, or existing ones of data/ reused by id."""

from __future__ import annotations

import re

from kg.extract.context import ArticleState
from kg.extract.mentions import use_entity
from kg.extract.model import MEETING_FAMILY, TYPE_WORDS, DraftThing


def add_thing(ctx: ArticleState, type_name: str, props: dict[str, list[str]], actors: list[str],
              extra: str = "", sentence_text: str = "") -> DraftThing:
    reused = reuse(ctx, type_name, props, actors, sentence_text)
    if reused:
        seen = DraftThing(reused, type_name, {}, dict(props), defined=False)
        ctx.draft.things.append(seen)
        return seen
    base = f"{TYPE_WORDS.get(type_name, (type_name,))[1]}-{'-'.join(actors[:2])}"
    thing = DraftThing(ctx.new_id(base), type_name, ctx.label(type_name, actors, extra),
                       {k: v for k, v in props.items() if v})
    for actor in actors:
        use_entity(ctx, actor)
    ctx.draft.things.append(thing)
    return thing


def reuse(ctx: ArticleState, type_name: str, props: dict[str, list[str]], actors: list[str],
          sentence_text: str) -> str | None:
    """An existing thing of data/ (another article) with the same type and actors."""
    if not actors or type_name in ("PublicStatement", "ProposalLeg"):
        return None
    family = MEETING_FAMILY if type_name in MEETING_FAMILY else {type_name}
    years = set(re.findall(r"\b(?:19|20)\d\d\b", sentence_text))
    candidates = []
    for thing in ctx.knowledge.things:
        if thing.type not in family:
            continue
        actor_props = ("participant", "party", "visitor", "host", "initiator", "target")
        theirs = {a for k in actor_props for a in thing.props.get(k, ())}
        theirs_states = {ctx.state(a) or a for a in theirs}
        mine = {ctx.state(a) or a for a in actors}
        if not (set(actors) == theirs or (mine == theirs_states and type_name in
                                          ("ArmsDeal", "ExchangeProposal",
                                           "JointMilitaryExercise", "BilateralRelation"))):
            continue
        status, known_status = props.get("eventStatus"), thing.props.get("eventStatus")
        if status and known_status and tuple(status) != known_status and \
                not (known_status == ("planned",) and status == ["held"]):
            continue
        date = "".join(thing.props.get("date", ()))
        if years and not any(date.startswith(y) for y in years):
            continue
        if not years and date:
            continue
        candidates.append(thing)
    exact = [c.id for c in candidates if c.type == type_name]
    if len(exact) == 1:
        return exact[0]
    return candidates[0].id if len(candidates) == 1 else None
