"""qa.question: the kind of answer a question expects, and whether a text holds one."""

from __future__ import annotations

import pytest

from qa.question import analyse, new_names


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many police took part in the raid?", "quantity"),
        ("how old is Mohamed", "quantity"),
        ("What is the population of Verviers?", "quantity"),
        ("When was the raid approved by a judge?", "time"),
        ("And when?", "time"),
        ("How long did it take them?", "time"),
        ("What year was Charlie Hebdo founded?", "date"),
        ("On what exact date was the raid carried out?", "date"),
        ("Who survived?", "person"),
        ("Who's the family's lawyer?", "person"),
        ("Which judge authorized the raid?", "person"),
        ("What is the name of the organization she runs?", "person"),
        ("Which paper does Metdepenningen write for?", "person"),
        ("Which city did they fly to?", "place"),
        ("Name of the resident quoted at the barber's?", "place"),
        ("Who is Farida Aarrass?", "other"),  # asks what she is, not for a name
        ("who is abaaoud", "other"),
        ("Who was killed?", "other"),
        ("Where was El Bali when the police came in?", "other"),  # "in a bathroom": no name needed
        ("Why did the police raid the apartment?", "other"),
    ],
)
def test_the_kind_comes_from_the_questions_opening_words(question, kind):
    assert analyse(question).kind == kind


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What is the name of El Bali's girlfriend?", {"girlfriend"}),  # the question's own names left out
        ("What was the name of the foreign fighter units they trained with?", {"foreign", "fighter", "unit"}),
        ("Which judge authorized the raid?", set()),  # no "name of"
    ],
)
def test_the_name_of_the_n_says_which_words_a_name_must_stand_beside(question, named):
    assert analyse(question).named == named


def test_names_are_capitalised_inside_sentences_and_new_to_the_question():
    text = "The raid was authorized by a Belgian judge in January. He said Marouane El Bali fled."
    assert new_names(text) == ["Marouane", "El", "Bali"]  # not "The"/"He" (initial), "Belgian", "January"
    assert new_names(text, analyse("Did Marouane El Bali flee?").words) == []


def test_a_name_after_in_or_from_is_a_place():
    text = "He came by car from Brussels to Verviers, said Eric van der Sypt in St. Denis. Then he left."
    assert new_names(text, places=False) == ["Verviers", "Eric", "Sypt"]
    assert new_names(text) == ["Brussels", "Verviers", "Eric", "Sypt", "St", "Denis"]


def test_quoted_speech_opens_a_sentence():
    assert new_names("He said: \u201cIf they needed something, they\u2019d say so.\u201d") == []


@pytest.mark.parametrize(
    ("question", "text", "answered"),
    [
        ("How many police took part?", "A few dozen officers gathered.", True),
        ("How many police took part?", "Officers gathered outside.", False),
        ("When did the trial take place?", "The judge authorized the raid three days before.", True),
        ("When did the trial take place?", "Verviers was a prelude of those events.", False),
        ("What year was it founded?", "It was founded in 1970.", True),
        ("What year was it founded?", "It was founded three days before.", False),
        ("Which judge authorized the raid?", "The raid was authorized by a Belgian judge.", False),
        ("Which judge authorized the raid?", "The raid was authorized by judge Anne Dupont.", True),
        ("Which city did they fly to?", "They had flown to Istanbul that April.", True),
        # "Who did X?" is answered by a description of people too; "who was the ...?" still wants a name.
        ("who got arrested", "(The third man fled and was arrested.)", True),
        ("Who helped him escape?", "Salah called on two friends in Molenbeek.", True),
        ("Who got arrested?", "The apartment looked like a war zone.", False),
        ("Who was the Belgian prime minister then?", "The prime minister declined to comment.", False),
        ("Who's the family's lawyer?", "The family's lawyer spoke to the press.", False),
        ("Why did they go?", "Anything answers a question of no particular kind.", True),
        # "The name of the N": a name counts beside the N's words only, and a place's only if the N is one.
        ("Name of the resident quoted at the barber's?", "A Molenbeek resident named Khyyat Nourdin said.", True),
        ("What is the name of El Bali's girlfriend?", "He went to Verviers to visit a girl.", False),
        (
            "What was the name of the man with the ankle tracker?",
            "According to The Telegraph, the police lost a man.",
            False,
        ),
        ("What was the name of the Slovak gun shop?", "They were bought at a gun shop in Slovakia.", False),
        ("What is the name of the town they fled to?", "They fled to the town of Verviers.", True),
    ],
)
def test_an_answer_must_hold_what_the_question_asks_for(question, text, answered):
    assert analyse(question).answered_by(text) is answered
