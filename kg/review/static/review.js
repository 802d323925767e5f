// kg review: the review page. Plain JS, no build step; every piece of data is written with
// textContent (the article text and the annotation are hostile input), never innerHTML.
"use strict";

const TOKEN = document.querySelector('meta[name="review-token"]').content;
const SECTIONS = ["claims", "things", "entities"];
const CLAIM_SELECTS = [["certainty", "certainty", true], ["polarity", "polarity", false],
  ["temporality", "temporality", false], ["evidentialBasis", "evidence", false]];
const DEFAULTS = {polarity: "positive", evidentialBasis: "direct-report"};

const S = {
  vocab: null, drafts: [], article: null, ann: null, hash: null, spans: [],
  tab: "claims", sel: {claims: 0, things: 0, entities: 0}, errors: {}, dirty: false,
};

// ------------------------------------------------------------------ small helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(method, url, body) {
  const options = {method, headers: {"X-Review-Token": TOKEN}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data = null;
  try { data = await response.json(); } catch (_e) { data = {error: response.statusText}; }
  return {status: response.status, ok: response.ok, data};
}

const fold = (s) => String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
const asList = (v) => (v === undefined || v === null || v === "" ? [] : Array.isArray(v) ? v : [v]);
const fromList = (items) => (items.length === 0 ? undefined : items.length === 1 ? items[0] : items);
const labelOf = (label) => (label && (label.en || label.fr)) || "";

function slug(text) {
  const s = fold(text).replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return s.split("-").slice(0, 5).join("-").slice(0, 40).replace(/-+$/, "") || "claim";
}

function uniqueId(base, section) {
  const taken = new Set((S.ann[section] || []).map((e) => e.id));
  if (section !== "claims") for (const k of S.vocab.known) taken.add(k.id);
  let id = base, n = 2;
  while (taken.has(id)) id = `${base}-${n++}`;
  return id;
}

function setStatus(text) { document.getElementById("status").textContent = text; }

function banner(text, actions, kind) {
  const box = document.getElementById("banner");
  box.hidden = !text;
  box.className = kind || "error";
  document.getElementById("banner-text").textContent = text || "";
  const holder = document.getElementById("banner-actions");
  holder.replaceChildren(...(actions || []));
}

// ------------------------------------------------------------------ state changes

function current() {
  const list = S.ann ? S.ann[S.tab] || [] : [];
  return list[S.sel[S.tab]];
}

function changed() {
  S.dirty = true;
  setStatus("unsaved changes");
  if (S.article) {
    try {
      localStorage.setItem(`kg-review:${S.article.id}`,
        JSON.stringify({hash: S.hash, annotation: S.ann}));
    } catch (_e) { /* storage full or disabled: the page still holds the edit */ }
  }
  renderCounts();
}

function setField(entry, key, value) {
  if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) delete entry[key];
  else entry[key] = value;
  delete S.errors[errorKey(S.tab, S.sel[S.tab], key)];
  changed();
}

const errorKey = (section, index, key) => `${section}:${index}:${key || ""}`;

function select(section, index, focusText) {
  S.tab = section;
  const list = S.ann[section] || [];
  S.sel[section] = Math.max(0, Math.min(index, list.length - 1));
  render();
  if (focusText !== false && section === "claims") {
    const mark = document.querySelector("#article-text .selected");
    if (mark) mark.scrollIntoView({block: "nearest"});
  }
  const item = document.querySelector("#list .item.selected");
  if (item) item.scrollIntoView({block: "nearest"});
}

function setReview(state, advance) {
  if (S.tab !== "claims" || !current()) return;
  current().review = state;
  changed();
  if (advance) {
    const claims = S.ann.claims;
    const start = S.sel.claims;
    for (let step = 1; step <= claims.length; step++) {
      const i = (start + step) % claims.length;
      if (claims[i].review === "drafted") { select("claims", i); return; }
    }
  }
  render();
}

// ------------------------------------------------------------------ text selection

function offsetOf(node, offset) {
  // character offset into the article text of a DOM position inside #article-text
  const root = document.getElementById("article-text");
  if (!root.contains(node)) return null;
  let seg = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  if (seg === root) {
    const child = root.childNodes[offset];
    return child ? Number(child.dataset.begin) : S.article.text.length;
  }
  while (seg && seg.parentElement !== root) seg = seg.parentElement;
  if (!seg || seg.dataset.begin === undefined) return null;
  return Number(seg.dataset.begin) + (node.nodeType === Node.TEXT_NODE ? offset : 0);
}

function selectedRange() {
  const sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || !S.article) return null;
  const range = sel.getRangeAt(0);
  const a = offsetOf(range.startContainer, range.startOffset);
  const b = offsetOf(range.endContainer, range.endOffset);
  if (a === null || b === null) return null;
  let begin = Math.min(a, b), end = Math.max(a, b);
  const text = S.article.text;
  while (begin < end && /\s/.test(text[begin])) begin++;
  while (end > begin && /\s/.test(text[end - 1])) end--;
  return {begin, end, collapsed: begin === end};
}

function sentenceOf(begin, end) {
  return S.article.sentences.findIndex(([b, e]) => b <= begin && end <= e);
}

function addClaimFromSelection() {
  const r = selectedRange();
  if (!r || r.collapsed) { banner("Select the words of the new claim in the text first.", [], "info"); return; }
  const quote = S.article.text.slice(r.begin, r.end);
  const sentence = sentenceOf(r.begin, r.end);
  if (sentence < 0) { banner("A claim's quote must lie within one sentence.", [], "error"); return; }
  const claim = {id: uniqueId(slug(quote), "claims"), quote, review: "reviewed"};
  // after the last claim that starts before it, so the list keeps the text's order
  let at = S.spans.findIndex((sp) => sp && sp.begin !== undefined && sp.begin > r.begin);
  if (at < 0) at = S.ann.claims.length;
  S.ann.claims.splice(at, 0, claim);
  S.spans.splice(at, 0, {begin: r.begin, end: r.end, sentence});
  window.getSelection().removeAllRanges();
  changed();
  select("claims", at);
  focusEditor();
}

function useSelectionAsQuote() {
  const r = selectedRange();
  if (S.tab !== "claims" || !current()) return;
  if (!r || r.collapsed) { banner("Select the words of the quote in the text first.", [], "info"); return; }
  const sentence = sentenceOf(r.begin, r.end);
  if (sentence < 0) { banner("A claim's quote must lie within one sentence.", [], "error"); return; }
  current().quote = S.article.text.slice(r.begin, r.end);
  S.spans[S.sel.claims] = {begin: r.begin, end: r.end, sentence};
  delete S.errors[errorKey("claims", S.sel.claims, "quote")];
  window.getSelection().removeAllRanges();
  changed();
  render();
}

function splitClaim() {
  if (S.tab !== "claims" || !current()) return;
  const span = S.spans[S.sel.claims];
  const r = selectedRange();
  if (!span || span.begin === undefined || !r || r.begin <= span.begin || r.begin >= span.end) {
    banner("Click in the claim's highlighted text where it should be split, then press s.", [], "info");
    return;
  }
  const text = S.article.text;
  let left = r.begin, right = r.begin;
  while (left > span.begin && /[\s,;:]/.test(text[left - 1])) left--;
  while (right < span.end && /[\s,;:]/.test(text[right])) right++;
  if (left <= span.begin || right >= span.end) {
    banner("Both parts of a split claim need some words.", [], "info");
    return;
  }
  const original = current();
  const second = JSON.parse(JSON.stringify(original));
  original.quote = text.slice(span.begin, left);
  second.quote = text.slice(right, span.end);
  second.id = uniqueId(`${original.id}-2`, "claims");
  original.review = second.review = "drafted";
  S.spans[S.sel.claims] = {begin: span.begin, end: left, sentence: span.sentence};
  S.ann.claims.splice(S.sel.claims + 1, 0, second);
  S.spans.splice(S.sel.claims + 1, 0, {begin: right, end: span.end, sentence: span.sentence});
  window.getSelection().removeAllRanges();
  changed();
  select("claims", S.sel.claims);
  setStatus("split: check both quotes, then accept each part");
}

// ------------------------------------------------------------------ rendering: text

// a claim is about the thing, or quotes the entity as its speaker or concern
function mentions(claim, id) {
  return [...asList(claim.about), ...asList(claim.concerns), ...asList(claim.accordingTo)].includes(id);
}

// where the selected claim's hedge cue is, in the claim's sentence (the compiler's rule)
function cueSpan() {
  if (S.tab !== "claims" || !current() || !current().hedgeCue) return null;
  const sp = S.spans[S.sel.claims];
  if (!sp || sp.sentence === undefined) return null;
  const [b, e] = S.article.sentences[sp.sentence];
  const sentence = S.article.text.slice(b, e);
  const inQuote = S.article.text.slice(sp.begin, sp.end).indexOf(current().hedgeCue);
  const at = inQuote >= 0 ? sp.begin - b + inQuote : sentence.indexOf(current().hedgeCue);
  return at < 0 ? null : [b + at, b + at + current().hedgeCue.length];
}

function renderText() {
  const box = document.getElementById("article-text");
  const text = S.article.text;
  const claims = S.ann.claims || [];
  const cuts = new Set([0, text.length]);
  S.spans.forEach((sp) => { if (sp && sp.begin !== undefined) { cuts.add(sp.begin); cuts.add(sp.end); } });
  const covered = new Set(S.spans.filter((sp) => sp && sp.sentence !== undefined).map((sp) => sp.sentence));
  const cue = cueSpan();
  if (cue) { cuts.add(cue[0]); cuts.add(cue[1]); }
  S.article.sentences.forEach(([b, e], i) => { if (!covered.has(i)) { cuts.add(b); cuts.add(e); } });
  const points = [...cuts].sort((x, y) => x - y);
  const nodes = [];
  for (let p = 0; p + 1 < points.length; p++) {
    const begin = points[p], end = points[p + 1];
    const over = [];
    S.spans.forEach((sp, i) => { if (sp && sp.begin <= begin && end <= sp.end) over.push(i); });
    // the innermost (shortest) claim gives the colour and answers the click
    over.sort((x, y) => (S.spans[x].end - S.spans[x].begin) - (S.spans[y].end - S.spans[y].begin));
    const attrs = {"data-begin": begin};
    const classes = [];
    if (over.length) {
      const top = over[0];
      classes.push("hl", `st-${claims[top].review || "drafted"}`);
      if (over.length > 1) classes.push("nested");
      if (S.tab === "claims" && over.includes(S.sel.claims)) classes.push("selected");
      else if (S.tab !== "claims" && current() && over.some((i) => mentions(claims[i], current().id))) classes.push("related");
      attrs["data-claims"] = over.join(" ");
      attrs.title = over.map((i) => `${claims[i].id} (${claims[i].review || "drafted"})`).join(", ");
    } else {
      const s = S.article.sentences.findIndex(([b, e]) => b <= begin && end <= e);
      if (s >= 0 && !covered.has(s)) classes.push("uncovered");
    }
    if (cue && cue[0] <= begin && end <= cue[1]) classes.push("cue");
    if (classes.length) attrs.class = classes.join(" ");
    nodes.push(el("span", attrs, text.slice(begin, end)));
  }
  box.replaceChildren(...nodes);
}

// ------------------------------------------------------------------ rendering: list

function itemTitle(section, entry, index) {
  if (section === "claims") {
    const sp = S.spans[index];
    const quote = entry.quote || "(no quote)";
    return [entry.id || "(no id)", quote.length > 90 ? `${quote.slice(0, 90)}…` : quote,
      sp && sp.error ? `⚠ ${sp.error}` : ""];
  }
  return [entry.id || "(no id)", `${entry.type || "?"} · ${labelOf(entry.label)}`, ""];
}

function renderList() {
  const box = document.getElementById("list");
  const list = S.ann[S.tab] || [];
  const rows = list.map((entry, index) => {
    const [head, sub, warn] = itemTitle(S.tab, entry, index);
    const state = S.tab === "claims" ? entry.review || "drafted" : null;
    const hasError = Object.keys(S.errors).some((k) => k.startsWith(`${S.tab}:${index}:`));
    return el("div", {
      class: `item${index === S.sel[S.tab] ? " selected" : ""}${hasError ? " has-error" : ""}`,
      role: "option", "aria-selected": index === S.sel[S.tab] ? "true" : "false",
      "data-index": index, onclick: () => select(S.tab, index),
    },
    state ? el("span", {class: `badge st-${state}`, text: state}) : null,
    el("span", {class: "item-id", text: head}),
    el("div", {class: "item-sub", text: sub}),
    warn ? el("div", {class: "item-warn", text: warn}) : null);
  });
  const add = S.tab === "claims" ? null
    : el("button", {type: "button", class: "add", onclick: () => addEntry(S.tab),
      text: `+ new ${S.tab === "things" ? "thing" : "entity"}`});
  box.replaceChildren(...rows, ...(add ? [add] : []));
  document.querySelectorAll("#tabs button").forEach((b) => {
    b.setAttribute("aria-selected", b.dataset.tab === S.tab ? "true" : "false");
    b.textContent = `${b.dataset.tab[0].toUpperCase()}${b.dataset.tab.slice(1)} (${(S.ann[b.dataset.tab] || []).length})`;
  });
}

function addEntry(section) {
  const entry = {id: uniqueId(section === "things" ? "new-thing" : "new-entity", section),
    type: section === "things" ? "Event" : "Person"};
  S.ann[section] = S.ann[section] || [];
  S.ann[section].push(entry);
  changed();
  select(section, S.ann[section].length - 1);
  focusEditor();
}

function renderCounts() {
  const counts = {drafted: 0, reviewed: 0, rejected: 0};
  for (const c of S.ann ? S.ann.claims || [] : []) counts[c.review || "drafted"] = (counts[c.review || "drafted"] || 0) + 1;
  document.getElementById("counts").textContent =
    `${counts.drafted} drafted · ${counts.reviewed} reviewed · ${counts.rejected} rejected`;
}

// ------------------------------------------------------------------ pickers

function knownIds(kinds) {
  // the registry and other articles' ids, plus this draft's own entities and things
  const own = [];
  for (const section of ["entities", "things"]) {
    for (const e of S.ann[section] || []) {
      const cls = S.vocab.classes[e.type];
      own.push({id: e.id, type: e.type, kind: cls ? cls.kind : null, label: e.label || {},
        aliases: e.aliases || {}, source: "this article"});
    }
  }
  const seen = new Set();
  const all = [...own, ...S.vocab.known].filter((k) => {
    if (!k.id || seen.has(k.id)) return false;
    seen.add(k.id);
    return !kinds || kinds.includes(k.kind);
  });
  return all;
}

function describe(option) {
  return `${option.id} · ${labelOf(option.label)}${option.type ? ` (${option.type})` : ""}`;
}

// A searchable choice of ids: chips for the chosen values, a text box, a filtered list.
function picker(fieldName, values, options, multiple, onChange) {
  const chosen = asList(values);
  const wrap = el("div", {class: "picker", "data-field": fieldName});
  const chips = el("span", {class: "chips"});
  const input = el("input", {type: "search", "aria-label": `${fieldName}: search`, name: fieldName,
    placeholder: multiple ? "search to add…" : "search…"});
  const list = el("ul", {class: "options", role: "listbox", hidden: true});
  const byId = new Map(options.map((o) => [o.id, o]));
  function paintChips() {
    chips.replaceChildren(...chosen.map((v) => el("span", {class: `chip${byId.has(v) ? "" : " unknown"}`,
      title: byId.has(v) ? describe(byId.get(v)) : "not a known id"},
    v, el("button", {type: "button", class: "chip-x", "aria-label": `remove ${v}`, text: "×",
      onclick: () => { chosen.splice(chosen.indexOf(v), 1); paintChips(); onChange(chosen.slice()); }}))));
  }
  function choose(id) {
    if (!multiple) chosen.length = 0;
    if (!chosen.includes(id)) chosen.push(id);
    input.value = "";
    list.hidden = true;
    paintChips();
    onChange(chosen.slice());
  }
  function filter() {
    const q = fold(input.value.trim());
    const hits = options.filter((o) => !q || fold(o.id).includes(q) || fold(labelOf(o.label)).includes(q)
      || Object.values(o.label || {}).some((l) => fold(l).includes(q))
      || Object.values(o.aliases || {}).flat().some((a) => fold(a).includes(q))).slice(0, 40);
    const rows = hits.map((o) => el("li", {role: "option", tabindex: -1, "data-id": o.id,
      onmousedown: (ev) => { ev.preventDefault(); choose(o.id); }}, describe(o),
    el("small", {text: ` ${o.source || ""}`})));
    if (q && /^[a-z0-9][a-z0-9:-]*$/.test(input.value.trim()) && !byId.has(input.value.trim())) {
      rows.push(el("li", {role: "option", class: "free", "data-id": input.value.trim(),
        onmousedown: (ev) => { ev.preventDefault(); choose(input.value.trim()); }},
      `use “${input.value.trim()}” as typed`));
    }
    list.replaceChildren(...rows);
    list.hidden = rows.length === 0;
  }
  input.addEventListener("input", filter);
  input.addEventListener("focus", filter);
  input.addEventListener("blur", () => { list.hidden = true; });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      const first = list.querySelector("li");
      if (first && !list.hidden) choose(first.dataset.id);
    }
  });
  paintChips();
  wrap.append(chips, input, list);
  return wrap;
}

function conceptSelect(fieldName, scheme, value, required, onChange) {
  const concepts = S.vocab.schemes[scheme] || [];
  const dflt = DEFAULTS[fieldName];
  const blank = required ? "— choose —" : dflt ? `(default: ${dflt})` : "(not given)";
  const sel = el("select", {name: fieldName, "aria-label": fieldName},
    el("option", {value: "", text: blank}),
    ...concepts.map((c) => el("option", {value: c.value, title: c.definition,
      text: `${c.value}${labelOf(c.label) && labelOf(c.label) !== c.value ? ` — ${labelOf(c.label)}` : ""}`})));
  if (value && !concepts.some((c) => c.value === value)) sel.append(el("option", {value, text: `${value} (not in the vocabulary)`}));
  sel.value = value || "";
  sel.addEventListener("change", () => onChange(sel.value || undefined));
  return sel;
}

// ------------------------------------------------------------------ rendering: editor

function fieldRow(section, index, key, label, control, note) {
  const message = S.errors[errorKey(section, index, key)];
  return el("div", {class: `field${message ? " error" : ""}`, "data-key": key},
    el("label", {class: "field-label", text: label}),
    el("div", {class: "field-control"}, control,
      note ? el("div", {class: "field-note", text: note}) : null,
      message ? el("p", {class: "field-error", role: "alert", text: message}) : null));
}

function textInput(name, value, onChange, attrs) {
  const input = el("input", {type: "text", name, "aria-label": name, ...(attrs || {})});
  input.value = value || "";
  input.addEventListener("change", () => onChange(input.value.trim() === "" ? undefined : input.value));
  return input;
}

function claimEditor(claim, index) {
  const sp = S.spans[index] || {};
  const state = claim.review || "drafted";
  const quote = el("textarea", {name: "quote", "aria-label": "quote", rows: 3});
  quote.value = claim.quote || "";
  quote.addEventListener("change", async () => {
    claim.quote = quote.value;
    changed();
    const r = await api("POST", `/api/article/${encodeURIComponent(S.article.id)}/anchor`, {quote: quote.value});
    if (r.ok) { S.spans[index] = r.data; delete S.errors[errorKey("claims", index, "quote")]; }
    else { S.spans[index] = {error: r.data.error}; S.errors[errorKey("claims", index, "quote")] = r.data.error; }
    render();
  });
  const speakers = [{id: S.vocab.narrator, label: {en: "the article's journalist (default)"}, source: ""},
    ...knownIds(["actor"])];
  const rows = [
    el("div", {class: "actions"},
      el("span", {class: `badge big st-${state}`, text: state}),
      el("button", {type: "button", class: "accept", onclick: () => setReview("reviewed", true), title: "a"}, "Accept (a)"),
      el("button", {type: "button", class: "reject", onclick: () => setReview("rejected", true), title: "r"}, "Reject (r)"),
      el("button", {type: "button", onclick: () => setReview("drafted", false), title: "u"}, "Drafted (u)"),
      el("button", {type: "button", onclick: splitClaim, title: "s"}, "Split (s)"),
      el("button", {type: "button", class: "delete", onclick: deleteCurrent}, "Delete")),
    fieldRow("claims", index, "id", "id", textInput("id", claim.id, (v) => setField(claim, "id", v))),
    fieldRow("claims", index, "quote", "quote", quote,
      sp.error ? `⚠ ${sp.error}` : sp.begin !== undefined ? `characters ${sp.begin}–${sp.end}, sentence ${sp.sentence}` : ""),
    fieldRow("claims", index, "about", "about",
      picker("about", claim.about, knownIds(["thing", "office"]), true, (v) => setField(claim, "about", fromList(v)))),
    ...CLAIM_SELECTS.map(([key, scheme, required]) => fieldRow("claims", index, key, key,
      conceptSelect(key, scheme, claim[key], required, (v) => { setField(claim, key, v); render(); }))),
    fieldRow("claims", index, "hedgeCue", "hedgeCue", textInput("hedgeCue", claim.hedgeCue, (v) => setField(claim, "hedgeCue", v),
      {placeholder: "the hedge words as written (pourrait, selon…)"})),
    fieldRow("claims", index, "accordingTo", "accordingTo (speaker)",
      picker("accordingTo", claim.accordingTo || S.vocab.narrator, speakers, false,
        (v) => setField(claim, "accordingTo", v[0] === S.vocab.narrator ? undefined : v[0]))),
    fieldRow("claims", index, "concerns", "concerns",
      picker("concerns", claim.concerns, knownIds(null), true, (v) => setField(claim, "concerns", fromList(v)))),
  ];
  if (claim.confidence !== undefined) {
    rows.push(fieldRow("claims", index, "confidence", "confidence", el("span", {class: "confidence", text: `${claim.confidence} (extractor)`})));
  }
  rows.push(el("p", {class: `fact-note${isFactShaped(claim) ? " fact" : ""}`,
    text: isFactShaped(claim) ? "Once reviewed, this claim states its things as facts (certain, positive, direct report, by the journalist, no hedge)."
      : "Not fact-shaped: its things stay hedged or attributed."}));
  return rows;
}

function isFactShaped(c) {
  return c.certainty === "certain" && (c.polarity || "positive") === "positive"
    && (c.evidentialBasis || "direct-report") === "direct-report" && !c.hedgeCue
    && (!c.accordingTo || c.accordingTo === S.vocab.narrator);
}

function entryEditor(section, entry, index) {
  const kinds = section === "things" ? ["thing"] : ["actor", "place", "office"];
  const classes = Object.entries(S.vocab.classes).filter(([, c]) => kinds.includes(c.kind))
    .sort(([a], [b]) => a.localeCompare(b));
  const type = el("select", {name: "type", "aria-label": "type"},
    ...classes.map(([name, c]) => el("option", {value: name, text: `${name}${labelOf(c.label) ? ` — ${labelOf(c.label)}` : ""}`})));
  if (entry.type && !S.vocab.classes[entry.type]) type.append(el("option", {value: entry.type, text: `${entry.type} (unknown)`}));
  type.value = entry.type || "";
  type.addEventListener("change", () => setField(entry, "type", type.value));
  const label = entry.label && typeof entry.label === "object" ? entry.label : {};
  const setLabel = (lang, v) => {
    const next = {...(entry.label && typeof entry.label === "object" ? entry.label : {})};
    if (v === undefined) delete next[lang]; else next[lang] = v;
    setField(entry, "label", Object.keys(next).length ? next : undefined);
  };
  const structural = new Set(["id", "type", "label", "aliases", "wikidata", "unknown"]);
  const rows = [
    el("div", {class: "actions"}, el("button", {type: "button", class: "delete", onclick: deleteCurrent}, "Delete")),
    fieldRow(section, index, "id", "id", textInput("id", entry.id, (v) => setField(entry, "id", v))),
    fieldRow(section, index, "type", "type", type),
    fieldRow(section, index, "label", "label (fr)", textInput("label-fr", label.fr, (v) => setLabel("fr", v))),
    fieldRow(section, index, "label", "label (en)", textInput("label-en", label.en, (v) => setLabel("en", v))),
  ];
  if (section === "entities") {
    const aliases = entry.aliases && typeof entry.aliases === "object" ? entry.aliases : {};
    for (const lang of ["fr", "en"]) {
      rows.push(fieldRow(section, index, "aliases", `aliases (${lang})`, textInput(`aliases-${lang}`,
        asList(aliases[lang]).join(", "), (v) => {
          const next = {...aliases};
          const names = (v || "").split(",").map((a) => a.trim()).filter(Boolean);
          if (names.length) next[lang] = names; else delete next[lang];
          setField(entry, "aliases", Object.keys(next).length ? next : undefined);
        }, {placeholder: "other names, separated by commas"})));
    }
    rows.push(fieldRow(section, index, "wikidata", "wikidata", textInput("wikidata", entry.wikidata,
      (v) => setField(entry, "wikidata", v), {placeholder: "Q… (only where certain)"})));
  }
  for (const key of Object.keys(entry).filter((k) => !structural.has(k))) {
    rows.push(fieldRow(section, index, key, key, propertyControl(entry, key)));
  }
  const props = Object.keys(S.vocab.properties).filter((p) => !(p in entry)).sort();
  const adder = el("select", {name: "add-property", "aria-label": "add a property"},
    el("option", {value: "", text: "+ add a property…"}), ...props.map((p) => el("option", {value: p, text: p})));
  adder.addEventListener("change", () => { if (adder.value) { entry[adder.value] = []; render(); } });
  rows.push(el("div", {class: "field"}, el("span", {class: "field-label"}), adder));
  const unknownProps = Object.keys(S.vocab.properties).sort().map((p) => ({id: p, label: S.vocab.properties[p].label}));
  rows.push(fieldRow(section, index, "unknown", "unknown (the text says so)",
    picker("unknown", entry.unknown, unknownProps, true, (v) => setField(entry, "unknown", v.length ? v : undefined))));
  return rows;
}

function propertyControl(entry, key) {
  const spec = S.vocab.properties[key];
  const remove = el("button", {type: "button", class: "chip-x", "aria-label": `remove ${key}`, text: "×",
    onclick: () => { delete entry[key]; changed(); render(); }});
  let control;
  if (spec && spec.scheme) {
    const options = (S.vocab.schemes[spec.scheme] || []).map((c) => ({id: c.value, label: c.label}));
    control = picker(key, entry[key], options, true, (v) => setField(entry, key, fromList(v)));
  } else if (spec && spec.object) {
    control = picker(key, entry[key], knownIds(null), true, (v) => setField(entry, key, fromList(v)));
  } else {
    control = textInput(key, asList(entry[key]).join(", "), (v) => setField(entry, key, v));
  }
  return el("div", {class: "prop"}, control, remove);
}

function deleteCurrent() {
  const list = S.ann[S.tab];
  if (!list || !current()) return;
  list.splice(S.sel[S.tab], 1);
  if (S.tab === "claims") S.spans.splice(S.sel.claims, 1);
  S.errors = {};
  changed();
  select(S.tab, S.sel[S.tab]);
}

function renderEditor() {
  const box = document.getElementById("editor");
  const entry = current();
  if (!entry) { box.replaceChildren(el("p", {class: "empty", text: "Nothing here yet."})); return; }
  const index = S.sel[S.tab];
  const general = S.errors[errorKey(S.tab, index, "")];
  const rows = S.tab === "claims" ? claimEditor(entry, index) : entryEditor(S.tab, entry, index);
  box.replaceChildren(
    el("h2", {text: `${S.tab === "claims" ? "Claim" : S.tab === "things" ? "Thing" : "Entity"} ${index + 1} of ${S.ann[S.tab].length}`}),
    ...(general ? [el("p", {class: "field-error", role: "alert", text: general})] : []),
    ...rows.filter(Boolean));
}

function render() {
  if (!S.ann) return;
  renderText();
  renderList();
  renderEditor();
  renderCounts();
}

function focusEditor() {
  const first = document.querySelector("#editor input, #editor select, #editor textarea");
  if (first) first.focus();
}

// ------------------------------------------------------------------ loading and saving

// the article as the server has it on disk: the page's state starts again from it
function adopt(payload) {
  S.article = payload;
  S.ann = payload.annotation;
  for (const s of SECTIONS) S.ann[s] = S.ann[s] || [];
  S.hash = payload.hash;
  S.spans = payload.spans;
  S.errors = {};
  S.dirty = false;
}

async function loadArticle(id, keepBanner) {
  const r = await api("GET", `/api/article/${encodeURIComponent(id)}`);
  if (!r.ok) { banner(r.data.error || "cannot load the article", []); return; }
  adopt(r.data);
  S.sel = {claims: 0, things: 0, entities: 0};
  const reviewer = document.getElementById("reviewer");
  if (!reviewer.value) reviewer.value = r.data.reviewer || localStorage.getItem("kg-review:reviewer") || "";
  const meta = r.data.meta || {};
  document.getElementById("article-meta").textContent =
    [r.data.id, meta.language, meta.title, meta.publisher, meta.published].filter(Boolean).join(" · ");
  if (!keepBanner) banner("");
  setStatus("loaded");
  offerBackup();
  render();
}

function offerBackup() {
  let backup = null;
  try { backup = JSON.parse(localStorage.getItem(`kg-review:${S.article.id}`) || "null"); } catch (_e) { backup = null; }
  if (!backup || JSON.stringify(backup.annotation) === JSON.stringify(S.ann)) return;
  const same = backup.hash === S.hash;
  banner(same ? "This browser holds unsaved edits of this article from an earlier visit."
    : "This browser holds unsaved edits made on an older version of this file (it changed on disk since).",
  [el("button", {type: "button", text: "Restore my edits", onclick: () => {
    S.ann = backup.annotation;
    for (const s of SECTIONS) S.ann[s] = S.ann[s] || [];
    if (!same) setStatus("restored edits of an older version: saving will be refused until you reload");
    S.hash = same ? S.hash : backup.hash;
    reanchorAll().then(() => { S.dirty = true; banner(""); render(); });
  }}), el("button", {type: "button", text: "Discard them", onclick: () => {
    localStorage.removeItem(`kg-review:${S.article.id}`);
    banner("");
  }})], "info");
}

async function reanchorAll() {
  S.spans = await Promise.all((S.ann.claims || []).map(async (c) => {
    const r = await api("POST", `/api/article/${encodeURIComponent(S.article.id)}/anchor`, {quote: c.quote || ""});
    return r.ok ? r.data : {error: r.data.error};
  }));
}

async function save() {
  if (!S.article) return;
  const reviewer = document.getElementById("reviewer").value.trim();
  if (reviewer) localStorage.setItem("kg-review:reviewer", reviewer);
  setStatus("saving…");
  const r = await api("POST", `/api/article/${encodeURIComponent(S.article.id)}/save`,
    {hash: S.hash, annotation: S.ann, reviewer});
  if (r.ok) {
    localStorage.removeItem(`kg-review:${S.article.id}`);
    adopt(r.data);  // the tab and the selection stay
    banner("");
    setStatus(`saved ${new Date().toLocaleTimeString()}`);
    render();
    refreshDrafts();
    return;
  }
  const message = r.data && r.data.error ? r.data.error : `save failed (HTTP ${r.status})`;
  setStatus("not saved");
  if (r.status === 409) {
    banner(`Not saved: ${message}`, [el("button", {type: "button", text: "Reload from disk (discards your edits)",
      onclick: () => { localStorage.removeItem(`kg-review:${S.article.id}`); loadArticle(S.article.id); }})]);
    return;
  }
  const f = r.data && r.data.field;
  if (f && f.key === "reviewer") {
    banner(`Not saved: ${message}`, []);
    document.getElementById("reviewer").focus();
    return;
  }
  if (f && SECTIONS.includes(f.section) && f.index !== null && f.index !== undefined) {
    S.errors[errorKey(f.section, f.index, f.key)] = message;
    banner(`Not saved: ${message} (${f.section} ${f.index + 1}${f.id ? `, ${f.id}` : ""}${f.key ? `, field ${f.key}` : ""})`, []);
    select(f.section, f.index, true);
    const row = document.querySelector(`#editor .field.error`);
    if (row) row.scrollIntoView({block: "center"});
    return;
  }
  banner(`Not saved: ${message}`, []);
}

async function refreshDrafts() {
  const r = await api("GET", "/api/drafts");
  if (!r.ok) return;
  S.drafts = r.data.drafts;
  const picker = document.getElementById("article-picker");
  const value = picker.value;
  picker.replaceChildren(...S.drafts.map((d) => el("option", {value: d.id,
    text: `${d.id} — ${d.counts.drafted} drafted${d.problem ? " ⚠" : ""}`})));
  if (value) picker.value = value;
}

// ------------------------------------------------------------------ events

function onKey(ev) {
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s") { ev.preventDefault(); save(); return; }
  const target = ev.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
    || target instanceof HTMLSelectElement;
  if (typing) {
    if (ev.key === "Escape") { target.blur(); }
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey || !S.ann || document.getElementById("help").open) return;
  const actions = {
    j: () => select(S.tab, S.sel[S.tab] + 1), k: () => select(S.tab, S.sel[S.tab] - 1),
    a: () => setReview("reviewed", true), r: () => setReview("rejected", true),
    u: () => setReview("drafted", false), e: focusEditor, s: splitClaim,
    n: addClaimFromSelection, q: useSelectionAsQuote,
    1: () => select("claims", S.sel.claims), 2: () => select("things", S.sel.things),
    3: () => select("entities", S.sel.entities),
    "?": () => document.getElementById("help").showModal(),
  };
  const action = actions[ev.key];
  if (action) { ev.preventDefault(); action(); }
}

function onTextClick(ev) {
  const seg = ev.target.closest("span[data-claims]");
  const sel = window.getSelection();
  if (!seg || (sel && !sel.isCollapsed)) return;
  const indexes = seg.dataset.claims.split(" ").map(Number);
  // clicking again cycles through overlapping claims
  const at = indexes.indexOf(S.sel.claims);
  const next = S.tab === "claims" && at >= 0 ? indexes[(at + 1) % indexes.length] : indexes[0];
  const r = selectedRange();
  select("claims", next, false);
  if (r) {  // keep the caret where the click was (for split)
    restoreCaret(r.begin);
  }
}

function restoreCaret(offset) {
  const root = document.getElementById("article-text");
  for (const seg of root.children) {
    const b = Number(seg.dataset.begin), len = seg.textContent.length;
    if (b <= offset && offset <= b + len && seg.firstChild) {
      const range = document.createRange();
      range.setStart(seg.firstChild, offset - b);
      range.collapse(true);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      return;
    }
  }
}

function onSelectionChange() {
  const r = S.article ? selectedRange() : null;
  const has = Boolean(r && !r.collapsed);
  document.getElementById("add-claim").disabled = !has;
  document.getElementById("use-quote").disabled = !has || S.tab !== "claims";
}

async function start() {
  const vocab = await api("GET", "/api/vocabulary");
  if (!vocab.ok) { banner(vocab.data.error || "cannot load the vocabularies", []); return; }
  S.vocab = vocab.data;
  await refreshDrafts();
  document.getElementById("article-picker").addEventListener("change", (ev) => {
    if (S.dirty && !window.confirm("Unsaved edits (kept in this browser). Switch article?")) {
      ev.target.value = S.article.id;
      return;
    }
    loadArticle(ev.target.value);
  });
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("help-button").addEventListener("click", () => document.getElementById("help").showModal());
  document.getElementById("help-close").addEventListener("click", () => document.getElementById("help").close());
  document.getElementById("add-claim").addEventListener("mousedown", (ev) => ev.preventDefault());
  document.getElementById("use-quote").addEventListener("mousedown", (ev) => ev.preventDefault());
  document.getElementById("add-claim").addEventListener("click", addClaimFromSelection);
  document.getElementById("use-quote").addEventListener("click", useSelectionAsQuote);
  document.getElementById("article-text").addEventListener("click", onTextClick);
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => select(b.dataset.tab, S.sel[b.dataset.tab])));
  document.addEventListener("keydown", onKey);
  document.addEventListener("selectionchange", onSelectionChange);
  window.addEventListener("beforeunload", (ev) => { if (S.dirty) { ev.preventDefault(); ev.returnValue = ""; } });
  if (S.drafts.length) await loadArticle(S.drafts[0].id);
  else banner("No draft article to review.", [], "info");
}

start();
