"""From a question to passages: hybrid BM25 + vector search fused by reciprocal rank (`retriever`),
the recency prior (`recency`) and the gate that keeps only retrievals mentioning what the question
names (`subject_gate`)."""
