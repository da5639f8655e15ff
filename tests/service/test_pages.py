"""The chat page without JavaScript (Flask test client): the form, the transcript, validation, safety headers."""

from __future__ import annotations

import importlib
import json
import re
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from index import Document
from qa import limits
from qa.answers import NOT_COVERED
from qa.feedback import FeedbackStore
from qa.limits import MAX_HISTORY_TURNS
from qa.models import Answer, CitedPassage, Declined, Highlight
from service import create_app

# The module: the package's own ``service.pages`` attribute is the blueprint.
PAGES = importlib.import_module("service.pages")
ESCAPE_QUESTION = "How did El Bali try to escape?"
ESCAPE_SENTENCE = "jumped out of a window"


class _Page(HTMLParser):
    """Collects what the tests look at: hidden fields, script tags, inline handlers and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: list[tuple[str, str]] = []
        self.scripts: list[dict] = []
        self.inline_handlers: list[str] = []
        self.inline_styles = 0
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.hidden.append((attributes["name"], attributes.get("value") or ""))
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "style" or "style" in attributes:
            self.inline_styles += 1
        self.inline_handlers += [name for name in attributes if name.startswith("on")]
        if "id" in attributes:
            self.ids.add(attributes["id"])


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def first_group(pattern: str, html: str) -> str:
    """The first group of ``pattern``'s first match in ``html``; the test fails when nothing matches."""
    match = re.search(pattern, html, re.S)
    assert match, f"nothing in the page matches {pattern}"
    return match[1]


@pytest.fixture(scope="module")
def page_app(retriever, index_dir, corpus_dir, tmp_path_factory):
    """The app with its own feedback file, so ratings from these tests are found and kept apart."""
    db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    return create_app(
        {"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir), "FEEDBACK_DB": str(db)},
        retriever=retriever,
    )


@pytest.fixture()
def web(page_app):
    return page_app.test_client()


@pytest.fixture(scope="module")
def first_answer(page_app) -> str:
    response = page_app.test_client().post("/", data={"question": ESCAPE_QUESTION})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_empty_page_offers_examples_and_a_labelled_box(web):
    response = web.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label class="composer-label" for="question">' in html
    examples = re.findall(r'<button class="example" type="submit" name="example" value="([^"]+)"', html)
    assert len(examples) >= 3
    assert 'aria-live="polite"' in html
    assert parse(html).hidden == []  # no conversation yet


def test_every_response_carries_the_security_headers(web):
    for response in (web.get("/"), web.get("/articles/verviers-raid"), web.get("/nope"), web.get("/healthz")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_handler_or_style(web, first_answer):
    for html in (web.get("/").get_data(as_text=True), first_answer, web.get("/articles/verviers-raid").text):
        page = parse(html)
        assert all(script.get("src", "").startswith("/static/") for script in page.scripts)
        assert page.inline_handlers == [] and page.inline_styles == 0
        assert "http://" not in html and "https://" not in html  # nothing loaded from elsewhere


def test_posted_question_is_answered_with_highlighted_cited_passages(first_answer):
    html = first_answer
    assert f'<p class="question" id="t0-q">{ESCAPE_QUESTION}</p>' in html
    answer = first_group(r'<p class="answer-text">(.*?)</p>', html)
    assert ESCAPE_SENTENCE in answer and '<a class="marker" href="#t0-c1">[1]</a>' in answer
    marks = re.findall(r"<mark>(.*?)</mark>", html, re.S)
    assert len(marks) == 3 and ESCAPE_SENTENCE in marks[0]
    assert '<span class="source-para">Paragraph 6</span>' in html
    link = first_group(r'<a class="source-link" href="([^"]+)"', html).replace("&amp;", "&")
    assert re.fullmatch(r"/articles/verviers-raid\?s=\d+&e=\d+#p6", link)
    hidden = parse(html).hidden
    assert [name for name, _ in hidden] == ["q", "a", "cites", "related", "searched"]
    assert hidden[0][1] == ESCAPE_QUESTION and ESCAPE_SENTENCE in hidden[1][1]
    assert [c["document"] for c in json.loads(hidden[2][1])] == ["verviers-raid"] * 3
    assert hidden[3][1] == "[]"  # an answer offers no related reading
    assert 'class="related' not in html


def test_follow_up_uses_the_conversation_from_the_form(web):
    first = web.post("/", data={"question": "Who is Marouane El Bali?"})
    carried = parse(first.get_data(as_text=True)).hidden
    follow = web.post("/", data=MultiDict([*carried, ("question", "How did he try to escape?")]))
    assert follow.status_code == 200
    html = follow.get_data(as_text=True)
    assert [q for name, q in parse(html).hidden if name == "q"] == [
        "Who is Marouane El Bali?",
        "How did he try to escape?",
    ]
    answers = re.findall(r'<p class="answer-text">(.*?)</p>', html, re.S)
    assert len(answers) == 2 and ESCAPE_SENTENCE in answers[1]


def test_example_button_asks_its_question(web):
    response = web.post("/", data={"example": ESCAPE_QUESTION, "question": ""})
    assert response.status_code == 200
    assert ESCAPE_SENTENCE in first_group(r'<p class="answer-text">(.*?)</p>', response.text)


def test_question_the_article_does_not_cover_shows_no_passages(web):
    response = web.post("/", data={"question": "What is the capital of Australia?"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The article doesn&#39;t say" in html
    assert '<div class="answer answer--none answer--off-topic">' in html
    assert 'class="source"' not in html and "<mark>" not in html
    assert 'class="related' not in html and "Related reading" not in html
    hidden = dict(parse(html).hidden)
    assert hidden["cites"] == "[]" and hidden["related"] == "[]"


class _Declines:
    """Stands in for the answerer: declines every question as ``declined``, offering ``related``.

    The page's rendering of each kind of abstention is tested apart from when the answerer chooses it.
    """

    def __init__(self, declined: Declined, related: list[CitedPassage]) -> None:
        self.declined, self.related = declined, related

    def ask(
        self, question: str, history: list[dict] | None = None, top_k: int = limits.TOP_K, document: str | None = None
    ) -> Answer:
        text = "The article doesn't say. It covers this subject, but nothing in it answers this question."
        return Answer(
            answer=text if self.declined == "not_in_article" else NOT_COVERED,
            answerable=False,
            passages=[],
            confidence=0.4,
            took_ms=1.0,
            declined=self.declined,
            related=self.related,
        )


def paragraphs_as_passages(doc: Document, *numbers: int) -> list[CitedPassage]:
    """Whole paragraphs of ``doc`` as ranked passages, each with its first ten characters as the highlight."""
    return [
        CitedPassage(
            id=f"{doc.id}:{n}:0",
            rank=rank,
            document=doc.id,
            title=doc.title,
            paragraph=n,
            start=doc.paragraphs[n].start,
            end=doc.paragraphs[n].end,
            text=doc.paragraphs[n].text,
            score=0.5,
            highlight=Highlight(start=0, end=10),
        )
        for rank, n in enumerate(numbers, start=1)
    ]


def exchange_html(html: str, turn: int) -> str:
    return first_group(rf'(<article class="exchange" id="t{turn}".*?</article>)', html)


@pytest.mark.parametrize(("declined", "shown"), [("not_in_article", [7, 29, 32]), ("off_topic", [])])
def test_declined_answer_offers_related_reading_only_when_the_article_covers_the_subject(
    web, page_app, monkeypatch, declined, shown
):
    doc = page_app.extensions["qa"].documents["verviers-raid"]
    related = paragraphs_as_passages(doc, *shown)
    monkeypatch.setattr(PAGES, "get_answerer", lambda: _Declines(declined, related))
    response = web.post("/", data={"question": "Which judge authorized the raid?"})
    assert response.status_code == 200
    html = exchange_html(response.text, 0)
    css = declined.replace("_", "-")
    assert f'<div class="answer answer--none answer--{css}">' in html
    # Nothing is shown as the answer's source: no sources heading, no [n], no marked sentence.
    assert "From the article" not in html and 'class="source"' not in html
    assert 'class="marker"' not in html and "<mark>" not in html and "source-n" not in html
    items = re.findall(r'<li class="related-passage" id="(t0-r\d+)">(.*?)</li>', html, re.S)
    assert [item_id for item_id, _ in items] == [f"t0-r{rank}" for rank in range(1, len(shown) + 1)]
    for (_, item), n in zip(items, shown, strict=True):
        assert f'<span class="source-para">Paragraph {n}</span>' in item
        assert f'<a class="source-link" href="/articles/verviers-raid#p{n}"' in item  # the paragraph, nothing marked
    if shown:
        section = first_group(r'(<section class="related" aria-labelledby="t0-related">.*?</section>)', html)
        title = first_group(r'<h3 class="related-title" id="t0-related">(.*?)</h3>', section)
        assert re.sub(r"<[^>]+>", "", title) == "Related reading — these passages don't answer the question"
    else:
        assert 'class="related' not in html and "Related reading" not in html
    hidden = dict(parse(html).hidden)
    assert hidden["cites"] == "[]"
    assert [(r["start"], r["end"], r["highlight"]) for r in json.loads(hidden["related"])] == [
        (p.start, p.end, [0, 10]) for p in related
    ]


def test_related_reading_travels_with_the_conversation(web, page_app, monkeypatch):
    doc = page_app.extensions["qa"].documents["verviers-raid"]
    monkeypatch.setattr(PAGES, "get_answerer", lambda: _Declines("not_in_article", paragraphs_as_passages(doc, 29, 32)))
    first = web.post("/", data={"question": "Which judge authorized the raid?"}).text
    monkeypatch.undo()
    follow = web.post("/", data=MultiDict([*parse(first).hidden, ("question", ESCAPE_QUESTION)]))
    assert follow.status_code == 200
    assert exchange_html(follow.text, 0) == exchange_html(first, 0)  # re-read from the article, shown the same
    assert "Related reading" not in exchange_html(follow.text, 1) and ESCAPE_SENTENCE in exchange_html(follow.text, 1)
    rated = web.post("/feedback", data=MultiDict([*parse(follow.text).hidden, ("rate", "0:down")]))
    assert rated.status_code == 200 and "Thanks, your rating was saved." in rated.text
    row = FeedbackStore(page_app.config["FEEDBACK_DB"]).all()[-1]
    assert (row["question"], row["rating"], row["passage_ids"]) == ("Which judge authorized the raid?", "down", [])


def test_question_markup_is_shown_as_text(web):
    question = "<script>alert(1)</script>"
    response = web.post("/", data={"question": question})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert '<p class="question" id="t0-q">&lt;script&gt;alert(1)&lt;/script&gt;</p>' in html
    assert dict(parse(html).hidden)["q"] == question  # kept as typed for the next request


def _exchange(
    question: str = "Q?", answer: str = "A.", cites: str = "[]", related: str = "[]", searched: str = ""
) -> list[tuple[str, str]]:
    return [("q", question), ("a", answer), ("cites", cites), ("related", related), ("searched", searched)]


_PARAGRAPH_7 = '{"id":"x","document":"verviers-raid","start":4300,"end":5397,"score":0.5,"highlight":[0,10]}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"question": ""}, "Please type a question first."),
        ({"question": "   \n "}, "Please type a question first."),
        ({"question": "x" * 1001}, "Your question is 1,001 characters long; please keep it to 1,000 characters."),
        ([*_exchange() * (MAX_HISTORY_TURNS // 2 + 1), ("question", "Why?")], "at most 20 turns"),
        ([*_exchange(answer="a" * 3999) * 6, ("question", "Why?")], "20,000 characters"),
        ([*_exchange(answer="a" * 4001), ("question", "Why?")], "at most 20 turns"),
        ([("q", "Q?"), ("a", "A."), ("question", "Why?")], "could not be read"),
        ([("q", "Q?"), ("a", "A."), ("cites", "[]"), ("question", "Why?")], "could not be read"),
        ([*_exchange(related="{not json"), ("question", "Why?")], "could not be read"),
        ([*_exchange(related=f"[{_PARAGRAPH_7.replace('4300', '9')}]"), ("question", "Why?")], "could not be read"),
        ([*_exchange(related=f"[{','.join([_PARAGRAPH_7] * 11)}]"), ("question", "Why?")], "could not be read"),
        (
            [*_exchange(cites=f"[{_PARAGRAPH_7}]", related=f"[{_PARAGRAPH_7}]"), ("question", "Why?")],
            "could not be read",
        ),
        ([*_exchange(cites="{not json"), ("question", "Why?")], "could not be read"),
        ([*_exchange(cites='[{"id":"x","document":"nope","start":0,"end":5,"highlight":[0,1]}]')], "could not be read"),
        (
            [*_exchange(cites='[{"id":"x","document":"verviers-raid","start":0,"end":999999,"highlight":[0,1]}]')],
            "could not be read",
        ),
    ],
)
def test_bad_input_re_renders_the_page_with_a_message(web, data, message):
    response = web.post("/", data=MultiDict(data))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    error = re.search(r'<p id="form-error" class="form-error" role="alert">(.*?)</p>', html, re.S)
    assert error and message in error[1]


def test_a_bad_question_keeps_the_conversation_and_the_draft(web, first_answer):
    carried = parse(first_answer).hidden
    response = web.post("/", data=MultiDict([*carried, ("question", "x" * 1001)]))
    assert response.status_code == 400
    assert parse(response.text).hidden == carried
    assert ">" + "x" * 1001 + "</textarea>" in response.text


def test_long_conversation_drops_its_oldest_exchanges(web, first_answer):
    carried = parse(first_answer).hidden
    older = _exchange("Old question?", "Old answer.") * (MAX_HISTORY_TURNS // 2 - 1)
    response = web.post("/", data=MultiDict([*older, *carried, ("question", "Who is Marouane El Bali?")]))
    assert response.status_code == 200
    questions = [value for name, value in parse(response.text).hidden if name == "q"]
    assert len(questions) == MAX_HISTORY_TURNS // 2
    assert questions[-2:] == [ESCAPE_QUESTION, "Who is Marouane El Bali?"]


def test_feedback_form_stores_the_rating_and_keeps_the_transcript(web, page_app, first_answer):
    carried = parse(first_answer).hidden
    response = web.post("/feedback", data=MultiDict([*carried, ("question", "draft"), ("rate", "0:up")]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thanks, your rating was saved." in html
    assert parse(html).hidden == carried and ">draft</textarea>" in html
    rows = FeedbackStore(page_app.config["FEEDBACK_DB"]).all()
    cites = json.loads(dict(carried)["cites"])
    assert (rows[-1]["rating"], rows[-1]["question"], rows[-1]["source"]) == ("up", ESCAPE_QUESTION, "web")
    assert rows[-1]["answer"] == dict(carried)["a"]
    assert rows[-1]["passage_ids"] == [c["id"] for c in cites] and rows[-1]["created_at"].endswith("Z")


@pytest.mark.parametrize("rate", ["", "9:up", "0:meh", "x"])
def test_unreadable_rating_is_refused_with_a_message(web, page_app, first_answer, rate):
    before = len(FeedbackStore(page_app.config["FEEDBACK_DB"]).all())
    response = web.post("/feedback", data=MultiDict([*parse(first_answer).hidden, ("rate", rate)]))
    assert response.status_code == 400 and "That rating could not be read." in response.text
    assert len(FeedbackStore(page_app.config["FEEDBACK_DB"]).all()) == before


def test_article_page_has_an_anchor_per_paragraph(web, page_app):
    doc = page_app.extensions["qa"].documents["verviers-raid"]
    response = web.get("/articles/verviers-raid")
    assert response.status_code == 200
    page = parse(response.text)
    assert {f"p{p.number}" for p in doc.paragraphs} <= page.ids
    assert f'<h1 id="article-title">{doc.title}</h1>' in response.text
    assert "is-cited" not in response.text


def test_article_page_highlights_the_cited_sentence(web, page_app):
    doc = page_app.extensions["qa"].documents["verviers-raid"]
    paragraph = doc.paragraphs[6]
    start = paragraph.start + paragraph.text.index("Hearing the authorities")
    end = paragraph.end
    response = web.get(f"/articles/verviers-raid?s={start}&e={end}")
    cited = re.search(r'<p id="p6" class="para para--body is-cited">(.*?)</p>', response.text, re.S)
    assert cited, "paragraph 6 is marked as cited"
    assert re.search(r'<mark class="cited-sentence">Hearing the authorities[^<]*apprehended\.</mark>', cited[1])
    assert response.text.count("is-cited") == 1


@pytest.mark.parametrize("query", ["?s=5&e=2", "?s=-4&e=10", "?s=abc&e=1", "?s=0&e=99999999", "?s=1"])
def test_article_page_ignores_offsets_that_do_not_fit(web, query):
    response = web.get("/articles/verviers-raid" + query)
    assert response.status_code == 200 and "is-cited" not in response.text


def test_unknown_article_is_an_html_404(web):
    response = web.get("/articles/no-such-article")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "There is no article called “no-such-article”." in response.text


class _Form(HTMLParser):
    """The chat form's data-limits attribute and the question box's maxlength."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: dict | None = None
        self.maxlength: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == "chat":
            self.limits = json.loads(attributes["data-limits"] or "null")
        if tag == "textarea" and attributes.get("id") == "question":
            self.maxlength = attributes.get("maxlength")


def test_the_page_hands_app_js_the_limits_the_api_enforces(client):
    form = _Form()
    form.feed(client.get("/").get_data(as_text=True))
    assert form.limits == limits.as_json()
    assert form.limits["maxHistoryTurns"] == MAX_HISTORY_TURNS
    assert form.maxlength == str(limits.MAX_QUESTION_CHARS)


def test_a_misspelt_name_says_what_was_searched_and_keeps_saying_it(web):
    first = web.post("/", data={"question": "Who is Virginie Telman?"})
    assert first.status_code == 200
    note = '<p class="searched">Searched for “Who is Virginie Taelman?”</p>'
    assert note in first.text and "Taelman" in first_group(r'<p class="answer-text">(.*?)</p>', first.text)
    follow = web.post("/", data=MultiDict([*parse(first.text).hidden, ("question", "Who is Virginie Taelman?")]))
    assert follow.status_code == 200
    assert note in exchange_html(follow.text, 0) and 'class="searched"' not in exchange_html(follow.text, 1)
    damaged = [(k, v) for k, v in parse(follow.text).hidden if k != "searched"] + [("searched", "")]
    assert "could not be read" in web.post("/", data=MultiDict([*damaged, ("question", "Who?")])).text


@pytest.fixture(scope="module")
def archive_web(two_document_dirs, encoder, tmp_path_factory):
    """The page over a corpus of two documents (the article and a toy one)."""
    from index import Retriever, load_index

    corpus, index = two_document_dirs
    db = tmp_path_factory.mktemp("feedback-two") / "feedback.sqlite3"
    retriever = Retriever(encoder, load_index(index, corpus, encoder))
    settings = {"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus), "FEEDBACK_DB": str(db)}
    return create_app(settings, retriever=retriever).test_client()


def test_one_document_has_no_document_choice(web):
    assert 'id="document"' not in web.get("/").text


def test_several_documents_can_be_asked_one_at_a_time(archive_web, monkeypatch):
    empty = archive_web.get("/").text
    options = re.findall(r'<option value="([^"]*)"', empty)
    assert options == ["", "ostend-gulls", "verviers-raid"]
    assert '<label for="document">Ask</label>' in empty and "all 2 documents" in empty
    monkeypatch.setattr(PAGES, "LISTED_DOCUMENTS", 1)  # an archive: the introduction counts its documents
    assert "the 2 documents of this archive" in archive_web.get("/").text
    asked = archive_web.post("/", data={"question": "Who counted the nests?", "document": "ostend-gulls"})
    assert asked.status_code == 200
    cited = exchange_html(asked.text, 0)
    assert "/articles/ostend-gulls" in cited and "/articles/verviers-raid" not in cited
    assert '<option value="ostend-gulls" selected>' in asked.text  # the choice stays for the next question
    anywhere = archive_web.post("/", data={"question": ESCAPE_QUESTION, "document": ""})
    assert ESCAPE_SENTENCE in anywhere.text and " selected>" not in anywhere.text


def test_an_unknown_document_is_refused_with_its_name(archive_web):
    refused = archive_web.post("/", data={"question": "Who counted the nests?", "document": "no-such-thing"})
    assert refused.status_code == 400
    assert "There is no document &#39;no-such-thing&#39; in this corpus" in refused.text
