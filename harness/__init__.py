"""What tests and benches share: real servers started for a run (`chroma_server`, `llama_server`), the
SIGKILL crash trials (`crash_trials`, with their child processes in `crash_writers`), the load world
of concurrent Discord questions (`load`), the citation-pair scorer (`citation_pairs`) and the labelled
question sets (`questions`, and the JSONL files in harness/data/). It imports neither `tests` nor
`bench`: both import it."""
