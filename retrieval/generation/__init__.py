"""Answers and summaries written by an LLM, then checked against the passages they cite."""
