"""Attribution: who says what ("selon X", "according to X", "X said"), distinct from the publisher."""

from __future__ import annotations

import re

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.mentions import speaker_entity


def find_attribution(ctx: ArticleState, begin: int, end: int) -> tuple[str, str, int, int] | None:
    """(speaker id, cue as written, begin, end of the attribution words) in a span."""
    text = ctx.text[begin:end]
    for pattern in lex.ATTRIBUTION[ctx.lang]:
        match = ctx.rx(pattern).search(text)
        if not match:
            continue
        wb, we = begin + match.start("who"), begin + match.end("who")
        speakers = [m for m in ctx.in_span(wb, we) if m.kind != "place"]
        voices = [m for m in speakers if m.kind in ("org", "media", "person", "group")]
        if voices:
            speaker = voices[-1].id
        elif speakers:
            speaker = speakers[0].id
        elif re.search(r"^(?:the|l[ea]s?)\s+(?:agency|agence|ministry|ministère|service)$",
                       match.group("who").strip(), re.I) and ctx.speakers:
            speaker = ctx.speakers[-1]
        else:
            found = speaker_entity(ctx, match.group("who"), wb)
            if found is None:
                continue
            speaker = found
        cue_match = ctx.rx(lex.REPORTING_CUE[ctx.lang]).search(text, match.start())
        cue = cue_match.group(0).strip() if cue_match else match.group(0).strip()
        return speaker, cue, begin + match.start(), begin + match.end()
    return None
