"""Every rule about English, in one place, each module with its test file beside it under
tests/retrieval/language/: the shared vocabulary (`vocabulary`: stems, stopwords, the patterns of a
name), what a question is and whether it refers back (`questions`), what kind of phrase answers
it (`answer_kinds`), the things it names (`subjects`), the days its time words name
(`time_frames`), what a follow-up asks (`follow_ups`), the
names and numbers a claim states (`entities`), and sentences that are not news (`directives`).
Pure functions of text: nothing here reads the index or calls a model."""
