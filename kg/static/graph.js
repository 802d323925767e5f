/* diplo-kg graph page: controls, legend, details panel.
 * Everything that comes from the data is written with textContent / createTextNode, never
 * innerHTML: a label holding an img tag with an onerror handler shows as text. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("graph-data").textContent);
  var I18N = {
    en: {speculation: "Show hedged and attributed statements", view: "view", edgeLabels: "Edge labels", labels: "Labels", kinds: "Node kinds",
         sources: "Source types", hint: "Click a node or an edge to see its evidence.",
         search: "Search a name…", nodes: "nodes", edges: "edges", of: "of", shown: "shown",
         matches: "matches", nomatch: "no match", legendNodes: "Nodes: colour = kind, shape = class",
         legendEdges: "Edges: line = certainty, colour = basis", certain: "certain", certainLegend: "certain (asserted)",
         probable: "probable", possible: "possible", unknown: "unknown", reference: "reference data",
         fact: "fact", factLegend: "fact (narrator, direct report)", hedged: "hedged / attributed",
         type: "type", certainty: "certainty", status: "status", source: "source", basis: "evidence",
         article: "article", claim: "claim", centrality: "centrality", details: "details",
         from: "from", to: "to", things: "based on", evidence: "Evidence", cue: "hedge cue",
         degree: "degree", betweenness: "betweenness", cameo: "CAMEO", polarity: "polarity",
         sourceTypes: "source types", allClaims: "All claims (strongest first)", noEvidence: "No claim: reference data from the registry or vocabulary.",
         drafts: "Show machine drafts (not reviewed)", draft: "machine draft, not reviewed", draftLegend: "machine draft, not reviewed",
         confidence: "extractor confidence", draftNote: "Machine draft, not reviewed: no person has checked it; it is never a fact."},
    fr: {speculation: "Afficher les énoncés nuancés et rapportés", view: "vue", edgeLabels: "Étiquettes des arêtes", labels: "Étiquettes", kinds: "Types de nœuds",
         sources: "Types de source", hint: "Cliquez sur un nœud ou une arête pour voir la preuve.",
         search: "Chercher un nom…", nodes: "nœuds", edges: "arêtes", of: "sur", shown: "affichés",
         matches: "résultats", nomatch: "aucun résultat", legendNodes: "Nœuds : couleur = type, forme = classe",
         legendEdges: "Arêtes : trait = certitude, couleur = statut", certain: "certain", certainLegend: "certain (affirmé)",
         probable: "probable", possible: "possible", unknown: "inconnue", reference: "référentiel",
         fact: "fait", factLegend: "fait (narrateur, constat direct)", hedged: "nuancé / rapporté",
         type: "type", certainty: "certitude", status: "statut", source: "source", basis: "fondement",
         article: "article", claim: "énoncé", centrality: "centralité", details: "détails",
         from: "de", to: "vers", things: "fondé sur", evidence: "Preuve", cue: "marqueur",
         degree: "degré", betweenness: "intermédiarité", cameo: "CAMEO", polarity: "polarité",
         sourceTypes: "types de source", allClaims: "Tous les énoncés (le plus fort d'abord)", noEvidence: "Aucun énoncé : donnée de référence (registre ou vocabulaire).",
         drafts: "Afficher les brouillons automatiques (non relus)", draft: "brouillon automatique, non relu", draftLegend: "brouillon automatique, non relu",
         confidence: "confiance de l'extracteur", draftNote: "Brouillon automatique, non relu : personne ne l'a vérifié ; ce n'est jamais un fait."}
  };
  var SOURCE_NAMES = {
    en: {"journalist": "journalist", "government": "government", "foreign-government": "foreign government",
         "official-spokesperson": "official spokesperson", "state-media": "state media"},
    fr: {"journalist": "journaliste", "government": "gouvernement", "foreign-government": "gouvernement étranger",
         "official-spokesperson": "porte-parole officiel", "state-media": "médias d'État"}
  };
  function sourceName(s) {
    if (s === "reference") { return t("reference"); }
    return (SOURCE_NAMES[state.lang] || SOURCE_NAMES.en)[s] || s.replace(/-/g, " ");
  }
  var EDGE_COLOURS = {fact: "#3e4c59", hedged: "#d9822b", reference: "#a3acb9", draft: "#8e44ad"};
  var state = {lang: DATA.lang, speculation: true, drafts: true, kinds: {}, sources: {}, selected: null,
               edgeLabels: DATA.edge_labels};
  var nodes = DATA.nodes, edges = DATA.edges;

  function t(key) { return (I18N[state.lang] || I18N.en)[key] || key; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function label(item) { return state.lang === "fr" ? item.fr : item.en; }
  function other(item) { return state.lang === "fr" ? item.en : item.fr; }
  function short(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function edgeColour(e) {
    if (e.drafted) { return EDGE_COLOURS.draft; }  // a machine draft looks like nothing else
    return e.basis === "reference" || e.basis === "" ? EDGE_COLOURS.reference : (e.hedged ? EDGE_COLOURS.hedged : EDGE_COLOURS.fact);
  }
  function edgeLabel(e) { return state.edgeLabels ? short(label(e), 30) : ""; }
  function kindStyle(kind) { return DATA.kinds[kind] || DATA.kinds.other; }

  // ---------------------------------------------------------------- tooltips (DOM, text only)
  function tooltip(lines) {
    var box = el("div");
    lines.forEach(function (line, i) { if (line) { box.appendChild(el(i === 0 ? "strong" : "div", null, line)); } });
    return box;
  }
  function nodeTooltip(n) {
    return tooltip([label(n), n.cls || n.kind, n.drafted ? t("draft") : "",
                    n.certainty ? t("certainty") + ": " + t(n.certainty) + " · " + t(n.hedged ? "hedged" : "fact") : "",
                    n.source ? t("source") + ": " + (state.lang === "fr" && n.source_fr ? n.source_fr : n.source) : ""]);
  }
  function edgeTooltip(e) {
    return tooltip([label(e), label(nodes[e.from]) + " → " + label(nodes[e.to]), e.drafted ? t("draft") : "",
                    e.certainty ? t("certainty") + ": " + t(e.certainty) + (e.hedged ? " · " + t("hedged") : "") : t("reference"),
                    e.things ? t("things") + ": " + short(state.lang === "fr" && e.things_fr ? e.things_fr : e.things, 160) : ""]);
  }

  // ---------------------------------------------------------------- vis data
  function visNode(n) {
    var s = kindStyle(n.kind);
    return {
      id: n.i, x: n.x, y: n.y, label: short(label(n), 34), shape: n.shape, size: n.size,
      color: {background: s.color, border: n.drafted ? EDGE_COLOURS.draft : s.border,
              highlight: {background: s.color, border: "#111"}, hover: {background: s.color, border: "#111"}},
      borderWidth: n.drafted ? 3 : (n.hedged ? 2 : 1.5),
      shapeProperties: {borderDashes: n.drafted ? [2, 2] : (n.hedged ? [4, 3] : false)},
      opacity: n.drafted ? 0.6 : (n.hedged ? 0.8 : 1), title: nodeTooltip(n),
      font: {size: DATA.large ? 12 : 16, color: "#1f2933", strokeWidth: 3, strokeColor: "#ffffff"}
    };
  }
  function visEdge(e) {
    var smooth = e.parallel ? {enabled: true, type: e.parallel % 2 ? "curvedCW" : "curvedCCW", roundness: 0.15 * Math.ceil(e.parallel / 2)}
                            : (DATA.large ? false : {enabled: true, type: "continuous", roundness: 0.2});
    return {
      id: e.i, from: e.from, to: e.to, label: edgeLabel(e),
      arrows: e.mutual ? "" : {to: {enabled: true, scaleFactor: 0.55}},
      dashes: DATA.dashes[e.certainty] === undefined ? false : DATA.dashes[e.certainty],
      width: Math.min(1.2 + Math.log2(e.count || 1), 5), smooth: smooth, title: edgeTooltip(e),
      color: {color: edgeColour(e), highlight: "#111", hover: "#111", opacity: e.drafted ? 0.7 : (e.hedged ? 0.9 : 0.75)},
      font: {size: 10, color: "#52606d", strokeWidth: 3, strokeColor: "#ffffff", align: "middle"}
    };
  }

  var nodeSet = new vis.DataSet(nodes.map(visNode));
  var edgeSet = new vis.DataSet(edges.map(visEdge));
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: nodeSet, edges: edgeSet}, {
    physics: {enabled: false},
    layout: {improvedLayout: false, randomSeed: 1},
    interaction: {hover: !DATA.large, tooltipDelay: 120, hideEdgesOnDrag: DATA.large, hideEdgesOnZoom: DATA.large,
                  multiselect: true, navigationButtons: false, keyboard: false},
    nodes: {scaling: {label: {enabled: false}}},
    edges: {selectionWidth: 2}
  });

  // ---------------------------------------------------------------- visibility
  function nodeShown(n) {
    if (!state.kinds[n.kind]) { return false; }
    if (!state.speculation && n.hedged) { return false; }
    if (!state.drafts && n.drafted) { return false; }
    if (n.claim && !n.st.some(function (s) { return state.sources[s]; })) { return false; }
    return true;
  }
  function edgeShown(e, shownNodes) {
    if (!state.speculation && e.hedged) { return false; }
    if (!state.drafts && e.drafted) { return false; }
    if (!e.st.some(function (s) { return state.sources[s]; })) { return false; }
    return shownNodes[e.from] && shownNodes[e.to];
  }
  function applyFilters() {
    var shownNodes = nodes.map(nodeShown);
    var shownEdges = edges.map(function (e) { return edgeShown(e, shownNodes); });
    // a goods, place or other node left without any visible edge goes too
    var hasEdge = nodes.map(function () { return false; });
    var hadEdge = nodes.map(function () { return false; });
    edges.forEach(function (e, i) {
      hadEdge[e.from] = hadEdge[e.to] = true;
      if (shownEdges[i]) { hasEdge[e.from] = hasEdge[e.to] = true; }
    });
    nodes.forEach(function (n, i) {
      if (shownNodes[i] && n.kind !== "actor" && hadEdge[i] && !hasEdge[i]) { shownNodes[i] = false; }
    });
    nodeSet.update(nodes.map(function (n, i) { return {id: n.i, hidden: !shownNodes[i]}; }));
    edgeSet.update(edges.map(function (e, i) { return {id: e.i, hidden: !shownEdges[i]}; }));
    updateCounts();
  }
  function visibleCounts() {
    return {nodes: nodeSet.get({filter: function (n) { return !n.hidden; }}).length,
            edges: edgeSet.get({filter: function (e) { return !e.hidden; }}).length};
  }
  function updateCounts() {
    var c = visibleCounts();
    document.getElementById("counts").textContent =
      c.nodes + " " + t("of") + " " + DATA.total_nodes + " " + t("nodes") + ", " +
      c.edges + " " + t("of") + " " + DATA.total_edges + " " + t("edges") + " " + t("shown") +
      (DATA.view ? " · " + t("view") + ": " + DATA.view : "");
  }

  // ---------------------------------------------------------------- controls
  function chip(container, key, text, colour, store) {
    var lab = el("label");
    var box = el("input", {type: "checkbox", "data-key": key});
    box.checked = true;
    store[key] = true;
    box.addEventListener("change", function () { store[key] = box.checked; applyFilters(); });
    lab.appendChild(box);
    if (colour) { var sw = el("span", {"class": "swatch"}); sw.style.background = colour; lab.appendChild(sw); }
    lab.appendChild(el("span", {"data-label": key}, text));
    container.appendChild(lab);
  }
  function buildFilters() {
    var kinds = {}, sources = {};
    nodes.forEach(function (n) { kinds[n.kind] = true; n.st.forEach(function (s) { sources[s] = true; }); });
    edges.forEach(function (e) { e.st.forEach(function (s) { sources[s] = true; }); });
    var kf = document.getElementById("kind-filters"), sf = document.getElementById("source-filters");
    kf.textContent = ""; sf.textContent = "";
    Object.keys(DATA.kinds).forEach(function (k) {
      if (kinds[k]) { chip(kf, k, DATA.kinds[k]["name_" + state.lang] || k, DATA.kinds[k].color, state.kinds); }
    });
    Object.keys(sources).sort().forEach(function (s) {
      chip(sf, s, sourceName(s), null, state.sources);
    });
  }
  document.getElementById("toggle-speculation").addEventListener("change", function (ev) {
    state.speculation = ev.target.checked; applyFilters();
  });
  document.getElementById("toggle-drafts").addEventListener("change", function (ev) {
    state.drafts = ev.target.checked; applyFilters();
  });
  var edgeLabelBox = document.getElementById("toggle-edge-labels");
  edgeLabelBox.checked = state.edgeLabels;
  edgeLabelBox.addEventListener("change", function () {
    state.edgeLabels = edgeLabelBox.checked;
    edgeSet.update(edges.map(function (e) { return {id: e.i, label: edgeLabel(e)}; }));
  });
  function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  var search = document.getElementById("search");
  search.addEventListener("input", function () {
    var q = fold(search.value.trim()), out = document.getElementById("search-result");
    if (!q) { out.textContent = ""; network.unselectAll(); return; }
    var hits = nodes.filter(function (n) {
      return fold(n.en).indexOf(q) >= 0 || fold(n.fr).indexOf(q) >= 0 || fold(n.id).indexOf(q) >= 0;
    }).map(function (n) { return n.i; });
    var visible = hits.filter(function (i) { return !nodeSet.get(i).hidden; });
    out.textContent = visible.length ? visible.length + " " + t("matches") : t("nomatch");
    network.selectNodes(visible);
    if (visible.length === 1) { showNode(nodes[visible[0]]); }
    if (visible.length) { network.fit({nodes: visible, animation: false, maxZoomLevel: 1.2}); }
  });
  function setLang(lang) {
    state.lang = lang === "fr" ? "fr" : "en";
    document.documentElement.lang = state.lang;
    document.getElementById("lang-" + state.lang).checked = true;
    document.querySelectorAll("[data-i18n]").forEach(function (e) { e.textContent = t(e.getAttribute("data-i18n")); });
    search.placeholder = t("search");
    nodeSet.update(nodes.map(function (n) { return {id: n.i, label: short(label(n), 34), title: nodeTooltip(n)}; }));
    edgeSet.update(edges.map(function (e) {
      return {id: e.i, label: edgeLabel(e), title: edgeTooltip(e)};
    }));
    document.querySelectorAll("#kind-filters [data-label]").forEach(function (e) {
      var k = e.getAttribute("data-label"); e.textContent = DATA.kinds[k]["name_" + state.lang] || k;
    });
    document.querySelectorAll("#source-filters [data-label]").forEach(function (e) {
      e.textContent = sourceName(e.getAttribute("data-label"));
    });
    buildLegend(); updateCounts();
    if (state.selected) { state.selected.kind === "node" ? showNode(state.selected.item) : showEdge(state.selected.item); }
  }
  document.querySelectorAll("input[name=lang]").forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { setLang(r.value); } });
  });

  // ---------------------------------------------------------------- legend
  var SVG = "http://www.w3.org/2000/svg";
  function svg(w, h) { var s = document.createElementNS(SVG, "svg"); s.setAttribute("width", w); s.setAttribute("height", h); return s; }
  function shapeIcon(shape, fill, stroke) {
    var s = svg(16, 16), p;
    var polys = {diamond: "8,1 15,8 8,15 1,8", triangle: "8,1 15,14 1,14", triangleDown: "1,2 15,2 8,15",
                 hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8", star: "8,0.5 10.2,5.6 15.5,6 11.4,9.6 12.7,15 8,12.1 3.3,15 4.6,9.6 0.5,6 5.8,5.6"};
    if (polys[shape]) { p = document.createElementNS(SVG, "polygon"); p.setAttribute("points", polys[shape]); }
    else if (shape === "square") { p = document.createElementNS(SVG, "rect"); p.setAttribute("x", 2); p.setAttribute("y", 2); p.setAttribute("width", 12); p.setAttribute("height", 12); }
    else { p = document.createElementNS(SVG, "circle"); p.setAttribute("cx", 8); p.setAttribute("cy", 8); p.setAttribute("r", 6); }
    p.setAttribute("fill", fill); p.setAttribute("stroke", stroke); s.appendChild(p); return s;
  }
  function lineIcon(dashes, colour) {
    var s = svg(34, 10), l = document.createElementNS(SVG, "line");
    l.setAttribute("x1", 1); l.setAttribute("y1", 5); l.setAttribute("x2", 33); l.setAttribute("y2", 5);
    l.setAttribute("stroke", colour); l.setAttribute("stroke-width", 2);
    if (dashes) { l.setAttribute("stroke-dasharray", dashes.join(" ")); }
    s.appendChild(l); return s;
  }
  function item(icon, text) { var d = el("div", {"class": "item"}); d.appendChild(icon); d.appendChild(el("span", null, text)); return d; }
  function draftCounts() {
    return {nodes: nodes.filter(function (n) { return n.drafted; }).length,
            edges: edges.filter(function (e) { return e.drafted; }).length};
  }
  function buildLegend() {
    var box = document.getElementById("legend"); box.textContent = "";
    box.appendChild(el("h2", null, t("legendNodes")));
    var grid = el("div", {"class": "grid"}), groups = {};
    nodes.forEach(function (n) {
      var key = n.kind + "|" + n.shape;
      if (!groups[key]) { groups[key] = {n: n, classes: {}}; }
      if (n.cls) { groups[key].classes[n.cls] = true; }
    });
    var kindOrder = Object.keys(DATA.kinds);
    Object.keys(groups).sort(function (a, b) {
      var ka = kindOrder.indexOf(a.split("|")[0]), kb = kindOrder.indexOf(b.split("|")[0]);
      return ka !== kb ? ka - kb : (a < b ? -1 : 1);
    }).forEach(function (key) {
      var g = groups[key], s = kindStyle(g.n.kind), classes = Object.keys(g.classes).sort();
      var name = s["name_" + state.lang] || g.n.kind;
      if ((g.n.kind === "actor" || g.n.kind === "event") && classes.length) {
        name = classes.length > 3 ? classes.slice(0, 3).join(", ") + "…" : classes.join(", ");
      }
      grid.appendChild(item(shapeIcon(g.n.shape, s.color, s.border), name));
    });
    box.appendChild(grid);
    box.appendChild(el("h2", null, t("legendEdges")));
    var g2 = el("div", {"class": "grid"});
    ["certain", "probable", "possible", "unknown"].forEach(function (c) {
      g2.appendChild(item(lineIcon(DATA.dashes[c], EDGE_COLOURS.fact), t(c === "certain" ? "certainLegend" : c)));
    });
    g2.appendChild(item(lineIcon(false, EDGE_COLOURS.fact), t("factLegend")));
    g2.appendChild(item(lineIcon(false, EDGE_COLOURS.hedged), t("hedged")));
    g2.appendChild(item(lineIcon(false, EDGE_COLOURS.reference), t("reference")));
    var drafted = draftCounts(), draftItem = item(lineIcon([2, 2], EDGE_COLOURS.draft),
      t("draftLegend") + " (" + drafted.nodes + " " + t("nodes") + ", " + drafted.edges + " " + t("edges") + ")");
    draftItem.id = "legend-drafts";
    g2.appendChild(draftItem);
    box.appendChild(g2);
  }

  // ---------------------------------------------------------------- details panel
  function evidenceBlock(item) {
    var box = el("blockquote", {"class": "evidence"});
    var sentence = item.sentence || item.evidence;
    var flags = new Array(sentence.length).fill(0);
    var qi = item.evidence ? sentence.indexOf(item.evidence) : -1;
    if (qi >= 0) { for (var i = qi; i < qi + item.evidence.length; i++) { flags[i] = 1; } }
    var cueFound = false;
    if (item.cue) {
      var low = sentence.toLowerCase(), cue = item.cue.toLowerCase();
      var ci = qi >= 0 ? low.indexOf(cue, qi) : -1;
      if (ci < 0) { ci = low.indexOf(cue); }
      if (ci >= 0) { cueFound = true; for (var j = ci; j < ci + cue.length; j++) { flags[j] = 2; } }
    }
    var start = 0;
    for (var k = 1; k <= sentence.length; k++) {
      if (k === sentence.length || flags[k] !== flags[start]) {
        var text = sentence.slice(start, k);
        if (flags[start] === 2) { box.appendChild(el("mark", {"class": "cue"}, text)); }
        else if (flags[start] === 1) { box.appendChild(el("span", {"class": "quote"}, text)); }
        else { box.appendChild(document.createTextNode(text)); }
        start = k;
      }
    }
    var frag = document.createDocumentFragment();
    frag.appendChild(box);
    if (item.cue && !cueFound) { frag.appendChild(el("p", {"class": "muted"}, t("cue") + ": " + item.cue)); }
    return frag;
  }
  function claimList(item) {
    var frag = document.createDocumentFragment();
    var lines = item.all_claims ? item.all_claims.split("\n") : [];
    if (lines.length < 2) { return frag; }
    frag.appendChild(el("h2", null, t("allClaims")));
    var ol = el("ol", {"class": "claims"});
    lines.forEach(function (line) { ol.appendChild(el("li", null, line)); });
    frag.appendChild(ol);
    return frag;
  }
  function row(dl, key, value) {
    if (value === undefined || value === null || value === "") { return; }
    dl.appendChild(el("dt", null, t(key))); dl.appendChild(el("dd", null, value));
  }
  function badge(item) {
    if (!item.certainty) { return el("span", {"class": "badge"}, t("reference")); }
    if (item.drafted) { return el("span", {"class": "badge draft"}, t(item.certainty) + " · " + t("draft")); }
    return el("span", {"class": "badge " + (item.hedged ? "hedged" : "fact")},
              t(item.certainty) + " · " + (item.hedged ? t("hedged") : t("fact")));
  }
  function modalityRows(dl, item) {
    row(dl, "certainty", item.certainty ? t(item.certainty) : "");
    row(dl, "polarity", item.polarity && item.polarity !== "positive" ? item.polarity : "");
    row(dl, "source", item.source ? (state.lang === "fr" && item.source_fr ? item.source_fr : item.source) : "");
    row(dl, "sourceTypes", item.st.map(sourceName).join(", "));
    row(dl, "basis", item.evidential_basis.replace(/-/g, " "));
    row(dl, "cue", item.cue);
    row(dl, "confidence", item.confidence);
    row(dl, "article", item.article);
  }
  function panel(heading, alt, item) {
    var box = document.getElementById("details"); box.textContent = "";
    box.appendChild(el("h3", {id: "details-title"}, heading));
    if (alt && alt !== heading) { box.appendChild(el("p", {"class": "alt"}, alt)); }
    if (item.drafted) { box.appendChild(el("p", {"class": "draft-note", id: "draft-note"}, t("draftNote"))); }
    return box;
  }
  function showNode(n) {
    state.selected = {kind: "node", item: n};
    var box = panel(label(n), other(n), n);
    box.appendChild(badge(n));
    var dl = el("dl");
    row(dl, "type", (n.cls || n.kind) + " (" + (kindStyle(n.kind)["name_" + state.lang] || n.kind) + ")");
    row(dl, "status", n.status); row(dl, "cameo", n.cameo);
    modalityRows(dl, n);
    row(dl, "degree", String(n.degree)); row(dl, "betweenness", String(n.betweenness));
    box.appendChild(dl);
    if (n.sentence || n.evidence) { box.appendChild(el("h2", null, t("evidence"))); box.appendChild(evidenceBlock(n)); }
    else if (!n.claim) { box.appendChild(el("p", {"class": "muted"}, t("noEvidence"))); }
    box.appendChild(claimList(n));
    if (n.details) {
      box.appendChild(el("h2", null, t("details")));
      var ul = el("ul", {"class": "muted"});
      n.details.split(" | ").forEach(function (d) { ul.appendChild(el("li", null, d)); });
      box.appendChild(ul);
    }
    box.appendChild(el("p", {"class": "iri"}, n.iri));
    if (n.claim) { box.appendChild(el("p", {"class": "iri"}, t("claim") + ": " + n.claim)); }
  }
  function showEdge(e) {
    state.selected = {kind: "edge", item: e};
    var box = panel(label(e), other(e), e);
    box.appendChild(badge(e));
    var dl = el("dl");
    row(dl, "from", label(nodes[e.from])); row(dl, "to", label(nodes[e.to]));
    row(dl, "things", state.lang === "fr" && e.things_fr ? e.things_fr : e.things);
    modalityRows(dl, e);
    box.appendChild(dl);
    if (e.sentence || e.evidence) { box.appendChild(el("h2", null, t("evidence"))); box.appendChild(evidenceBlock(e)); }
    else { box.appendChild(el("p", {"class": "muted"}, t("noEvidence"))); }
    box.appendChild(claimList(e));
    if (e.claim) { box.appendChild(el("p", {"class": "iri"}, t("claim") + ": " + e.claim)); }
  }
  network.on("click", function (params) {
    if (params.nodes.length) { showNode(nodes[params.nodes[0]]); }
    else if (params.edges.length) { showEdge(edges[params.edges[0]]); }
  });

  // ---------------------------------------------------------------- start
  if (DATA.note) { var note = document.getElementById("note"); note.textContent = DATA.note; note.hidden = false; }
  buildFilters();
  setLang(state.lang);
  applyFilters();
  var api = {network: network, nodes: nodeSet, edges: edgeSet, data: DATA, state: state, ready: false,
             readyAt: null, visibleCounts: visibleCounts, setLang: setLang, showNode: showNode,
             showEdge: showEdge, draftCounts: draftCounts,
             nodeIndex: function (iri) { for (var i = 0; i < nodes.length; i++) { if (nodes[i].iri === iri) { return i; } } return -1; }};
  if (DATA.ego) {  // the ego view opens on its centre
    var centre = api.nodeIndex(DATA.ego);
    if (centre >= 0) { network.selectNodes([centre]); showNode(nodes[centre]); }
  }
  network.once("afterDrawing", function () {
    network.fit({animation: false});
    if (network.getScale() > 1) { network.moveTo({scale: 1, animation: false}); }
    api.ready = true; api.readyAt = performance.now();
  });
  window.diploGraph = api;
})();
