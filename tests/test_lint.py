"""The ontology lint (ROBOT report style): the real ontology is clean, each check fires on the
broken fixture, on exactly the terms it should."""

from __future__ import annotations

import tomllib

import pytest
from rdflib import Graph

from kg.compile import load_ontology
from kg.errors import KGError
from kg.lint import LEVELS, errors, lint_ontology, load_checks, parse_header, report_text
from tests.conftest import FIXTURES, ONTOLOGY, ROOT

DKG = "https://w3id.org/diplo-kg/ontology#"
DKV = "https://w3id.org/diplo-kg/vocab/"
ONT = "https://w3id.org/diplo-kg/ontology"

#: (check, term) pairs the broken fixture must produce, and nothing else
EXPECTED = {
    ("cameo_code_incomplete", DKV + "cameo-042"),
    ("concept_iri_convention", DKV + "visit-code"),
    ("duplicate_label", DKG + "DuplicateOne"),
    ("duplicate_label", DKG + "DuplicateTwo"),
    ("hard_domain_range", DKG + "oneWay"),
    ("missing_defined_by", DKG + "NoDefinedBy"),
    ("missing_defined_by", DKG + "WrongDefinedBy"),
    ("missing_label", DKG + "NoLabel"),
    ("missing_label_language", DKG + "EnglishOnly"),
    ("missing_label_language", DKG + "Untagged"),
    ("missing_ontology_description", ONT),
    ("missing_ontology_license", ONT),
    ("missing_ontology_title", DKV),
    ("multiple_labels", DKG + "TwoLabels"),
    ("one_way_inverse", DKG + "oneWay"),
    ("deprecated_without_replacement", DKG + "OldTerm"),
    ("missing_definition", DKG + "NoDefinition"),
    ("missing_domain_range_includes", DKG + "otherWay"),
    ("missing_version", ONT),
}


@pytest.fixture(scope="module")
def broken_findings() -> list:
    path = FIXTURES / "lint" / "broken.ttl"
    assert path.is_file()
    graph = Graph()
    graph.parse(path, format="turtle")
    return lint_ontology(graph)


@pytest.fixture(scope="module")
def real_findings() -> list:
    return lint_ontology(load_ontology(ONTOLOGY))


def test_every_lint_query_has_a_header_with_title_question_and_level() -> None:
    checks = load_checks()
    files = sorted((ROOT / "kg" / "queries" / "lint").glob("*.rq"))
    assert files, "no lint query found"
    assert [c.name for c in checks] == [f.stem for f in files]
    for check in checks:
        assert check.level in LEVELS
        assert check.title and check.finds
        assert "SELECT" in check.sparql and "?entity" in check.sparql


def test_lint_queries_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "queries/lint/*.rq" in config["tool"]["setuptools"]["package-data"]["kg"]


def test_the_levels_are_those_of_the_house_style() -> None:
    level = {c.name: c.level for c in load_checks()}
    for name in ("missing_label", "duplicate_label", "multiple_labels", "missing_label_language",
                 "missing_ontology_license", "missing_defined_by"):
        assert level[name] == "ERROR", name
    assert level["missing_definition"] == "WARN"


def test_the_real_ontology_has_no_lint_error(real_findings: list) -> None:
    print(report_text(real_findings))
    assert errors(real_findings) == [], report_text(real_findings)


def test_the_real_ontology_has_no_lint_warning_either(real_findings: list) -> None:
    assert real_findings == [], report_text(real_findings)


def test_each_check_fires_on_the_broken_fixture_exactly_where_expected(broken_findings: list) -> None:
    got = {(f.check, f.entity) for f in broken_findings}
    assert got == EXPECTED, report_text(broken_findings)


def test_every_check_is_exercised_by_the_fixture(broken_findings: list) -> None:
    assert {f.check for f in broken_findings} == {c.name for c in load_checks()}


def test_a_good_term_next_to_broken_ones_is_not_reported(broken_findings: list) -> None:
    assert not [f for f in broken_findings if f.entity == DKG + "GoodTerm"]


def test_missing_label_language_names_the_missing_language(broken_findings: list) -> None:
    missing = {(f.entity.rsplit("#", 1)[1], f.value) for f in broken_findings
               if f.check == "missing_label_language"}
    assert missing == {("EnglishOnly", "fr"), ("Untagged", "en"), ("Untagged", "fr")}


def test_findings_carry_the_level_of_their_check(broken_findings: list) -> None:
    level = {c.name: c.level for c in load_checks()}
    assert all(f.level == level[f.check] for f in broken_findings)
    assert report_text(broken_findings).endswith("lint: 17 ERROR, 4 WARN, 0 INFO")


def test_removing_the_license_from_the_real_ontology_is_an_error() -> None:
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS

    graph = load_ontology(ONTOLOGY)
    graph.remove((URIRef(ONT), DCTERMS.license, None))
    found = {(f.check, f.entity) for f in errors(lint_ontology(graph))}
    assert found == {("missing_ontology_license", ONT)}


@pytest.mark.parametrize("header, problem", [
    ("# title: t\n# finds: f\n# returns: r\nSELECT", "level"),
    ("# title: t\n# finds: f\n# level: FATAL\n# returns: r\nSELECT", "FATAL"),
    ("# title t\nSELECT", "key:"),
])
def test_a_malformed_lint_header_is_refused(header: str, problem: str) -> None:
    with pytest.raises(KGError, match=problem):
        parse_header("bad", header)
