"""The competency-query library: every named query parses, runs and answers its question."""

from __future__ import annotations

import pytest
from rdflib import Dataset

from kg.build import BuiltGraph
from kg.errors import InputError
from kg.query import check_query, format_result, load_queries, parse_param, run_query


@pytest.fixture(scope="module")
def dataset(built: BuiltGraph) -> Dataset:
    return built.dataset


def test_queries_are_found() -> None:
    queries = load_queries()
    assert queries, "no kg/queries/*.rq found"
    assert list(queries) == sorted(queries)


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_every_query_parses_and_runs(dataset: Dataset, name: str) -> None:
    query = load_queries()[name]
    assert check_query(query.text) in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
    result = run_query(dataset, query.text)
    assert format_result(result, "table")


def test_update_is_refused() -> None:
    with pytest.raises(InputError, match="read-only"):
        check_query("INSERT DATA { <urn:a> <urn:b> <urn:c> }")


def test_unknown_param_is_refused() -> None:
    with pytest.raises(InputError, match="no parameter"):
        parse_param("nope=1", load_queries()["fact-view"])
