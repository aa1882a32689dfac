"""Helpers shared by tests and benches: real servers, documents, Discord world helpers."""
