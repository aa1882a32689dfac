"""What is stored and how it is read back: Chroma's client and its errors (`chroma`), the document
table (`document_table`), the write protocol and vector search over chunks (`store`), the sentence
vectors' SQLite table (`sentence_table`, `sentence_vectors`), the BM25 index (`bm25`), the
embedder (`embedding`) and the snapshot a question reads (`snapshots`)."""
