"""Feeds a scope subscribes to: what is remembered of each (`store`), what a feed says (`parsing`,
feedparser), and the poller that ingests each new entry's article once (`poller`)."""
