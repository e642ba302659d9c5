"""The Ray layer (DESIGN.md §4): a learner actor, a pool of roll-out actors and negative-sampling
tasks around the unchanged numerics. Nothing outside this package imports Ray for training."""
