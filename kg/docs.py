"""Ontology documentation: one self-contained HTML page and an SVG diagram of the core classes.

``render_ontology_html(ontology) -> str`` lists the header, the class hierarchy, the properties
(domainIncludes, rangeIncludes, the concept scheme of their values), the concept schemes with their
concepts and the CAMEO -> Goldstein / PLOVER table. ``render_diagram_svg(ontology) -> str`` draws
the core classes on a fixed layout. Both are pure functions of the graph: sorted, no timestamp, no
JavaScript, no external request; every string from the graph goes through ``html.escape``.
``kg build`` writes them as ``exports/ontology.html`` and ``exports/ontology-diagram.svg``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from kg.namespaces import DKG, DKV, NIF, ONTOLOGY_IRI, PREFIXES, SCHEMA, VOCAB_IRI

_MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def curie(term: object) -> str:
    """``dkg:Claim`` for a term of a known namespace (the longest matching one), the IRI otherwise."""
    text = str(term)
    matches = sorted(((len(str(ns)), prefix) for prefix, ns in PREFIXES.items()
                      if text.startswith(str(ns)) and len(text) > len(str(ns))), reverse=True)
    if not matches:
        return text
    length, prefix = matches[0]
    return f"{prefix}:{text[length:]}"


def _anchor(term: object) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in curie(term))


def _own(term: object) -> bool:
    return str(term).startswith((str(DKG._NS), str(DKV._NS))) and term not in (ONTOLOGY_IRI, VOCAB_IRI)


def _link(term: object) -> str:
    """An in-page link for our own terms, an external link for IRIs, plain text for literals."""
    if isinstance(term, Literal):
        return _esc(term)
    if _own(term):
        return f'<a href="#{_esc(_anchor(term))}"><code>{_esc(curie(term))}</code></a>'
    return f'<a href="{_esc(term)}"><code>{_esc(curie(term))}</code></a>'


def _links(terms: Iterable[object]) -> str:
    return ", ".join(_link(t) for t in sorted(set(terms), key=str))


def _label(graph: Graph, term: object, lang: str) -> str:
    for label in sorted(graph.objects(term, RDFS.label), key=str):
        if isinstance(label, Literal) and label.language == lang:
            return str(label)
    return ""


def _text(graph: Graph, term: object, prop: URIRef, lang: str = "en") -> str:
    values = sorted((v for v in graph.objects(term, prop) if isinstance(v, Literal)), key=str)
    for value in values:
        if value.language == lang:
            return str(value)
    return str(values[0]) if values else ""


def _deprecated(graph: Graph, term: object) -> bool:
    return any(str(v).lower() in ("true", "1") for v in graph.objects(term, OWL.deprecated))


def _term_head(graph: Graph, term: object, tag: str = "h3") -> str:
    flag = ' <span class="deprecated">deprecated</span>' if _deprecated(graph, term) else ""
    return (f'<{tag} id="{_esc(_anchor(term))}"><code>{_esc(curie(term))}</code> '
            f'{_esc(_label(graph, term, "en"))} <span class="fr" lang="fr">'
            f'{_esc(_label(graph, term, "fr"))}</span>{flag}</{tag}>')


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in pairs if v)


def _mappings(graph: Graph, term: object) -> list[tuple[str, str]]:
    return [(curie(p), _links(graph.objects(term, p))) for p in _MAPPINGS]


# ---------------------------------------------------------------------------- classes


def _classes(graph: Graph) -> list[URIRef]:
    return sorted((c for c in graph.subjects(RDF.type, OWL.Class)
                   if isinstance(c, URIRef) and str(c).startswith(str(DKG._NS))), key=str)


def _class_tree(graph: Graph, classes: list[URIRef]) -> str:
    own = set(classes)
    children: dict[URIRef, list[URIRef]] = {c: [] for c in classes}
    roots = []
    for cls in classes:
        parents = sorted(p for p in graph.objects(cls, RDFS.subClassOf) if p in own)
        if parents:
            for parent in parents:
                children[parent].append(cls)
        else:
            roots.append(cls)

    def branch(cls: URIRef) -> str:
        kids = "".join(branch(k) for k in sorted(children[cls], key=str))
        inner = f"<ul>{kids}</ul>" if kids else ""
        return (f'<li><a href="#{_esc(_anchor(cls))}">{_esc(_label(graph, cls, "en"))}</a> '
                f'<code>{_esc(curie(cls))}</code>{inner}</li>')

    return '<ul class="tree">' + "".join(branch(r) for r in roots) + "</ul>"


def _class_section(graph: Graph, cls: URIRef) -> str:
    disjoint = set(graph.objects(cls, OWL.disjointWith)) | set(graph.subjects(OWL.disjointWith, cls))
    used_in_domain = sorted(set(graph.subjects(SCHEMA.domainIncludes, cls)), key=str)
    used_in_range = sorted(set(graph.subjects(SCHEMA.rangeIncludes, cls)), key=str)
    rows = [("definition", _esc(_text(graph, cls, SKOS.definition))),
            ("subclass of", _links(graph.objects(cls, RDFS.subClassOf))),
            ("superclass of", _links(graph.subjects(RDFS.subClassOf, cls))),
            ("disjoint with", _links(disjoint)),
            ("properties (domain)", _links(used_in_domain)),
            ("properties (range)", _links(used_in_range)),
            *_mappings(graph, cls),
            ("IRI", _esc(cls))]
    return f'<section class="term">{_term_head(graph, cls)}<table>{_rows(rows)}</table></section>'


# ---------------------------------------------------------------------------- properties


def _properties(graph: Graph) -> list[tuple[URIRef, str]]:
    kinds = ((OWL.ObjectProperty, "object"), (OWL.DatatypeProperty, "datatype"),
             (OWL.AnnotationProperty, "annotation"))
    out = []
    for kind, name in kinds:
        for prop in graph.subjects(RDF.type, kind):
            if isinstance(prop, URIRef) and str(prop).startswith(str(DKG._NS)):
                out.append((prop, name))
    return sorted(out, key=lambda pk: str(pk[0]))


def _property_table(graph: Graph, props: list[tuple[URIRef, str]]) -> str:
    head = ("<tr><th>property</th><th>label (en / fr)</th><th>kind</th><th>domain includes</th>"
            "<th>range includes</th><th>values from</th><th>definition</th></tr>")
    rows = []
    for prop, kind in props:
        rows.append(
            f'<tr id="{_esc(_anchor(prop))}"><td><code>{_esc(curie(prop))}</code></td>'
            f'<td>{_esc(_label(graph, prop, "en"))} / <span lang="fr">{_esc(_label(graph, prop, "fr"))}'
            f"</span></td><td>{kind}</td><td>{_links(graph.objects(prop, SCHEMA.domainIncludes))}</td>"
            f"<td>{_links(graph.objects(prop, SCHEMA.rangeIncludes))}</td>"
            f"<td>{_links(graph.objects(prop, DKG.valuesFrom))}</td>"
            f"<td>{_esc(_text(graph, prop, SKOS.definition))}{_property_extras(graph, prop)}</td></tr>")
    return f'<table class="props">{head}{"".join(rows)}</table>'


def _property_extras(graph: Graph, prop: URIRef) -> str:
    parts = [(label, _links(graph.objects(prop, p))) for label, p in
             (("sub-property of", RDFS.subPropertyOf), ("inverse of", OWL.inverseOf))]
    parts += _mappings(graph, prop)
    return "".join(f'<br><span class="extra">{_esc(k)}: {v}</span>' for k, v in parts if v)


# ---------------------------------------------------------------------------- vocabularies


def _schemes(graph: Graph) -> list[URIRef]:
    return sorted((s for s in graph.subjects(RDF.type, SKOS.ConceptScheme) if isinstance(s, URIRef)),
                  key=str)


def _concepts(graph: Graph, scheme: URIRef) -> list[URIRef]:
    return sorted((c for c in graph.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)),
                  key=lambda c: (str(graph.value(c, SKOS.notation) or ""), str(c)))


def _scheme_section(graph: Graph, scheme: URIRef) -> str:
    used_by = _links(graph.subjects(DKG.valuesFrom, scheme))
    rows = []
    for concept in _concepts(graph, scheme):
        extras = [(curie(p), _links(graph.objects(concept, p)))
                  for p in (SKOS.broader, *_MAPPINGS, DKG.context)]
        mode = _text(graph, concept, DKG.ploverMode)
        if mode:
            extras.append(("PLOVER mode", _esc(mode)))
        extra = "".join(f'<br><span class="extra">{_esc(k)}: {v}</span>' for k, v in extras if v)
        flag = ' <span class="deprecated">deprecated</span>' if _deprecated(graph, concept) else ""
        rows.append(
            f'<tr id="{_esc(_anchor(concept))}"><td><code>{_esc(graph.value(concept, SKOS.notation) or "")}'
            f"</code></td><td><code>{_esc(curie(concept))}</code>{flag}</td>"
            f'<td>{_esc(_label(graph, concept, "en"))}</td><td lang="fr">{_esc(_label(graph, concept, "fr"))}'
            f"</td><td>{_esc(_text(graph, concept, SKOS.definition))}{extra}</td></tr>")
    table = ("<table><tr><th>notation</th><th>concept</th><th>label (en)</th><th>label (fr)</th>"
             f"<th>definition</th></tr>{''.join(rows)}</table>")
    return (f'<section class="term">{_term_head(graph, scheme)}'
            f"<p>{_esc(_text(graph, scheme, SKOS.definition))}</p>"
            + (f"<p>Values of: {used_by}</p>" if used_by else "") + table + "</section>")


def cameo_rows(graph: Graph) -> list[tuple[str, str, str, str, str, str]]:
    """(code, label, Goldstein score, PLOVER type, PLOVER mode, PLOVER context) per CAMEO code."""
    rows = []
    for concept in _concepts(graph, DKV.cameo):
        plover = sorted(str(graph.value(p, SKOS.notation) or curie(p))
                        for p in graph.objects(concept, SKOS.closeMatch))
        related = sorted(f"({graph.value(p, SKOS.notation) or curie(p)})"
                         for p in graph.objects(concept, SKOS.relatedMatch))
        context = sorted(str(graph.value(c, SKOS.notation) or curie(c))
                         for c in graph.objects(concept, DKG.context))
        rows.append((str(graph.value(concept, SKOS.notation) or ""), _label(graph, concept, "en"),
                     str(graph.value(concept, DKG.goldsteinScore) or ""), " ".join(plover + related),
                     _text(graph, concept, DKG.ploverMode), " ".join(context)))
    return rows


def _cameo_table(graph: Graph) -> str:
    head = ("<tr><th>CAMEO</th><th>label</th><th>Goldstein</th><th>PLOVER type</th><th>PLOVER mode</th>"
            "<th>PLOVER context</th></tr>")
    body = "".join(
        f'<tr><td><a href="#{_esc(_anchor(DKV["cameo-" + code]))}"><code>{_esc(code)}</code></a></td>'
        + "".join(f"<td>{_esc(cell)}</td>" for cell in rest) + "</tr>"
        for code, *rest in cameo_rows(graph))
    return f'<table class="cameo">{head}{body}</table>'


# ---------------------------------------------------------------------------- page

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; line-height: 1.45; }
code { font-size: 0.92em; } a { color: #0b57d0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; width: 100%; }
th, td { border: 1px solid #d0d4da; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
table.props { font-size: 0.9em; }
th { background: #f3f5f8; } .term table th { width: 11rem; }
.fr { color: #5f6368; font-style: italic; font-weight: normal; } .extra { color: #5f6368; font-size: 0.9em; }
.deprecated { background: #fde7e9; color: #a50e0e; font-size: 0.8em; padding: 0 0.3em; }
.tree, .tree ul { list-style: none; padding-left: 1.2rem; } .tree { padding-left: 0; }
figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; }
pre.desc { white-space: pre-wrap; font-family: inherit; }
"""


def render_ontology_html(ontology: Graph) -> str:
    """The whole documentation page (deterministic bytes for the same ontology)."""
    g = ontology
    title = _text(g, ONTOLOGY_IRI, DCTERMS.title) or "diplo-kg ontology"
    classes = _classes(g)
    props = _properties(g)
    schemes = _schemes(g)
    header_rows = [
        ("IRI", _esc(ONTOLOGY_IRI)), ("version", _esc(g.value(ONTOLOGY_IRI, OWL.versionInfo) or "")),
        ("version IRI", _link(g.value(ONTOLOGY_IRI, OWL.versionIRI) or "")),
        ("license", _links(g.objects(ONTOLOGY_IRI, DCTERMS.license))),
        ("preferred prefixes", "<code>dkg:</code> " + _esc(DKG._NS) + ", <code>dkv:</code> "
         + _esc(DKV._NS)),
        ("vocabularies", _esc(VOCAB_IRI) + " — " + _esc(_text(g, VOCAB_IRI, DCTERMS.title))),
    ]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="fr" lang="fr">{_esc(_text(g, ONTOLOGY_IRI, DCTERMS.title, "fr"))}</p>',
        f'<pre class="desc">{_esc(_text(g, ONTOLOGY_IRI, DCTERMS.description))}</pre>',
        f'<pre class="desc">{_esc(_text(g, ONTOLOGY_IRI, RDFS.comment))}</pre>',
        f"<table>{_rows(header_rows)}</table>",
        '<nav><ul><li><a href="#diagram">Core classes (diagram)</a></li>'
        '<li><a href="#classes">Classes</a></li><li><a href="#properties">Properties</a></li>'
        '<li><a href="#cameo">CAMEO / Goldstein / PLOVER</a></li>'
        '<li><a href="#schemes">Concept schemes</a></li></ul></nav>',
        '<h2 id="diagram">Core classes</h2><figure>', render_diagram_svg(g, standalone=False),
        "<figcaption>The core classes and the properties between them (dashed: classes of other "
        "vocabularies). The fact pattern is <code>?thing dkg:assertedBy ?claim</code>; everything "
        "else a claim says is hedged or attributed.</figcaption></figure>",
        f'<h2 id="classes">Classes ({len(classes)})</h2>', _class_tree(g, classes),
        *(_class_section(g, c) for c in classes),
        f'<h2 id="properties">Properties ({len(props)})</h2>',
        "<p>Domains and ranges are documentation (<code>schema:domainIncludes</code>, "
        "<code>schema:rangeIncludes</code>): nothing is inferred from them; the hard constraints are "
        "the SHACL shapes.</p>", _property_table(g, props),
        '<h2 id="cameo">CAMEO event codes, Goldstein scores and PLOVER</h2>', _cameo_table(g),
        f'<h2 id="schemes">Concept schemes ({len(schemes)})</h2>',
        *(_scheme_section(g, s) for s in schemes),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------- diagram

#: the core classes and where they sit (centre x, y) on a fixed 1220 x 650 canvas
DIAGRAM_NODES: tuple[tuple[URIRef, float, float], ...] = (
    (NIF.String, 130, 70),
    (DKG.Claim, 450, 70),
    (SCHEMA.NewsArticle, 770, 70),
    (DKG.DelegationMembership, 1090, 70),
    (SKOS.Concept, 130, 280),
    (DKG.Event, 450, 280),
    (DKG.Actor, 770, 280),
    (DKG.Office, 1090, 280),
    (DKG.ExchangeProposal, 130, 490),
    (DKG.Place, 770, 490),
    (DKG.ProposalLeg, 450, 600),
)

#: (source class, properties, target class): every property is checked against the ontology's
#: domainIncludes / rangeIncludes by tests/test_docs.py
DIAGRAM_EDGES: tuple[tuple[URIRef, tuple[URIRef, ...], URIRef], ...] = (
    (DKG.Claim, (DKG.about,), DKG.Event),
    (DKG.Event, (DKG.assertedBy,), DKG.Claim),
    (DKG.Claim, (DKG.accordingTo,), DKG.Actor),
    (DKG.Claim, (DKG.hasEvidence,), NIF.String),
    (DKG.Claim, (DKG.inArticle,), SCHEMA.NewsArticle),
    (DKG.Claim, (DKG.certainty, DKG.polarity, DKG.evidentialBasis), SKOS.Concept),
    (DKG.Event, (DKG.initiator, DKG.target, DKG.participant), DKG.Actor),
    (DKG.Event, (DKG.hasPlace,), DKG.Place),
    (DKG.Event, (DKG.eventType, DKG.eventStatus), SKOS.Concept),
    (DKG.Claim, (DKG.about,), DKG.ExchangeProposal),
    (DKG.ExchangeProposal, (DKG.hasLeg,), DKG.ProposalLeg),
    (DKG.ExchangeProposal, (DKG.party, DKG.floatedBy), DKG.Actor),
    (DKG.ProposalLeg, (DKG.giver, DKG.recipient), DKG.Actor),
    (DKG.ProposalLeg, (DKG.goods,), SKOS.Concept),
    (DKG.DelegationMembership, (DKG.member,), DKG.Actor),
    (DKG.Office, (DKG.heldBy,), DKG.Actor),
)

_BOX_W, _BOX_H = 220.0, 50.0
#: where along an edge its label sits, when the middle would collide with another edge
_LABEL_AT = {(DKG.Claim, DKG.ExchangeProposal): 0.3}


def _border_point(cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the segment from the box centre (cx, cy) towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min((_BOX_W / 2) / abs(dx) if dx else math.inf, (_BOX_H / 2) / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _num(value: float) -> str:
    return f"{value:.1f}"


def render_diagram_svg(ontology: Graph, standalone: bool = True) -> str:
    """The core classes as an SVG drawing (fixed layout: byte-identical for the same ontology)."""
    where = {cls: (x, y) for cls, x, y in DIAGRAM_NODES}
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>')
    out.append('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1220 650" width="1220" height="650" '
               'role="img" aria-labelledby="diagram-title" font-family="system-ui, sans-serif">')
    out.append('<title id="diagram-title">diplo-kg core classes</title>')
    out.append('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
               'markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
               '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>')
    pairs = {(s, t) for s, _p, t in DIAGRAM_EDGES}
    for source, props, target in DIAGRAM_EDGES:
        (sx, sy), (tx, ty) = where[source], where[target]
        # two edges between the same boxes in opposite directions: shift each to its own side
        shift = 7.0 if (target, source) in pairs else 0.0
        length = math.hypot(tx - sx, ty - sy)
        ox, oy = (-(ty - sy) / length * shift, (tx - sx) / length * shift) if length else (0.0, 0.0)
        x1, y1 = _border_point(sx, sy, tx, ty)
        x2, y2 = _border_point(tx, ty, sx, sy)
        fact = DKG.assertedBy in props
        colour = "#b3261e" if fact else "#555"
        out.append(f'<line x1="{_num(x1 + ox)}" y1="{_num(y1 + oy)}" x2="{_num(x2 + ox)}" '
                   f'y2="{_num(y2 + oy)}" stroke="{colour}" stroke-width="{2 if fact else 1.2}" '
                   'marker-end="url(#arrow)"/>')
        at = _LABEL_AT.get((source, target), 0.5)
        mx, my = x1 + (x2 - x1) * at, y1 + (y2 - y1) * at
        anchor = "middle"
        if shift:  # paired edges: each label beside its own line, away from the other
            mx += 1.5 * ox
            anchor = "start" if ox > 0 or (ox == 0 and oy > 0) else "end"
        top = my - 6.5 * (len(props) - 1)
        lines = "".join(f'<tspan x="{_num(mx)}" y="{_num(top + 13 * i + 4)}">{_esc(curie(p))}</tspan>'
                        for i, p in enumerate(props))
        out.append(f'<text font-size="11" text-anchor="{anchor}" fill="{colour}" stroke="#fff" '
                   f'stroke-width="3" paint-order="stroke">{lines}</text>')
    for cls, x, y in DIAGRAM_NODES:
        external = not str(cls).startswith(str(DKG._NS))
        dash = ' stroke-dasharray="5,3"' if external else ""
        fill = "#f7f7f7" if external else "#e8f0fe"
        out.append(f'<g><rect x="{_num(x - _BOX_W / 2)}" y="{_num(y - _BOX_H / 2)}" width="{_num(_BOX_W)}" '
                   f'height="{_num(_BOX_H)}" rx="6" fill="{fill}" stroke="#3c4043"{dash}/>')
        out.append(f'<text x="{_num(x)}" y="{_num(y - 3)}" font-size="14" font-weight="600" '
                   f'text-anchor="middle">{_esc(curie(cls))}</text>')
        label = _label(ontology, cls, "fr") if not external else ""
        if label:
            out.append(f'<text x="{_num(x)}" y="{_num(y + 15)}" font-size="11" fill="#5f6368" '
                       f'text-anchor="middle" font-style="italic">{_esc(label)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
