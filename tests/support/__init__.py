"""Helpers the tests share: services and settings, documents, Discord world helpers. What tests and
benches both use (real servers, crash trials, the load world, labelled questions) is in harness/."""
