"""The world gazetteer (kg/extract/world/*.yaml): states, organisations and people that `kg
extract` recognises in French and English news.

The files are data a reviewer trusts: a typo in a key, an office that ends before it starts,
a `state:` that names nothing, a Wikidata id reused for two actors or a name that silently
points at two actors would each put a wrong actor into a draft. These tests keep them honest.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
import yaml
from rdflib import Graph, Namespace
from rdflib.namespace import SKOS

from kg.yamlsafe import load_yaml
from tests.conftest import DATA, ONTOLOGY, ROOT

WORLD = ROOT / "kg" / "extract" / "world"
FILES = {"states": WORLD / "states.yaml", "organisations": WORLD / "organisations.yaml",
         "people": WORLD / "people.yaml"}
LANGS = ("fr", "en")
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QID = re.compile(r"^Q[1-9][0-9]*$")
#: ISO 8601 calendar date, to the day or (where only the month is known) to the month
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?$")
ORGANISATION_TYPES = {"Organization", "GovernmentBody", "StateMedia", "Group"}
PERSON_TYPES = {"PoliticalLeader", "Minister", "Spokesperson", "MilitaryOfficial", "Person"}
#: office roles; head-of-state, foreign-minister and spokesperson are concepts of dkv:role,
#: the others are the extractor's own (a minister of defence is not a military official)
ROLES = {"head-of-state", "head-of-government", "foreign-minister", "defence-minister",
         "spokesperson", "vice-president", "national-security-adviser", "head-of-organisation"}
#: (required keys, optional keys) of an entry of each file
SCHEMA = {
    "states": ({"id", "name"}, {"wikidata", "aliases", "capital", "demonyms"}),
    "organisations": ({"id", "type", "name"}, {"wikidata", "aliases", "state", "sourceType"}),
    "people": ({"id", "type", "name"}, {"wikidata", "aliases", "state", "titles", "offices"}),
}
OFFICE_KEYS = ({"role", "from", "to"}, {"state", "organisation", "body"})

#: Surface forms that name two actors in one language, on purpose: the extractor must pick one
#: from the context (or leave the mention unresolved). Each entry says why. A title shared by
#: successive holders of one office is not listed here: the article's date picks the holder
#: (see test_a_title_shared_by_two_people_belongs_to_successive_holders_of_one_office).
AMBIGUOUS: dict[tuple[str, str], set[str]] = {
    # the people of both Congos
    ("fr", "congolais"): {"republic-of-the-congo", "dr-congo"},
    ("fr", "congolaise"): {"republic-of-the-congo", "dr-congo"},
    ("fr", "congolaises"): {"republic-of-the-congo", "dr-congo"},
    ("en", "congolese"): {"republic-of-the-congo", "dr-congo"},
    # Belgium's capital, and the EU's seat that the press uses for the EU ("Bruxelles exige")
    ("fr", "bruxelles"): {"belgium", "european-union"},
    ("en", "brussels"): {"belgium", "european-union"},
}


def _load(name: str) -> list[Any]:
    document = load_yaml(FILES[name])
    assert isinstance(document, dict) and set(document) == {name}, \
        f"{FILES[name].name} must hold one top-level key, {name!r}"
    entries = document[name]
    assert isinstance(entries, list) and entries, f"{FILES[name].name}: {name} must be a non-empty list"
    return entries


@pytest.fixture(scope="module")
def world() -> dict[str, list[Any]]:
    return {name: _load(name) for name in FILES}


@pytest.fixture(scope="module")
def by_id(world: dict[str, list[Any]]) -> dict[str, tuple[str, Any]]:
    return {entry["id"]: (name, entry) for name, entries in world.items() for entry in entries}


def _is_null(value: Any) -> bool:
    # kg.yamlsafe keeps every scalar a string: `to: null` comes back as "null"
    return value is None or value in ("null", "~", "")


def _date(value: Any) -> date:
    """The first day of an ISO date written to the day or to the month (dates are compared by
    their first day: an office that ends in 2023-07 and one that starts in 2023-07 follow each
    other)."""
    if isinstance(value, date):  # a loader that types dates (PyYAML's safe loader)
        return value
    assert isinstance(value, str) and ISO_DATE.match(value), \
        f"{value!r} is not an ISO date (YYYY-MM-DD, or YYYY-MM where the day is unknown)"
    return date.fromisoformat(value if len(value) == 10 else f"{value}-01")


def _name_map(value: Any, where: str) -> None:
    assert isinstance(value, dict) and set(value) == set(LANGS), f"{where}: needs exactly fr and en"
    for lang in LANGS:
        text = value[lang]
        assert isinstance(text, str) and text and text == text.strip(), f"{where}.{lang}: {text!r}"


def _list_map(value: Any, where: str) -> None:
    assert isinstance(value, dict) and value and set(value) <= set(LANGS), f"{where}: keys fr/en"
    for lang, forms in value.items():
        assert isinstance(forms, list) and forms, f"{where}.{lang}: a non-empty list"
        for form in forms:
            assert isinstance(form, str) and form and form == form.strip(), f"{where}.{lang}: {form!r}"
        folded = [form.casefold() for form in forms]
        assert len(folded) == len(set(folded)), f"{where}.{lang}: a form listed twice"


def _surface_forms(name: str, entry: Any) -> dict[str, set[str]]:
    """Every form the extractor matches for this entry, per language."""
    forms: dict[str, set[str]] = {lang: {entry["name"][lang]} for lang in LANGS}
    for key in ("capital",):
        for lang, form in entry.get(key, {}).items():
            forms[lang].add(form)
    for key in ("aliases", "demonyms", "titles"):
        for lang, values in entry.get(key, {}).items():
            forms[lang].update(values)
    return forms


# --- the files ---------------------------------------------------------------------------------


def test_the_three_files_exist_and_ship_as_package_data() -> None:
    assert sorted(path.name for path in WORLD.glob("*.yaml")) == sorted(p.name for p in FILES.values())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    # declared on the kg package, or on kg.extract once that is a package of its own
    declared = [ROOT / "kg" / pattern for pattern in package_data.get("kg", [])]
    declared += [ROOT / "kg" / "extract" / pattern for pattern in package_data.get("kg.extract", [])]
    shipped = {path for pattern in declared
               for path in pattern.parent.glob(pattern.name) if path.parent == WORLD}
    assert shipped == set(FILES.values())


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_plain_yaml_loader_reads_the_same_strings(name: str) -> None:
    """No scalar that PyYAML's safe loader would turn into a bool, number or other type
    (``NO`` for Norway, ``1.0``): whoever loads these files gets strings, dates and nulls."""

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        else:
            assert value is None or isinstance(value, str | date), f"{where}: {value!r}"

    walk(yaml.safe_load(FILES[name].read_text(encoding="utf-8")), name)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_entry_follows_the_schema(world: dict[str, list[Any]], name: str) -> None:
    required, optional = SCHEMA[name]
    for entry in world[name]:
        where = f"{name}: {entry.get('id')!r}"
        assert isinstance(entry, dict), where
        assert required <= set(entry), f"{where}: missing {sorted(required - set(entry))}"
        unknown = set(entry) - required - optional
        assert not unknown, f"{where}: unknown keys {sorted(unknown)}"
        assert ID.match(entry["id"]), f"{where}: id is not a lowercase slug"
        _name_map(entry["name"], f"{where}.name")
        if "wikidata" in entry:
            assert QID.match(entry["wikidata"]), f"{where}: bad Wikidata id {entry['wikidata']!r}"
        for key in ("aliases", "demonyms", "titles"):
            if key in entry:
                _list_map(entry[key], f"{where}.{key}")
        if "capital" in entry:
            _name_map(entry["capital"], f"{where}.capital")
        if "state" in entry:
            assert isinstance(entry["state"], str), where
        if name == "organisations":
            assert entry["type"] in ORGANISATION_TYPES, f"{where}: type {entry['type']!r}"
        if name == "people":
            assert entry["type"] in PERSON_TYPES, f"{where}: type {entry['type']!r}"


def test_demonyms_are_lowercase_in_french_and_capitalised_in_english(world: dict[str, list[Any]]) -> None:
    for state in world["states"]:
        demonyms = state.get("demonyms", {})
        for form in demonyms.get("fr", []):
            assert form == form.lower(), f"{state['id']}: {form!r}"
        for form in demonyms.get("en", []):
            assert form[0].isupper(), f"{state['id']}: {form!r}"


def test_offices_have_a_known_role_a_holder_and_iso_dates_in_order(
        world: dict[str, list[Any]], by_id: dict[str, tuple[str, Any]]) -> None:
    required, optional = OFFICE_KEYS
    for person in world["people"]:
        offices = person.get("offices", [])
        assert isinstance(offices, list), person["id"]
        for office in offices:
            where = f"{person['id']}: office {office!r}"
            assert isinstance(office, dict) and required <= set(office) <= required | optional, where
            assert office["role"] in ROLES, where
            assert ("state" in office) != ("organisation" in office), f"{where}: a state or an organisation"
            if "state" in office:
                assert by_id.get(office["state"], ("",))[0] == "states", f"{where}: no such state"
            if "organisation" in office:
                assert by_id.get(office["organisation"], ("",))[0] == "organisations", where
            if "body" in office:
                assert by_id.get(office["body"], ("",))[0] == "organisations", f"{where}: no such body"
            start = _date(office["from"])
            if not _is_null(office["to"]):
                assert start <= _date(office["to"]), f"{where}: ends before it starts"


def test_ids_are_unique_across_the_three_files(world: dict[str, list[Any]]) -> None:
    seen: dict[str, str] = {}
    for name, entries in world.items():
        for entry in entries:
            assert entry["id"] not in seen, f"{entry['id']!r} in {seen.get(entry['id'])} and {name}"
            seen[entry["id"]] = name


def test_every_state_reference_names_a_state(world: dict[str, list[Any]], by_id: dict) -> None:
    for name in ("organisations", "people"):
        for entry in world[name]:
            if "state" in entry:
                assert by_id.get(entry["state"], ("",))[0] == "states", \
                    f"{name}: {entry['id']!r} names state {entry['state']!r}, which is no state"


def test_wikidata_ids_are_unique(world: dict[str, list[Any]]) -> None:
    owners: dict[str, str] = {}
    for entries in world.values():
        for entry in entries:
            if "wikidata" in entry:
                qid = entry["wikidata"]
                assert qid not in owners, f"{qid} is both {owners.get(qid)!r} and {entry['id']!r}"
                owners[qid] = entry["id"]


def test_ids_shared_with_data_keep_their_wikidata_id(world: dict[str, list[Any]]) -> None:
    """data/entities.yaml and data/gazetteer.yaml already name some of these actors: the same id
    must be the same Wikidata item, and a Wikidata item known there must keep its id here."""
    known: dict[str, str] = {}
    for path, key in ((DATA / "entities.yaml", "entities"), (DATA / "gazetteer.yaml", "entries")):
        for entry in load_yaml(path)[key]:
            if "wikidata" in entry:
                known[entry["id"]] = entry["wikidata"]
    assert known, "data/ names no Wikidata id: the comparison would check nothing"
    ours = {entry["id"]: entry.get("wikidata") for entries in world.values() for entry in entries}
    shared = set(known) & set(ours)
    assert {"russia", "north-korea", "united-states", "vladimir-putin", "nato"} <= shared
    for ident in shared:
        assert ours[ident] == known[ident], f"{ident}: {ours[ident]} here, {known[ident]} in data/"
    by_qid = {qid: ident for ident, qid in ours.items() if qid}
    for ident, qid in known.items():
        assert by_qid.get(qid, ident) == ident, f"{qid} is {ident!r} in data/ but {by_qid[qid]!r} here"


def test_an_actor_data_already_names_keeps_its_data_id(world: dict[str, list[Any]]) -> None:
    """Regression: Lavrov was `sergey-lavrov` here and `sergei-lavrov` in an article of data/,
    so the extractor drafted a second Lavrov. A world entry whose name is the label of an entity
    of data/ (registry or article) must use that entity's id."""
    articles = sorted((DATA / "articles").glob("*/annotation.yaml"))
    assert articles, "no article annotation under data/articles"
    labels: dict[str, str] = {}
    documents = [(DATA / "entities.yaml", "entities"), *((path, "entities") for path in articles)]
    for path, key in documents:
        for entity in load_yaml(path).get(key, []) or []:
            for label in (entity.get("label") or {}).values():
                labels[label.casefold()] = entity["id"]
    assert labels.get("sergei lavrov") == "sergei-lavrov"
    for entries in world.values():
        for entry in entries:
            for name in entry["name"].values():
                assert labels.get(name.casefold(), entry["id"]) == entry["id"], \
                    f"{entry['id']!r} is named {name!r}, which data/ calls {labels[name.casefold()]!r}"


def test_source_types_are_concepts_of_the_vocabulary(world: dict[str, list[Any]]) -> None:
    vocab = Graph().parse(ONTOLOGY / "vocab.ttl", format="turtle")
    dkv = Namespace("https://w3id.org/diplo-kg/vocab/")
    allowed = {str(vocab.value(concept, SKOS.notation))
               for concept in vocab.subjects(SKOS.inScheme, dkv["source-type"])}
    assert "state-media" in allowed
    used = {entry["sourceType"] for entry in world["organisations"] if "sourceType" in entry}
    assert used, "no organisation has a source type: the check would check nothing"
    assert used <= allowed
    for entry in world["organisations"]:
        if entry["type"] == "StateMedia":
            assert entry.get("sourceType") == "state-media" and "state" in entry, entry["id"]


# --- surface forms -----------------------------------------------------------------------------


def _forms_index(world: dict[str, list[Any]]) -> dict[tuple[str, str], set[str]]:
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, entries in world.items():
        for entry in entries:
            for lang, forms in _surface_forms(name, entry).items():
                for form in forms:
                    index[(lang, form.casefold())].add(entry["id"])
    return index


def _successive_holders(people: list[Any], ids: set[str]) -> bool:
    """True if these people all held one office (role and state or organisation), one after
    another: the article's date tells which one a shared title means."""
    terms: dict[str, list[tuple[tuple[str, str], date, date]]] = {}
    for person in people:
        if person["id"] in ids:
            terms[person["id"]] = [
                ((office["role"], office.get("state") or office["organisation"]), _date(office["from"]),
                 date.max if _is_null(office["to"]) else _date(office["to"]))
                for office in person.get("offices", [])]
    if set(terms) != ids:
        return False
    common = set.intersection(*({office for office, _, _ in held} for held in terms.values()))
    for office in common:
        spans = sorted((start, end) for held in terms.values() for key, start, end in held if key == office)
        if all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans)):
            return True
    return False


def test_no_surface_form_names_two_actors_unless_listed(world: dict[str, list[Any]]) -> None:
    titles: dict[tuple[str, str], set[str]] = defaultdict(set)
    for person in world["people"]:
        for lang, forms in person.get("titles", {}).items():
            for form in forms:
                titles[(lang, form.casefold())].add(person["id"])
    clashes = {}
    for key, ids in _forms_index(world).items():
        if len(ids) < 2 or AMBIGUOUS.get(key) == ids:
            continue
        if titles.get(key) == ids and _successive_holders(world["people"], ids):
            continue
        clashes[key] = sorted(ids)
    assert clashes == {}


def test_the_ambiguity_allow_list_is_not_stale(world: dict[str, list[Any]]) -> None:
    index = _forms_index(world)
    for key, ids in AMBIGUOUS.items():
        assert index.get(key) == ids, f"{key} is listed as naming {sorted(ids)}, the files: {index.get(key)}"


def test_a_title_shared_by_two_people_belongs_to_successive_holders_of_one_office() -> None:
    """The rule that lets "the British prime minister" name Johnson, Truss, Sunak and Starmer
    refuses two people who held different offices, or the same office at the same time."""
    def person(ident: str, role: str, start: str, end: str) -> dict[str, Any]:
        return {"id": ident, "offices": [{"role": role, "state": "x", "from": start, "to": end}]}

    people = [person("a", "head-of-government", "2020-01-01", "2022-09-06"),
              person("b", "head-of-government", "2022-09-06", "null"),
              person("c", "foreign-minister", "2021-01-01", "null"),
              person("d", "head-of-government", "2022-01-01", "null")]
    assert _successive_holders(people, {"a", "b"})
    assert not _successive_holders(people, {"a", "c"})
    assert not _successive_holders(people, {"a", "d"})
    assert not _successive_holders(people, {"a", "nobody"})


# --- coverage ----------------------------------------------------------------------------------


def test_every_un_member_and_observer_state_taiwan_and_kosovo_is_there(world: dict[str, list[Any]]) -> None:
    ids = {state["id"] for state in world["states"]}
    # 193 UN members + Holy See and Palestine (observers) + Taiwan + Kosovo
    assert len(ids) == 197
    assert {"holy-see", "palestine", "taiwan", "kosovo", "north-korea", "south-korea"} <= ids


def test_common_names_find_their_state(world: dict[str, list[Any]]) -> None:
    index = _forms_index(world)
    for lang, form, ident in [("fr", "RPDC", "north-korea"), ("fr", "Corée du Nord", "north-korea"),
                              ("en", "DPRK", "north-korea"), ("en", "North Korea", "north-korea"),
                              ("fr", "la Russie", "russia"), ("fr", "Moscou", "russia"),
                              ("fr", "nord-coréennes", "north-korea"),
                              ("en", "Emirati", "united-arab-emirates"),
                              ("en", "Turkey", "turkiye"), ("fr", "Pékin", "china")]:
        assert index.get((lang, form.casefold())) == {ident}, (lang, form)
