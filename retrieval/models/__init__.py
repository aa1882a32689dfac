"""The typed records every stage hands on, at the bottom of the house so that any stage may import
them: what the store keeps (`records`: a document's record and metadata, a stored chunk), what
answers are made of (`answers`: passages, citations, drafts, the answer and summary results, an
ingest report) and what the citation check reports (`checks`)."""
