"""W3C SPARQL 1.1 syntax tests through the product's query gate, ``kg.query.check_query``
(rdflib's parser and algebra, plus our read-only policy).

- syntax-query: every positive query is accepted (or, for ``FROM``, refused by the read-only
  policy, never as a syntax error); every negative one is refused with one InputError (exit 2),
  except the known rdflib gaps, pinned below as strict xfails so any change shows.
- syntax-update-1: every update, valid or not, is refused (exit 2): ``kg query`` is read-only.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from kg.errors import EXIT_BAD_INPUT, InputError
from kg.query import check_query
from kg.rdfio import parse_quads
from tests.conftest import W3C

pytestmark = pytest.mark.w3c

SPARQL11 = W3C / "sparql11"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MISSING = f"W3C SPARQL 1.1 test suites not found at {SPARQL11} (a checkout outside the workplace)"

#: negative syntax tests rdflib 7.6 parses and translates without complaint (measured)
KNOWN_GAPS: dict[str, str] = {
    "syn-bad-01.rq": "rdflib accepts SELECT * with GROUP BY",
    "syn-bad-02.rq": "rdflib accepts projecting a variable that is not grouped",
    "syn-bad-03.rq": "rdflib accepts the same (expr AS ?X) twice in one SELECT",
    "syntax-BINDscope6.rq": "rdflib does not check BIND scoping (variable already in scope)",
    "syntax-BINDscope7.rq": "rdflib does not check BIND scoping (variable bound in the group)",
    "syntax-BINDscope8.rq": "rdflib does not check BIND scoping after a UNION",
    "syntax-SELECTscope2.rq": "rdflib does not check SELECT (expr AS ?X) over a subquery's ?X",
    "syn-bad-values-too-few.rq": "rdflib accepts a VALUES row with too few terms",
    "syn-bad-values-too-many.rq": "rdflib accepts a VALUES row with too many terms",
}
#: positive tests our read-only policy refuses on purpose (they load other graphs)
REFUSED_BY_POLICY: frozenset[str] = frozenset({"syntax-construct-where-02.rq"})
EXPECTED_COUNTS = {("syntax-query", "PositiveSyntaxTest11"): 63,
                   ("syntax-query", "NegativeSyntaxTest11"): 31,
                   ("syntax-update-1", "PositiveUpdateSyntaxTest11"): 41,
                   ("syntax-update-1", "NegativeUpdateSyntaxTest11"): 13}


def manifest_tests(folder: str) -> list[tuple[str, Path]]:
    """(test type, query file) of every syntax test in one folder's manifest."""
    manifest = SPARQL11 / folder / "manifest.ttl"
    types: dict[str, str] = {}
    action: dict[str, str] = {}
    for quad in parse_quads(manifest, base_iri=manifest.absolute().as_uri()):
        subject, predicate, obj = quad.subject.value, quad.predicate.value, quad.object.value
        if predicate == RDF_TYPE and obj.startswith(MF) and "Syntax" in obj:
            types[subject] = obj[len(MF):]
        elif predicate == MF + "action":
            action[subject] = obj
    return sorted((kind, Path(unquote(urlparse(action[s]).path))) for s, kind in types.items())


def _cases(folder: str, kind: str) -> list[object]:
    if not SPARQL11.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING))]
    params = []
    for k, path in manifest_tests(folder):
        if k != kind:
            continue
        marks = ()
        if path.name in KNOWN_GAPS:
            marks = (pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[path.name]),)
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.skipif(not SPARQL11.is_dir(), reason=MISSING)
def test_manifests_list_the_expected_number_of_tests() -> None:
    found: dict[tuple[str, str], int] = {}
    for folder in ("syntax-query", "syntax-update-1"):
        for kind, path in manifest_tests(folder):
            assert path.is_file(), path
            found[(folder, kind)] = found.get((folder, kind), 0) + 1
    assert found == EXPECTED_COUNTS


@pytest.mark.parametrize("path", _cases("syntax-query", "PositiveSyntaxTest11"))
def test_positive_query_is_accepted(path: Path) -> None:
    if path.name in REFUSED_BY_POLICY:
        with pytest.raises(InputError, match="read-only"):
            check_query(_text(path))
    else:
        assert check_query(_text(path)) in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


@pytest.mark.parametrize("path", _cases("syntax-query", "NegativeSyntaxTest11"))
def test_negative_query_is_refused(path: Path) -> None:
    with pytest.raises(InputError) as caught:
        check_query(_text(path))
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "\n" not in caught.value.one_line()


@pytest.mark.parametrize("path", _cases("syntax-update-1", "PositiveUpdateSyntaxTest11"))
def test_valid_update_is_refused_as_read_only(path: Path) -> None:
    with pytest.raises(InputError, match="read-only") as caught:
        check_query(_text(path))
    assert caught.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize("path", _cases("syntax-update-1", "NegativeUpdateSyntaxTest11"))
def test_invalid_update_is_refused(path: Path) -> None:
    with pytest.raises(InputError) as caught:
        check_query(_text(path))
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "\n" not in caught.value.one_line()
