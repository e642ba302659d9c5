"""What is built on training runs: the paper's experiments (every method side by side, over
seeds), quality-diversity frontiers, significance tests, Ray Tune sweeps, sampling from a trained
run, figures and reports, and the benchmarks of the hot paths."""
