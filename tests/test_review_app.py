"""kg review's server: what it serves, what it saves, and what it refuses (no browser)."""

from __future__ import annotations

import http.client
import json
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.review.app import ReviewApp, running
from kg.review.session import ReviewRefusal, ReviewSession, content_hash, find_drafts
from kg.yamlsafe import load_yaml
from tests.conftest import DATA, ONTOLOGY
from tests.support import REVIEW_DRAFT_ID as DRAFT_ID
from tests.support import REVIEW_TEXT as DRAFT_TEXT
from tests.support import write_review_draft as make_draft

# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    return make_draft(tmp_path / "drafts")


@pytest.fixture
def session(draft: Path) -> ReviewSession:
    return ReviewSession(find_drafts([draft.parent]), DATA, ONTOLOGY,
                         clock=lambda: "2026-12-06T22:10:00Z")


@pytest.fixture
def server(session: ReviewSession) -> Iterator[tuple[ReviewApp, str]]:
    app = ReviewApp(session)
    with running(app) as url:
        yield app, url


def request(url: str, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (so tests can send any Host, Origin or path)."""
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": split.netloc, **(headers or {})}
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
            sent["Content-Length"] = str(len(data))
        for key, value in sent.items():
            connection.putheader(key, value)
        connection.endheaders(data)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def post(server: tuple[ReviewApp, str], path: str, body: Any,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    app, url = server
    status, _headers, raw = request(url, "POST", path, body,
                                    {"X-Review-Token": app.token, **(headers or {})})
    return status, json.loads(raw)


def loaded(server: tuple[ReviewApp, str]) -> dict[str, Any]:
    status, _headers, raw = request(server[1], "GET", f"/api/article/{DRAFT_ID}")
    assert status == 200
    return json.loads(raw)


def save(server: tuple[ReviewApp, str], article: dict[str, Any], reviewer: str | None = "Jane Analyst",
         **headers: str) -> tuple[int, Any]:
    return post(server, f"/api/article/{DRAFT_ID}/save",
                {"hash": article["hash"], "annotation": article["annotation"], "reviewer": reviewer},
                headers)


def claim(article: dict[str, Any], claim_id: str) -> dict[str, Any]:
    return next(c for c in article["annotation"]["claims"] if c["id"] == claim_id)


# ---------------------------------------------------------------------------- serving


def test_the_page_carries_its_token_and_a_strict_policy(server: tuple[ReviewApp, str]) -> None:
    app, url = server
    status, headers, body = request(url, "GET", "/")
    assert status == 200
    assert f'content="{app.token}"' in body.decode()
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    for name in ("review.js", "review.css"):
        assert request(url, "GET", f"/static/{name}")[0] == 200


def test_the_article_comes_with_spans_found_as_the_compiler_finds_them(
        server: tuple[ReviewApp, str], draft: Path) -> None:
    article = loaded(server)
    assert article["text"] == DRAFT_TEXT
    assert article["hash"] == content_hash((draft / "annotation.yaml").read_bytes())
    quotes = [c["quote"] for c in article["annotation"]["claims"]]
    for quote, span in zip(quotes, article["spans"], strict=True):
        assert DRAFT_TEXT[span["begin"]:span["end"]] == quote
    assert [s["sentence"] for s in article["spans"]] == [0, 1, 1, 2]
    assert {c["review"] for c in article["annotation"]["claims"]} == {"drafted"}


@pytest.mark.parametrize("path", [
    "/api/article/../../etc/passwd", "/api/article/..%2F..%2Fetc%2Fpasswd",
    f"/api/article/{DRAFT_ID}%2F..%2F..", "/api/article/%2Fetc%2Fpasswd",
    "/static/../session.py", "/static/..%2Fsession.py", "/static/review.html",
    "/api/article/900_review-test/../../data",
])
def test_no_path_reaches_a_file_outside_the_drafts(server: tuple[ReviewApp, str], path: str) -> None:
    status, _headers, body = request(server[1], "GET", path)
    assert status == 404, body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example",
                                  "127.0.0.2", ""])
def test_an_unexpected_host_is_refused(server: tuple[ReviewApp, str], host: str) -> None:
    status, _headers, body = request(server[1], "GET", f"/api/article/{DRAFT_ID}",
                                     headers={"Host": host})
    assert status == 400
    assert DRAFT_TEXT[:20] not in body.decode()


def test_localhost_by_name_is_answered(server: tuple[ReviewApp, str]) -> None:
    port = urllib.parse.urlsplit(server[1]).port
    assert request(server[1], "GET", "/api/drafts", headers={"Host": f"localhost:{port}"})[0] == 200


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": "http://evil.example"}, 403),
    ({"Origin": "null"}, 403),
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"X-Review-Token": "guessed"}, 403),
    ({"Content-Type": "text/plain"}, 415),
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
])
def test_a_forged_or_cross_origin_save_is_refused_and_nothing_is_written(
        server: tuple[ReviewApp, str], draft: Path, headers: dict[str, str], status: int) -> None:
    before = (draft / "annotation.yaml").read_bytes()
    article = loaded(server)
    claim(article, "minister-arrived")["review"] = "rejected"
    got, answer = save(server, article, **headers)
    assert got == status, answer
    assert (draft / "annotation.yaml").read_bytes() == before


# ---------------------------------------------------------------------------- saving


def test_a_review_is_saved_and_reads_back_through_the_strict_loader(
        server: tuple[ReviewApp, str], draft: Path, tmp_path: Path) -> None:
    article = loaded(server)
    claim(article, "minister-arrived")["review"] = "reviewed"
    claim(article, "kcna-says")["review"] = "rejected"
    met = claim(article, "met-kim")
    met.update(review="reviewed", accordingTo="kcna", hedgeCue="Selon",
               evidentialBasis="reported-speech")
    status, answer = save(server, article)
    assert status == 200, answer
    on_disk = load_yaml(draft / "annotation.yaml")
    assert {c["id"]: c["review"] for c in on_disk["claims"]} == {
        "minister-arrived": "reviewed", "kcna-says": "rejected", "met-kim": "reviewed",
        "could-sign": "drafted"}
    assert on_disk["claims"][2]["accordingTo"] == "kcna"
    assert on_disk["provenance"] == {"annotator": {"software": "kg-extract", "version": "0.1.0"},
                                     "annotatedAt": "2026-12-06T21:40:00Z",
                                     "reviewer": {"person": "Jane Analyst"},
                                     "reviewedAt": "2026-12-06T22:10:00Z"}
    text = (draft / "annotation.yaml").read_text("utf-8")
    assert text.startswith("# Draft annotation of 900_review-test")  # the header is kept
    assert answer["hash"] == content_hash(text.encode())
    # kg build takes the reviewed draft beside data/ as it is
    from kg.build import build_graph

    build_graph(DATA, ONTOLOGY, extra_articles=(draft,))


def test_a_change_on_disk_since_loading_is_refused_with_409(
        server: tuple[ReviewApp, str], draft: Path) -> None:
    article = loaded(server)
    path = draft / "annotation.yaml"
    theirs = path.read_text("utf-8").replace("confidence: \"0.9\"", "confidence: \"0.95\"")
    path.write_text(theirs, encoding="utf-8")
    claim(article, "minister-arrived")["review"] = "reviewed"
    status, answer = save(server, article)
    assert status == 409
    assert "changed on disk" in answer["error"]
    assert path.read_text("utf-8") == theirs


@pytest.mark.parametrize(("claim_id", "key", "value", "words"), [
    ("minister-arrived", "certainty", "sure", "certainty vocabulary"),
    ("met-kim", "accordingTo", "nobody-known", "not a known actor"),
    ("could-sign", "quote", "Les deux pays signeront", "not found"),
    ("could-sign", "hedgeCue", "peut-être", "not in the claim's sentence"),
    ("kcna-says", "about", "no-such-thing", "not a known event"),
    ("kcna-says", "review", "approved", "drafted, reviewed, rejected"),
    ("kcna-says", "confidence", 0.5, "must be text"),
    ("kcna-says", "confidence", "1.5", "number in [0, 1]"),
])
def test_a_bad_value_is_refused_with_its_field_and_nothing_is_written(
        server: tuple[ReviewApp, str], draft: Path, claim_id: str, key: str, value: Any,
        words: str) -> None:
    before = (draft / "annotation.yaml").read_bytes()
    article = loaded(server)
    claims = article["annotation"]["claims"]
    index = next(i for i, c in enumerate(claims) if c["id"] == claim_id)
    claims[index][key] = value
    status, answer = save(server, article)
    assert status == 400, answer
    assert answer["field"]["section"] == "claims"
    assert answer["field"]["index"] == index
    assert answer["field"]["key"] == key
    for word in words.split():
        assert word in answer["error"]
    assert (draft / "annotation.yaml").read_bytes() == before


def test_a_reviewed_claim_needs_a_reviewer_name(server: tuple[ReviewApp, str], draft: Path) -> None:
    article = loaded(server)
    claim(article, "could-sign")["review"] = "reviewed"
    status, answer = save(server, article, reviewer="  ")
    assert status == 400
    assert answer["field"]["key"] == "reviewer"


def test_claims_left_drafted_stay_drafted_once_a_reviewer_is_named(
        tmp_path: Path) -> None:
    """Regression guard: with a reviewer in the provenance, a claim without `review:` counts as
    reviewed, so the page writes `review: drafted` on every claim nobody looked at."""
    folder = make_draft(tmp_path / "d")
    path = folder / "annotation.yaml"
    path.write_text(path.read_text("utf-8").replace("    review: drafted\n", ""), encoding="utf-8")
    session = ReviewSession({DRAFT_ID: folder}, DATA, ONTOLOGY, reviewer="Jane Analyst",
                            clock=lambda: "2026-12-06T22:10:00Z")
    article = session.article(DRAFT_ID)
    claim(article, "minister-arrived")["review"] = "reviewed"
    session.save(DRAFT_ID, article["hash"], article["annotation"], None)
    assert [c.get("review") for c in load_yaml(path)["claims"]] == [
        "reviewed", "drafted", "drafted", "drafted"]


def test_a_hand_reviewed_article_saved_unchanged_is_left_alone(data_copy: Path) -> None:
    folder = data_copy / "articles" / "001_336225063af0220c"
    before = (folder / "annotation.yaml").read_bytes()
    session = ReviewSession({folder.name: folder}, data_copy, ONTOLOGY, reviewer="Jane Analyst")
    article = session.article(folder.name)
    session.save(folder.name, article["hash"], article["annotation"], None)
    assert (folder / "annotation.yaml").read_bytes() == before  # nor a new reviewer named


def test_rejecting_one_claim_of_a_reviewed_article_writes_only_that_state(
        data_copy: Path) -> None:
    from kg.compile import compile_graph, load_ontology
    from kg.corpus import read_corpus

    folder = data_copy / "articles" / "001_336225063af0220c"
    session = ReviewSession({folder.name: folder}, data_copy, ONTOLOGY, reviewer="Jane Analyst",
                            clock=lambda: "2026-12-06T22:10:00Z")
    article = session.article(folder.name)
    first = article["annotation"]["claims"][0]
    claim_iri = f"<https://w3id.org/diplo-kg/id/claim/{folder.name}/{first['id']}>"

    def asserts() -> bool:
        quads = compile_graph(read_corpus(data_copy), load_ontology(ONTOLOGY)).nquads().decode()
        return any(line.split(" ", 2)[1].endswith("#assertedBy>") and claim_iri in line
                   for line in quads.splitlines())

    assert asserts()  # a plain, reviewed claim: it states its things as facts
    first["review"] = "rejected"
    session.save(folder.name, article["hash"], article["annotation"], None)
    on_disk = load_yaml(folder / "annotation.yaml")
    assert [c.get("review") for c in on_disk["claims"]] == \
        ["rejected"] + [None] * (len(on_disk["claims"]) - 1)  # the others stay reviewed by default
    assert on_disk["provenance"]["reviewer"] == {"person": "Jane Analyst"}
    assert not asserts()


def test_kg_review_refuses_a_folder_without_drafts(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from kg.cli import main

    assert main(["review", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no draft here" in err
    assert main(["review", str(tmp_path / "missing")]) == 2


def test_two_drafts_with_one_id_are_refused(tmp_path: Path) -> None:
    from kg.errors import InputError

    make_draft(tmp_path / "a")
    make_draft(tmp_path / "b")
    with pytest.raises(InputError, match="two drafts"):
        find_drafts([tmp_path / "a", tmp_path / "b"])
    shutil.rmtree(tmp_path / "b")


def test_a_missing_required_key_is_reported_on_that_key(server: tuple[ReviewApp, str]) -> None:
    article = loaded(server)
    del claim(article, "could-sign")["about"]
    status, answer = save(server, article)
    assert status == 400
    assert answer["field"] == {"section": "claims", "index": 3, "id": "could-sign", "key": "about"}


def test_two_saves_from_the_same_load_the_second_is_refused(session: ReviewSession,
                                                            draft: Path) -> None:
    """Two tabs on one article: whoever saves second is told, and the first save stands."""
    first, second = session.article(DRAFT_ID), session.article(DRAFT_ID)
    claim(first, "minister-arrived")["review"] = "reviewed"
    claim(second, "minister-arrived")["review"] = "rejected"
    session.save(DRAFT_ID, first["hash"], first["annotation"], "Jane Analyst")
    saved = (draft / "annotation.yaml").read_bytes()
    with pytest.raises(ReviewRefusal) as refused:
        session.save(DRAFT_ID, second["hash"], second["annotation"], "Jane Analyst")
    assert refused.value.status == 409
    assert (draft / "annotation.yaml").read_bytes() == saved


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", f"/api/article/{DRAFT_ID}/save", b"{not json", 400),
    ("POST", f"/api/article/{DRAFT_ID}/save", b"[1, 2]", 400),
    ("POST", f"/api/article/{DRAFT_ID}/save", b'{"hash": "x", "annotation": {}}', 400),
    ("POST", "/api/article/no-such-article/save", b"{}", 404),
    ("POST", "/", b"{}", 405),
    ("PUT", f"/api/article/{DRAFT_ID}", b"{}", 405),
    ("GET", "/api/article/no-such-article", None, 404),
])
def test_malformed_requests_get_a_one_line_json_answer(server: tuple[ReviewApp, str], method: str,
                                                       path: str, body: bytes | None,
                                                       status: int) -> None:
    app, url = server
    got, headers, raw = request(url, method, path, body, {"X-Review-Token": app.token})
    assert got == status
    assert headers["content-type"].startswith("application/json")
    answer = json.loads(raw)
    assert "\n" not in answer["error"] and "Traceback" not in answer["error"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(
        server: tuple[ReviewApp, str]) -> None:
    app, url = server
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:  # headers only: the server answers without waiting for 3 MB
        connection.putrequest("POST", f"/api/article/{DRAFT_ID}/save")
        for key, value in (("Content-Type", "application/json"), ("Content-Length", "3000000"),
                           ("X-Review-Token", app.token)):
            connection.putheader(key, value)
        connection.endheaders()
        assert connection.getresponse().status == 413
    finally:
        connection.close()


def test_the_anchor_endpoint_finds_a_quote_as_the_compiler_does(
        server: tuple[ReviewApp, str]) -> None:
    status, answer = post(server, f"/api/article/{DRAFT_ID}/anchor", {"quote": "deux heures"})
    assert status == 200
    assert DRAFT_TEXT[answer["begin"]:answer["end"]] == "deux heures"
    status, answer = post(server, f"/api/article/{DRAFT_ID}/anchor",
                          {"quote": "Selon l’agence KCNA"})  # typographic apostrophe
    assert status == 400
    assert "apostrophes" in answer["error"]


def test_kg_review_serves_until_interrupted(tmp_path: Path) -> None:
    """The command as a user runs it: one line saying where, then Ctrl-C ends it with 0."""
    import os
    import signal
    import subprocess
    import sys

    make_draft(tmp_path / "drafts")
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "review", str(tmp_path / "drafts"), "--port", "0",
         "--data", str(DATA), "--ontology", str(ONTOLOGY)],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("reviewing 1 draft article(s) at http://127.0.0.1:")
        url = line.split(" at ", 1)[1].split()[0]
        status, _headers, raw = request(url, "GET", "/api/drafts")
        assert status == 200
        assert json.loads(raw)["drafts"][0]["id"] == DRAFT_ID
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def test_only_reviewed_claims_make_facts_once_saved(server: tuple[ReviewApp, str],
                                                    draft: Path) -> None:
    """Issue 14, done when: review a draft, save, and the build shows exactly the approved facts."""
    from rdflib import URIRef

    from kg.build import build_graph
    from kg.namespaces import DKG, DKR

    article = loaded(server)
    claim(article, "minister-arrived")["review"] = "reviewed"  # certain, direct, narrator: a fact
    claim(article, "kcna-says")["review"] = "rejected"  # fact-shaped, but rejected
    claim(article, "met-kim").update(review="reviewed", accordingTo="kcna",
                                     evidentialBasis="reported-speech", hedgeCue="Selon")
    # could-sign stays drafted
    assert save(server, article)[0] == 200
    dataset = build_graph(DATA, ONTOLOGY, extra_articles=(draft,)).dataset
    facts = {(str(s), str(o)) for s, _p, o, _g in dataset.quads((None, DKG.assertedBy, None, None))
             if f"/{DRAFT_ID}/" in str(o)}
    claim_iri = lambda name: str(DKR[f"claim/{DRAFT_ID}/{name}"])  # noqa: E731
    assert facts == {(str(URIRef(DKR["event/minister-arrival-test"])), claim_iri("minister-arrived"))}


def test_listening_on_every_address_is_refused(session: ReviewSession) -> None:
    from kg.errors import InputError
    from kg.review.app import make_server

    with pytest.raises(InputError, match="every address"):
        make_server(ReviewApp(session), "0.0.0.0", 0)


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                  max_size=3),
    max_leaves=8)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=st.sampled_from(["claims", "things", "entities"]), index=st.integers(0, 3),
       key=st.sampled_from(["id", "quote", "about", "certainty", "accordingTo", "hedgeCue",
                            "label", "type", "participant", "review", "confidence", "unknown",
                            "new-key", "wikidata"]),
       value=_JSONISH)
def test_whatever_the_page_sends_the_file_is_the_old_one_or_a_valid_one(
        session: ReviewSession, draft: Path, section: str, index: int, key: str,
        value: Any) -> None:
    """Fuzzed edits: a refusal is a 400 naming a field or a clear sentence, and the file on
    disk always loads and compiles with data/ (the old file, or the new valid one)."""
    from kg.compile import compile_graph
    from kg.corpus import read_corpus

    article = session.article(DRAFT_ID)
    entries = article["annotation"][section]
    entries[index % len(entries)][key] = value
    try:
        session.save(DRAFT_ID, article["hash"], article["annotation"], "Jane Analyst")
    except ReviewRefusal as refused:
        assert refused.status == 400
        assert refused.message and "\n" not in refused.message
        assert "Traceback" not in refused.message
    compile_graph(read_corpus(DATA, (draft,)), session.ontology)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_port_in_use_is_one_clear_line(server: tuple[ReviewApp, str],
                                         session: ReviewSession) -> None:
    import gc

    from kg.errors import InputError
    from kg.review.app import make_server

    port = urllib.parse.urlsplit(server[1]).port
    with pytest.raises(InputError, match=f"cannot listen on 127.0.0.1:{port}"):
        make_server(ReviewApp(session), "127.0.0.1", port)
    gc.collect()  # waitress leaves its half-made socket to the collector: collect it here
