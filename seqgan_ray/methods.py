"""The training methods after MLE pre-training: SeqGAN, the paper's baselines, our controls and
reward variants, as MethodConfig (the run config's `method` section) and the traits the rest of
the code reads through its properties."""

from __future__ import annotations

from dataclasses import dataclass, replace

from seqgan_ray.validation import ConfigError, check, check_smoothing, raise_if_any

# What trains G after the shared MLE pre-training: SeqGAN and the paper's baselines (§4, Table 1)
# plus two controls the paper lacks: `constant` (Q = 1: policy gradient without D) and
# `shuffled` (SeqGAN's own Q, permuted across the batch at every position before each update:
# SeqGAN's reward scale and step sizes with no per-sequence information) and `row_shuffled`
# (SeqGAN's Q rows permuted whole across the batch: each sequence gets another sequence's entire
# row, so SeqGAN's per-sequence concentration of reward survives but not its link to the sequence).
# Each method's traits, read through MethodConfig's properties (nothing else tests names):
# how G is updated after pre-training (pg: REINFORCE, mle: MLE epochs, none: not at all) and
# what Q is (d: D over Monte Carlo roll-outs, bleu: BLEU of roll-outs, constant: 1 everywhere).
_TRAITS = {  # name: (update, Q)
    "seqgan": ("pg", "d"),
    "shuffled": ("pg", "d"),  # ... permuted across the batch before the update (rewards.py)
    "row_shuffled": ("pg", "d"),  # ... its rows permuted whole across the batch (rewards.py)
    "mle": ("mle", None),
    "ss": ("mle", None),  # ... with scheduled sampling's inputs
    "pg_bleu": ("pg", "bleu"),
    "constant": ("pg", "constant"),
    "random": ("none", None),
}
METHODS = tuple(_TRAITS)
# Reward variants (ours, not the paper's): what D's roll-out estimate Q becomes before the update
# (rewards.py). `reward`: d = Q itself (the paper), logit = log Q/(1-Q), maligan = MaliGAN's
# normalised weights; `reward_baseline`: batch-mean subtracts the per-position batch mean.
REWARDS = ("d", "logit", "maligan")
BASELINES = ("none", "batch-mean")
# Experiment method names `BASE+VARIANT` (e.g. seqgan+logit): the MethodConfig fields they set.
VARIANTS = {
    "baseline": {"reward_baseline": "batch-mean"},
    "logit": {"reward": "logit", "reward_baseline": "batch-mean"},
    "maligan": {"reward": "maligan"},
}


@dataclass(frozen=True)
class MethodConfig:
    """The training method; every method shares the task, generator and MLE pre-training."""

    # seqgan; baselines mle, ss, pg_bleu, random; controls constant, shuffled, row_shuffled
    name: str = "seqgan"
    bleu_n: int = 3  # PG-BLEU: the paper-era code's BLEU-3 weights
    bleu_references: float = 0.4  # PG-BLEU: references = this fraction of S, drawn at random
    bleu_smoothing: str = "method1"  # nltk SmoothingFunction().method1 (a zero 3-gram count != 0)
    ss_decay: float = 0.002  # scheduled sampling: omega falls from 1 by this per epoch (paper)
    constant_reward: float = 1.0  # the constant-reward control's Q for every token
    # d (the paper: Q = D's P(real), averaged over roll-outs); ours, not the paper's: logit
    # (log D/(1-D)) or maligan (MaliGAN's normalised weights D/(1-D) over the batch)
    reward: str = "d"
    # none (the paper) or batch-mean (ours: a REINFORCE baseline, Q's per-position batch mean)
    reward_baseline: str = "none"

    def __post_init__(self) -> None:
        p: list[str] = []
        check(
            p,
            self.name in METHODS,
            f"method must be one of {', '.join(METHODS)} (got {self.name!r})",
        )
        check(
            p,
            self.reward in REWARDS,
            f"reward must be one of {', '.join(REWARDS)} (got {self.reward!r})",
        )
        check(
            p,
            self.reward_baseline in BASELINES,
            f"reward_baseline must be one of {', '.join(BASELINES)} (got {self.reward_baseline!r})",
        )
        check(
            p,
            self.reward == "d" or self.uses_discriminator,
            f"reward {self.reward} transforms D's scores; method {self.name} has no D",
        )
        check(
            p,
            self.reward_baseline == "none" or self.q_source in ("d", "bleu"),
            f"reward_baseline {self.reward_baseline} needs a policy-gradient method with a "
            f"varying reward (seqgan, shuffled, row_shuffled, pg_bleu), not {self.name}",
        )
        check(p, 1 <= self.bleu_n <= 5, f"bleu_n must be in 1..5 (got {self.bleu_n})")
        check(
            p,
            0 < self.bleu_references <= 1,
            f"bleu_references must be in (0, 1] (got {self.bleu_references})",
        )
        check_smoothing(p, self.bleu_smoothing)
        check(p, 0 <= self.ss_decay <= 1, f"ss_decay must be in [0, 1] (got {self.ss_decay})")
        raise_if_any("method config", p)

    @property
    def trains(self) -> bool:
        """False for `random`, the paper's random-token baseline: G as initialised."""
        return _TRAITS[self.name][0] != "none"

    @property
    def policy_gradient(self) -> bool:
        return _TRAITS[self.name][0] == "pg"

    @property
    def q_source(self) -> str | None:
        """What Q is: d (D over roll-outs), bleu (BLEU of roll-outs), constant, or None."""
        return _TRAITS[self.name][1]

    @property
    def uses_discriminator(self) -> bool:
        return self.q_source == "d"

    @property
    def uses_rollouts(self) -> bool:
        return self.q_source in ("d", "bleu")

    @property
    def scheduled_sampling(self) -> bool:
        return self.name == "ss"

    @property
    def q_shuffle(self) -> str | None:
        """How a control permutes Q across the batch before the update: `columns` (shuffled:
        each position by its own permutation), `rows` (row_shuffled: whole rows), or None."""
        return {"shuffled": "columns", "row_shuffled": "rows"}.get(self.name)

    @property
    def is_variant(self) -> bool:
        """True when the reward is one of ours rather than the paper's."""
        return self.reward != "d" or self.reward_baseline != "none"


def method_named(base: MethodConfig, name: str) -> MethodConfig:
    """`base` as the experiment method `name`: a method (seqgan) or METHOD+VARIANT
    (seqgan+baseline, seqgan+logit, seqgan+maligan, shuffled+baseline, ...)."""
    method, _, variant = name.partition("+")
    if variant and variant not in VARIANTS:
        raise ConfigError(
            f"unknown reward variant {variant!r} in {name!r}; choose from {', '.join(VARIANTS)}"
        )
    changes = {"reward": "d", "reward_baseline": "none", **VARIANTS.get(variant, {})}
    return replace(base, name=method, **changes)
