"""The Discord side of citebot (and its CLI): a thin adapter over `retrieval.AnswerService`."""

from bot.client import create_bot

__all__ = ["create_bot"]
