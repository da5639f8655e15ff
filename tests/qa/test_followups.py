"""Follow-ups lean on the previous question only when they need it."""

from __future__ import annotations

import pytest

from qa.followups import needs_context, retrieval_query

HISTORY = [
    {"role": "user", "content": "Who is Marouane El Bali?"},
    {"role": "assistant", "content": "He was in the bathroom when the police arrived. [1]"},
]


@pytest.mark.parametrize(
    ("question", "needs"),
    [
        ("How did he try to escape?", True),
        ("Where were those originally bought?", True),
        ("What did a broadcaster call it?", True),
        ("And his age?", True),
        ("Why?", True),
        ("And Ben Larbi?", True),
        ("What about Salah Abdeslam?", True),
        ("How about in Molenbeek?", True),
        ("Andrew Smith wrote what?", False),
        ("Where were the Kalashnikovs originally purchased?", False),
        ("Who is Virginie Taelman?", False),
    ],
)
def test_needs_context(question, needs):
    assert needs_context(question) is needs


def test_follow_up_is_searched_with_the_previous_user_question():
    assert retrieval_query("How did he try to escape?", HISTORY) == "Who is Marouane El Bali? How did he try to escape?"


def test_self_contained_question_is_searched_alone():
    assert retrieval_query("Who is Virginie Taelman?", HISTORY) == "Who is Virginie Taelman?"


def test_no_history_means_the_question_alone():
    assert retrieval_query("How did he try to escape?", []) == "How did he try to escape?"


def test_a_chain_of_follow_ups_keeps_the_subject_named_turns_ago():
    history = [
        {"role": "user", "content": "Who is Nils Duquet?"},
        {"role": "assistant", "content": "A researcher at the Flemish Peace Institute. [1]"},
        {"role": "user", "content": "What's his specialty?"},
        {"role": "assistant", "content": "Illegal firearms. [1]"},
    ]
    assert retrieval_query("And what trend has he seen?", history) == (
        "Who is Nils Duquet? What's his specialty? And what trend has he seen?"
    )


def test_the_chain_stops_at_the_last_self_contained_question_and_is_bounded():
    turns = ["Who is Virginie Taelman?", "Who is Kris Luyckx?", "Where does he work?", "And his clients?"]
    history = [{"role": "user", "content": t} for t in turns]
    assert retrieval_query("What did they do?", history) == (
        "Who is Kris Luyckx? Where does he work? And his clients? What did they do?"
    )
    many = [{"role": "user", "content": "And then?"}] * 10
    assert retrieval_query("Why?", many) == "And then? And then? And then? Why?"


def test_blank_or_missing_turns_are_skipped():
    history = [
        {"role": "user", "content": "Who is Marouane El Bali?"},
        {"role": "user", "content": "  "},
        {"role": "assistant"},
    ]
    assert retrieval_query("How old was he?", history) == "Who is Marouane El Bali? How old was he?"


def test_a_follow_up_fuses_its_search_with_context_and_alone(retriever):
    from qa.followups import search_followup

    first = "Who is the expert who follows young Belgians joining ISIS?"
    follow = "What does he say they have in common?"
    query = retrieval_query(follow, [{"role": "user", "content": first}])
    with_context = [h.passage.id for h in retriever.search(query, top_k=10).hits]
    alone = [h.passage.id for h in retriever.search(follow, top_k=10).hits]
    fused = search_followup(retriever, follow, query, top_k=3)
    ids = [h.passage.id for h in fused.hits]
    assert len(ids) == 3 and set(ids) <= set(with_context) | set(alone)
    assert alone[0] in ids  # what the question alone finds (the expert's next words) is offered
    assert fused.confidence == retriever.search(query, top_k=3).confidence  # abstention judges the context search


def test_the_fusion_keeps_a_lead_the_context_search_gives_by_far(retriever):
    from qa.followups import search_followup

    follow = "How did he try to escape during the raid?"
    query = retrieval_query(follow, HISTORY)
    with_context = retriever.search(query, top_k=3).hits
    alone = [h.passage.paragraph for h in retriever.search(follow, top_k=10).hits]
    assert with_context[0].passage.paragraph == 6  # his jump from the window, far ahead with the context ...
    assert 6 not in alone[:3]  # ... while "he" alone could be anyone
    fused = search_followup(retriever, follow, query, top_k=3)
    assert fused.hits[0].passage.paragraph == 6


def test_a_passage_one_search_did_not_return_gets_its_lowest_score(retriever, monkeypatch):
    import qa.followups
    from qa.followups import search_followup

    monkeypatch.setattr(qa.followups, "FUSION_DEPTH", 3)  # each search returns 3: most passages are in one only
    follow = "How did he try to escape during the raid?"
    query = retrieval_query(follow, HISTORY)
    with_context = [h.passage.id for h in retriever.search(query, top_k=3).hits]
    alone = [h.passage.id for h in retriever.search(follow, top_k=3).hits]
    fused = [h.passage.id for h in search_followup(retriever, follow, query, top_k=6).hits]
    assert sorted(fused) == sorted(set(with_context) | set(alone))
    assert fused[0] == with_context[0]


def test_a_self_contained_question_is_searched_once(retriever):
    from qa.followups import search_followup

    question = "Who is Virginie Taelman?"
    direct = [h.passage.id for h in retriever.search(question, top_k=3).hits]
    assert [h.passage.id for h in search_followup(retriever, question, question, 3).hits] == direct
