"""From passages to an extractive answer: candidate sentences and their support score
(`candidates`), their ranking (`ranking`, with `sentence_embedder`), the choice of a few diverse
ones (`selection`), numbered citations (`citing`), and the extractive answerer and summariser
(`extractive`, `summary`). The LLM's answers (`retrieval.generation`) are checked with the same score."""
