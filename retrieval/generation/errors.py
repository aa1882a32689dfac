"""The one error every LLM backend raises."""


class LLMError(Exception):
    """The LLM could not answer; the message is one line, fit to show a user."""
