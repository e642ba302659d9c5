"""Algorithm 1 as one driver (trainer), and what a run leaves on disk: the run directory
(config.json, metrics.jsonl, samples), atomic checkpoints and TensorBoard event files."""
