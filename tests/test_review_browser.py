"""kg review in a real browser (Debian's headless Chromium through Playwright): a drafted
article reviewed end to end with the keyboard and the mouse, saved, and checked on disk.

Skipped, with the reason, where /usr/bin/chromium or Playwright is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.review.app import ReviewApp, running
from kg.review.session import ReviewSession, find_drafts
from kg.yamlsafe import load_yaml
from tests.conftest import DATA, ONTOLOGY
from tests.support import REVIEW_TEXT as DRAFT_TEXT
from tests.support import write_review_draft as make_draft

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

#: selects characters [begin, end) of the article text, as a reader's drag would
SELECT_JS = """([begin, end]) => {
  const root = document.getElementById('article-text');
  const at = (offset) => {
    for (const seg of root.children) {
      const b = Number(seg.dataset.begin), n = seg.textContent.length;
      if (b <= offset && offset <= b + n) return [seg.firstChild, offset - b];
    }
  };
  const range = document.createRange();
  range.setStart(...at(begin));
  range.setEnd(...at(end));
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def review(browser: Any, tmp_path: Path) -> Iterator[tuple[Any, Path, list[str], list[str]]]:
    folder = make_draft(tmp_path / "drafts")
    session = ReviewSession(find_drafts([folder]), DATA, ONTOLOGY)
    with running(ReviewApp(session)) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
        page.goto(url)
        page.wait_for_selector("#article-text span.hl")
        yield page, folder, errors, outside
        page.close()


def pick(page: Any, field: str, search: str) -> None:
    """Choose in a searchable picker of the open editor: type, then Enter takes the first hit."""
    box = page.locator(f'#editor .picker[data-field="{field}"] input')
    box.click()
    box.fill(search)
    page.wait_for_selector(f'#editor .picker[data-field="{field}"] .options li')
    box.press("Enter")
    box.press("Escape")


def selected_state(page: Any) -> str:
    return page.locator("#editor .badge.big").inner_text().lower()


def test_review_a_draft_end_to_end_then_a_change_on_disk_is_refused(review: Any) -> None:
    page, folder, errors, outside = review
    page.fill("#reviewer", "Jane Analyst")
    page.locator("#article-text").click(position={"x": 5, "y": 5})  # leave the text box

    # claim 1 (minister-arrived): accept; the page moves on to the next drafted claim
    assert page.locator("#editor input[name=id]").input_value() == "minister-arrived"
    page.keyboard.press("a")
    assert page.locator("#editor input[name=id]").input_value() == "kcna-says"
    # claim 2 (kcna-says): reject
    page.keyboard.press("r")
    assert page.locator("#editor input[name=id]").input_value() == "met-kim"
    # claim 3 (met-kim): the speaker is the agency, not the journalist; then accept
    pick(page, "accordingTo", "KCNA")
    page.fill("#editor input[name=hedgeCue]", "Selon")
    page.locator("#editor input[name=hedgeCue]").press("Tab")
    page.select_option("#editor select[name=evidentialBasis]", "reported-speech")
    page.locator("#editor select[name=evidentialBasis]").press("Escape")
    page.keyboard.press("a")
    assert page.locator("#list .item").nth(2).locator(".badge").inner_text().lower() == "reviewed"

    # add a claim by selecting words of the text
    begin = DRAFT_TEXT.index("pendant deux heures")
    page.evaluate(SELECT_JS, [begin, begin + len("pendant deux heures")])
    page.keyboard.press("n")
    assert page.locator("#editor textarea[name=quote]").input_value() == "pendant deux heures"
    pick(page, "about", "minister-kim-meeting")
    page.select_option("#editor select[name=certainty]", "certain")
    page.select_option("#editor select[name=temporality]", "past")
    page.locator("#editor select[name=temporality]").press("Escape")

    page.keyboard.press("Control+s")
    page.locator("#status", has_text=re.compile(r"^saved")).wait_for()
    on_disk = load_yaml(folder / "annotation.yaml")
    states = {c["id"]: c["review"] for c in on_disk["claims"]}
    assert states == {"minister-arrived": "reviewed", "kcna-says": "rejected",
                      "met-kim": "reviewed", "pendant-deux-heures": "reviewed",
                      "could-sign": "drafted"}
    met = next(c for c in on_disk["claims"] if c["id"] == "met-kim")
    assert (met["accordingTo"], met["hedgeCue"], met["evidentialBasis"]) == (
        "kcna", "Selon", "reported-speech")
    added = next(c for c in on_disk["claims"] if c["id"] == "pendant-deux-heures")
    assert (added["quote"], added["about"], added["certainty"]) == (
        "pendant deux heures", "minister-kim-meeting-test", "certain")
    assert on_disk["provenance"]["reviewer"] == {"person": "Jane Analyst"}

    # someone else changes the file: the next save is refused, the edit stays on the page
    path = folder / "annotation.yaml"
    theirs = path.read_text("utf-8") + "# edited elsewhere\n"
    path.write_text(theirs, encoding="utf-8")
    page.locator("#list .item", has_text="could-sign").click()
    page.locator("#article-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    page.click("#save")
    page.wait_for_selector("#banner:not([hidden])")
    assert "changed on disk" in page.locator("#banner-text").inner_text()
    assert path.read_text("utf-8") == theirs
    assert page.locator("#list .item", has_text="could-sign").locator(".badge").inner_text() \
        .lower() == "reviewed"
    assert errors == ["Failed to load resource: the server responded with a status of 409 "
                      "(Conflict)"]
    assert outside == []


def test_a_bad_value_shows_next_to_its_field_and_nothing_is_written(review: Any) -> None:
    page, folder, _errors, outside = review
    before = (folder / "annotation.yaml").read_bytes()
    page.fill("#reviewer", "Jane Analyst")
    page.fill("#editor input[name=hedgeCue]", "peut-être")  # not in the claim's sentence
    page.locator("#editor input[name=hedgeCue]").press("Tab")
    page.click("#save")
    error = page.locator('#editor .field[data-key="hedgeCue"] .field-error')
    error.wait_for()
    assert "not in the claim's sentence" in error.inner_text()
    assert (folder / "annotation.yaml").read_bytes() == before
    assert outside == []


def test_hostile_text_is_shown_as_text(browser: Any, tmp_path: Path) -> None:
    folder = make_draft(tmp_path / "drafts")
    hostile = "<img src=x onerror=\"window.pwned=1\"> Le ministre est arrivé <b>mercredi</b>.\n"
    (folder / "article.txt").write_text(hostile, encoding="utf-8")
    session = ReviewSession(find_drafts([folder]), DATA, ONTOLOGY)
    with running(ReviewApp(session)) as url:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#article-text span")
        assert page.locator("#article-text").text_content() == hostile
        assert page.evaluate("window.pwned") is None
        assert page.locator("#article-text img, #article-text b").count() == 0
        page.close()



def test_split_a_claim_and_edit_a_thing(review: Any) -> None:
    page, folder, errors, outside = review
    page.fill("#reviewer", "Jane Analyst")
    page.locator("#list .item", has_text="could-sign").click()
    at = DRAFT_TEXT.index("signer un accord")
    page.evaluate(SELECT_JS, [at, at])  # the caret where the reader clicked
    page.keyboard.press("s")
    assert page.locator("#list .item").count() == 5
    # things are edited the same way: a label and a vocabulary value
    page.keyboard.press("2")
    page.locator("#list .item", has_text="military-cooperation-test").click()
    page.fill("#editor input[name=label-en]", "military cooperation accord")
    page.locator("#editor input[name=label-en]").press("Tab")
    page.locator('#editor .picker[data-field="eventStatus"] .chip-x').click()
    pick(page, "eventStatus", "planned")
    page.keyboard.press("Control+s")
    page.locator("#status", has_text=re.compile(r"^saved")).wait_for()
    on_disk = load_yaml(folder / "annotation.yaml")
    quotes = {c["id"]: (c["quote"], c["review"]) for c in on_disk["claims"]}
    assert quotes["could-sign"] == ("Les deux pays pourraient", "drafted")
    assert quotes["could-sign-2"] == ("signer un accord de coopération militaire", "drafted")
    thing = next(t for t in on_disk["things"] if t["id"] == "military-cooperation-test")
    assert thing["label"] == {"fr": "accord de coopération militaire",
                              "en": "military cooperation accord"}
    assert thing["eventStatus"] == "planned"
    assert errors == [] and outside == []
