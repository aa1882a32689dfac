"""The typed records every stage hands on, at the bottom of the house so that any stage may import
them: an article's description (`article`: `ArticleMeta`, made once by its reader and carried to
every record, passage and citation), what the store keeps (`records`: a document's record, a stored
chunk, a sources line), what answers are made of (`answers`: passages, citations, drafts, the answer
and summary results, an ingest report) and what the citation check reports (`checks`)."""
