"""The numerics, pure torch (and numpy for BLEU), no Ray: the networks (models), sampling, the
Monte Carlo roll-outs (rollout), the three objectives (losses), D's training epoch (d_training),
the rewards and the paper's baselines, the game's diagnostics, the learner that owns G, D and
beta, the Arrow token tables, and what a process sets up first (process)."""
