"""Labelled questions over the shipped corpus that benchmarks and tests both ask: `QUESTIONS`, asked by
the load world (`harness.load`, so by `bench.load` and tests/bot/test_load.py), `bench.bot_latency` and
`bench.generation_check`; its first five are the service tests' verbatim-quote set
(tests/retrieval/test_service.py). The labelled question files themselves (seed questions, typed
questions, citation pairs, hand-labelled claims) are in harness/data/."""

QUESTIONS = [
    "Who denied the request?",
    "What did Russia ask China for?",
    "Where did Jake Sullivan meet Yang Jiechi?",
    "How long did the meeting in Rome last?",
    "What did Ned Price say about consequences?",
    "Who reported that China was willing to supply arms?",
    "What did Zhao Lijian accuse the Americans of?",
    "What sanctions have been imposed on Moscow?",
    "What did the White House say after the meeting?",
    "What did Liu Pengyu say about Ukraine?",
    "How did Peskov answer the question at the press conference?",
    "What did Sullivan say on CNN?",
    "What was expected of China according to the diplomatic cable?",
    "Why can Beijing do more than any other country?",
    "How is the Russian campaign progressing?",
    "Who leaked the news to the newspaper?",
    "What is the Pentagon doing?",
    "What military equipment did Russia request?",
    "Where did the meeting in Rome take place?",
    "What did the Defense Ministry official tell the British newspaper?",
]
