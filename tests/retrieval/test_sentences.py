from retrieval.sentences import sentence_spans


def test_spans_are_verbatim_and_do_not_cross_lines():
    text = "Headline without a period\nThe U.S. said no. Mr. Price spoke on Monday.\n\n  Indented line here.  "
    spans = sentence_spans(text)
    pieces = [text[s.start : s.end] for s in spans]
    assert pieces == [
        "Headline without a period",
        "The U.S. said no.",
        "Mr. Price spoke on Monday.",
        "Indented line here.",
    ]


def test_punctuation_only_lines_are_not_sentences():
    assert [s for s in sentence_spans("...\n—\nReal words.") if s.start == 0] == []
