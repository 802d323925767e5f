"""Exchange proposals: who would give what to whom in return for what."""

from __future__ import annotations

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.mentions import use_entity
from kg.extract.model import NARRATOR, DraftThing, Mention
from kg.extract.things import reuse


def find_goods(ctx: ArticleState, begin: int, end: int) -> list[str]:
    text = ctx.text[begin:end]
    found: list[tuple[int, int, str]] = []
    for concept, pattern in lex.GOODS:
        for match in ctx.rx(pattern).finditer(text):
            if not any(match.start() < fe and fb < match.end() for fb, fe, _c in found):
                found.append((match.start(), match.end(), concept))
    return list(dict.fromkeys(c for _b, _e, c in sorted(found)))


def leg(ctx: ArticleState, giver: str, recipient: str, goods: str) -> str:
    family = lex.GOODS_FAMILY.get(goods, goods)
    for thing in ctx.draft.things:
        if thing.type == "ProposalLeg" and thing.props.get("giver") == [giver] and \
                thing.props.get("recipient") == [recipient] and \
                lex.GOODS_FAMILY.get(thing.props["goods"][0], thing.props["goods"][0]) == family:
            return thing.id
    for known in ctx.knowledge.things:
        if known.type == "ProposalLeg" and known.props.get("giver") == (giver,) and \
                known.props.get("recipient") == (recipient,) and \
                any(lex.GOODS_FAMILY.get(g, g) == family for g in known.props.get("goods", ())):
            return known.id
    thing = DraftThing(ctx.new_id(f"leg-{giver}-{goods}"), "ProposalLeg",
                       ctx.label("ProposalLeg", [giver, recipient], goods),
                       {"giver": [giver], "recipient": [recipient], "goods": [goods]})
    for actor in (giver, recipient):
        use_entity(ctx, actor)
    ctx.draft.things.append(thing)
    return thing.id


def exchange(ctx: ArticleState, index: int, begin: int, end: int, triggers: list[tuple[int, int, str]],
             mentions: list[Mention], cues: list[tuple[str, lex.Cue]],
             attribution: tuple[str, str, int, int] | None) -> list[str]:
    speaker = attribution[0] if attribution else None
    actors = [m for m in mentions if ctx.state(m.id) and m.id != speaker]
    marker = next(((b, e) for b, e, k in triggers if k == "EXCHANGE"), None)
    marker_end = None
    if marker:
        comma = ctx.text.find(",", marker[1], end)
        marker_end = comma if comma != -1 and comma > marker[1] else end
    in_main = [(b, e, k) for b, e, k in triggers if k in ("DELIVERY", "REQUEST")
               and not (marker and marker[0] <= b < (marker_end or end))]
    verb = in_main[0][2] if in_main else "REQUEST"
    main_actors = [m for m in actors if not (marker and marker[0] <= m.begin < (marker_end or end))]
    subject = next((ctx.state(m.id) for m in main_actors), None)
    others = [ctx.state(m.id) for m in actors if ctx.state(m.id) != subject]
    others += [s for s in ctx.demonym_states(ctx.text[begin:end]) if s != subject]
    if subject is None:
        subject = (ctx.recent_states(1) or [None])[0]
        others = [o for o in others if o != subject]
    if not others:
        proposal = ctx.last_thing({"ExchangeProposal"})
        parties = proposal.props.get("party", []) if proposal else []
        others = [s for s in parties if s != subject] if subject in parties else []
    if not others:
        others = [s for s in ctx.recent_states(2) if s != subject]
    if not marker and not actors:
        return []
    if subject is None or not others:
        return []
    other = others[0]
    if marker:
        marker_goods = find_goods(ctx, marker[1], marker_end or end)
        main_goods = [g for g in find_goods(ctx, begin, marker[0]) + find_goods(ctx, marker_end or end, end)
                      if g not in marker_goods]
    else:
        marker_goods, main_goods = [], find_goods(ctx, begin, end)
    legs: list[str] = []
    for goods in main_goods:
        giver, recipient = (subject, other) if verb == "DELIVERY" else (other, subject)
        legs.append(leg(ctx, giver, recipient, goods))
    for goods in marker_goods:
        giver, recipient = (other, subject) if verb == "DELIVERY" else (subject, other)
        legs.append(leg(ctx, giver, recipient, goods))
    legs = list(dict.fromkeys(legs))
    if not legs:
        return []
    if not marker or len(legs) < 2:
        proposal = ctx.last_thing({"ExchangeProposal"})
        if proposal and set(proposal.props.get("party", [])) == {subject, other}:
            proposal.props["hasLeg"] = list(dict.fromkeys(proposal.props["hasLeg"] + legs))
        return legs
    hedged = any(c.certainty != "certain" for _t, c in cues)
    status = "speculated" if hedged else ("offered" if verb == "DELIVERY" else "requested")
    props = {"party": [subject, other], "hasLeg": legs, "floatedBy": [speaker or NARRATOR],
             "proposalStatus": [status]}
    reused = reuse(ctx, "ExchangeProposal", props, [subject, other], "")
    known_legs = next((set(t.props.get("hasLeg", ())) for t in ctx.knowledge.things
                       if t.id == reused), set())
    if reused and set(legs) <= known_legs:
        ctx.draft.things.append(DraftThing(reused, "ExchangeProposal", {}, props, defined=False))
        return [reused, *legs]
    thing = DraftThing(ctx.new_id(f"exchange-{subject}-{other}"), "ExchangeProposal",
                       ctx.label("ExchangeProposal", [subject, other]), props)
    ctx.draft.things.append(thing)
    return [thing.id, *legs]
