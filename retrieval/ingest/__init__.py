"""Files and pages in, documents out: readers for every file type (`readers`), the guarded web
fetcher (`web`), which files of a folder changed (`discovery`) and the ingestor that chunks, embeds
and writes a document version into the index (`ingestor`)."""
