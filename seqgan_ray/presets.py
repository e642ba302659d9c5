"""Every named preset (`--preset NAME`): instances, not files.

Synthetic data (PRESETS): RunConfig instances; `paper` is the dataclass defaults (config.py), the
others shrink it for CPUs, tests or the paper's ablations.
Real data (DATA_PRESETS, paper §5): everything but the data, bound to a prepared directory by
`DataPreset.bind`; D's filter table follows the data's sequence length (`filter_table`). The
`*-cpu` ones are sized for 2 CPU cores like `demo`, which they start from; `text-cpu` and
`music-cpu` fit any prepared directory; `poems*`, `obama*`, `nottingham*` are the paper's studies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from seqgan_ray.config import (
    PAPER_FILTER_SIZES,
    PAPER_NUM_FILTERS,
    ConfigError,
    DataTaskConfig,
    DiscriminatorConfig,
    GeneratorConfig,
    RunConfig,
    ScheduleConfig,
    SyntheticTaskConfig,
    override,
)

PAPER = RunConfig()

# Same oracle, data size, generator and N as the paper; D at a quarter of the filters and a short
# schedule so the whole pipeline (MLE, D pre-training, adversarial phase) fits in 5 minutes on
# 2 CPU cores (DESIGN.md §6: the paper's d-step schedule alone is >= 100 s per iteration here).
# Each d-step sees 5,000 negatives and 5,000 real sequences (balanced, as the official 10k/10k).
DEMO = RunConfig(
    discriminator=DiscriminatorConfig(num_filters=tuple(c // 4 for c in PAPER_NUM_FILTERS)),
    schedule=ScheduleConfig(
        mle_epochs=15,  # the official log's NLL-oracle is within ~0.1 of its final value by then
        d_pretrain_rounds=3,
        adversarial_iterations=15,
        d_steps=1,
        k_epochs=1,
        num_negatives=5_000,
        num_positives=5_000,
        eval_interval=5,
        eval_samples=2_000,
        test_samples=10_000,
        checkpoint_every=5,
        score_dtype="bfloat16",
    ),
)

# Paper Table 1 on 2 CPU cores in <= 90 minutes (all methods): the paper's oracle, data size,
# generator, N and batch; D at a quarter of the filters (430 features) and one d-step of one
# epoch per iteration, the largest D schedule that fits (DESIGN.md §6: the paper's is >= 100 s
# per iteration here). README "Table 1 on a CPU" lists every difference from `paper`.
TABLE1_CPU = RunConfig(
    discriminator=DiscriminatorConfig(num_filters=tuple(c // 4 for c in PAPER_NUM_FILTERS)),
    schedule=ScheduleConfig(
        mle_epochs=50,  # the official log's NLL-oracle is within 0.03 of its final value by then
        d_pretrain_rounds=10,
        adversarial_iterations=200,
        d_steps=1,
        k_epochs=1,
        # 7,500 negatives + 7,500 real sequences per d-step: with 10,000 + 10,000 the whole
        # table measured 91.0 min (SeqGAN 67.8 of it); this saves ~12 min of SeqGAN's time
        num_negatives=7_500,
        num_positives=7_500,
        # every 10 epochs: evaluation cost ~12 s per point, 2 s per epoch at 5 (an MLE epoch is
        # 5.4 s), which pushed the table past its 90 minutes; the final 100,000 are unchanged
        eval_interval=10,
        eval_samples=5_000,
        test_samples=100_000,
        checkpoint_every=10,
        score_dtype="bfloat16",
    ),
)


# table1-cpu as the README's published Table 1 measured it: with our former default, a real
# moving average beta <- 0.8 beta + 0.2 theta (a variant; the paper and official run use theta).
TABLE1_CPU_BLEND = override(TABLE1_CPU, "schedule", rollout_update_rate=0.8)

# table1-cpu with the official D schedule (issue 15 §6: table1-cpu's D gets ~5 % of the official
# D's Adam steps): 50 pre-training rounds x 3 epochs and 5 d-steps x 3 epochs per iteration, each
# on all 10,000 real sequences + 10,000 negatives, at table1-cpu's quarter D ...
TABLE1_CPU_OFFICIAL_D = replace(
    TABLE1_CPU,
    schedule=replace(
        TABLE1_CPU.schedule,
        d_pretrain_rounds=50,
        d_steps=5,
        k_epochs=3,
        num_negatives=None,
        num_positives=None,
    ),
)
# ... and at the paper's full D (1,720 filters).
TABLE1_CPU_OFFICIAL_FULL_D = replace(TABLE1_CPU_OFFICIAL_D, discriminator=DiscriminatorConfig())
# table1-cpu's schedule at the paper's full D: the filter count apart from the schedule.
TABLE1_CPU_FULL_D = replace(TABLE1_CPU, discriminator=DiscriminatorConfig())


def _strategy(base: RunConfig, g_steps: int, d_steps: int, k_epochs: int, **more) -> RunConfig:
    """Paper Figure 3: `base` with another (g-steps, d-steps, k) strategy of the adversarial
    phase. D's pre-training stays base's (its k epochs a round), so every strategy starts the
    game from the same D (pre-trained for k epochs a round, k = 30 would spend 30x base's D
    epochs before the first g-step)."""
    schedule = dict(g_steps=g_steps, d_steps=d_steps, k_epochs=k_epochs, **more)
    return override(base, "schedule", d_pretrain_epochs=base.schedule.k_epochs, **schedule)


# Figure 3's four strategies and the appendix's short pre-training (paper preset otherwise;
# GPU-sized like `paper`). Run with `seqgan-ray experiment synthetic --preset NAME`.
ABLATIONS = {
    "fig3-g100-d1-k10": _strategy(PAPER, 100, 1, 10),
    "fig3-g30-d1-k30": _strategy(PAPER, 30, 1, 30),
    "fig3-g1-d1-k10": _strategy(PAPER, 1, 1, 10),
    "fig3-g1-d5-k3": _strategy(PAPER, 1, 5, 3),
    "pretrain20": override(PAPER, "schedule", mle_epochs=20),
}


def _cpu_strategy(g_steps: int, d_steps: int, k_epochs: int, iterations: int, every: int):
    """Figure 3 on table1-cpu's sizes (D pre-trained as table1-cpu's), fewer iterations."""
    return _strategy(
        TABLE1_CPU,
        g_steps,
        d_steps,
        k_epochs,
        adversarial_iterations=iterations,
        eval_interval=every,
        checkpoint_every=min(every, 10),
    )


# CPU-sized Figure 3 and the short pre-training (table1-cpu otherwise). Iterations are cut so
# each SeqGAN run takes about an hour at the step costs measured before the speed work of
# issue 14 (a g-step with roll-outs ~4.3 s, one D epoch on 7,500 + 7,500 sequences ~8 s): the
# strategies differ in work per iteration by 30x, so they get different iteration counts (the
# MLE baseline gets the same count of extra epochs).
CPU_ABLATIONS = {
    "fig3-cpu-g100-d1-k10": _cpu_strategy(100, 1, 10, iterations=7, every=2),  # ~510 s/it
    "fig3-cpu-g30-d1-k30": _cpu_strategy(30, 1, 30, iterations=10, every=2),  # ~370 s/it
    "fig3-cpu-g1-d1-k10": _cpu_strategy(1, 1, 10, iterations=40, every=5),  # ~85 s/it
    "fig3-cpu-g1-d5-k3": _cpu_strategy(1, 5, 3, iterations=30, every=5),  # ~125 s/it
    "pretrain20-cpu": override(TABLE1_CPU, "schedule", mle_epochs=20),
}

# For tests and smoke runs: seconds, not minutes. Not a meaningful experiment.
TINY = RunConfig(
    task=SyntheticTaskConfig(
        vocab_size=50, seq_len=8, num_train=256, num_test=256, oracle_emb_dim=8, oracle_hidden_dim=8
    ),
    generator=GeneratorConfig(emb_dim=8, hidden_dim=8),
    discriminator=DiscriminatorConfig(
        emb_dim=8, filter_sizes=(1, 2, 3, 8), num_filters=(4, 4, 4, 4)
    ),
    schedule=ScheduleConfig(
        batch_size=32,
        mle_epochs=3,
        d_pretrain_rounds=2,
        adversarial_iterations=4,
        d_steps=1,
        k_epochs=1,
        rollout_num=4,
        eval_interval=2,
        eval_samples=128,
        test_samples=256,
        checkpoint_every=2,
    ),
    device="cpu",
)


PRESETS: dict[str, RunConfig] = {
    "paper": PAPER,
    "demo": DEMO,
    "tiny": TINY,
    "table1-cpu": TABLE1_CPU,
    "table1-cpu-blend0.8": TABLE1_CPU_BLEND,
    "table1-cpu-official-d": TABLE1_CPU_OFFICIAL_D,
    "table1-cpu-official-full-d": TABLE1_CPU_OFFICIAL_FULL_D,
    "table1-cpu-full-d": TABLE1_CPU_FULL_D,
    **ABLATIONS,
    **CPU_ABLATIONS,
}


def preset(name: str) -> RunConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def filter_table(seq_len: int, fraction: float = 1.0) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """D's (window sizes, filter counts) for sequences of length T, at `fraction` of the counts.

    T = 20 is Table 5 exactly. Other lengths keep Table 5's shape: windows 1..min(10, T) with
    its counts, then a window of round(T / 2) when that exceeds 10, and one of T, 160 filters
    each (T = 32 gives 1..10, 16, 32)."""
    if seq_len == 20:
        sizes, counts = PAPER_FILTER_SIZES, PAPER_NUM_FILTERS
    else:
        small = [h for h in PAPER_FILTER_SIZES if h <= min(10, seq_len)]
        large = [h for h in (round(seq_len / 2), seq_len) if h > 10]
        sizes = tuple(dict.fromkeys([*small, *large]))
        counts = tuple(PAPER_NUM_FILTERS[h - 1] if h <= 10 else 160 for h in sizes)
    return tuple(sizes), tuple(max(1, round(c * fraction)) for c in counts)


@dataclass(frozen=True)
class DataPreset:
    """A preset for real data: everything but the data, which `bind` takes from a prepared
    directory (sizes, special ids) — D's filter table follows the data's sequence length."""

    kind: str
    bleu_orders: tuple[int, ...]
    filter_fraction: float = 1.0  # of Table 5's filter counts
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    device: str = "auto"

    def bind(self, data: DataTaskConfig) -> RunConfig:
        sizes, counts = filter_table(data.seq_len, self.filter_fraction)
        return RunConfig(
            task=replace(data, bleu_orders=self.bleu_orders),
            generator=self.generator,
            discriminator=replace(self.discriminator, filter_sizes=sizes, num_filters=counts),
            schedule=self.schedule,
            device=self.device,
        )


# The paper's real-data studies (§5) at the official code's schedule (GPU-sized, like `paper`),
# and `*-cpu` versions sized for 2 CPU cores: D at a quarter of the filters, one d-step of one
# epoch on 5,000 negatives + 5,000 real sequences, a shorter schedule (README "Real data").
_CPU_SCHEDULE = replace(
    DEMO.schedule,
    mle_epochs=30,
    d_pretrain_rounds=5,
    adversarial_iterations=40,
    eval_samples=1_000,
    test_samples=5_000,
)
_TINY_DATA = DataPreset(
    kind="text",
    bleu_orders=(2,),
    filter_fraction=0.04,
    discriminator=DiscriminatorConfig(emb_dim=8),
    generator=GeneratorConfig(emb_dim=8, hidden_dim=8),
    schedule=replace(TINY.schedule, num_negatives=64, num_positives=64),
    device="cpu",
)
DATA_PRESETS: dict[str, DataPreset] = {
    "poems": DataPreset("text", (2,)),
    "obama": DataPreset("text", (3, 4)),
    "nottingham": DataPreset("music", (4,)),
    "poems-cpu": DataPreset("text", (2,), 0.25, schedule=_CPU_SCHEDULE),
    "obama-cpu": DataPreset("text", (3, 4), 0.25, schedule=_CPU_SCHEDULE),
    "nottingham-cpu": DataPreset("music", (4,), 0.25, schedule=_CPU_SCHEDULE),
    # Any prepared directory on 2 CPU cores: the *-cpu schedule, BLEU-2 (main) and BLEU-4 for
    # text, BLEU-4 and the pitch MSE for music.
    "text-cpu": DataPreset("text", (2, 4), 0.25, schedule=_CPU_SCHEDULE),
    "music-cpu": DataPreset("music", (4,), 0.25, schedule=_CPU_SCHEDULE),
    "text-tiny": _TINY_DATA,
    "music-tiny": replace(_TINY_DATA, kind="music", bleu_orders=(4,)),
}


def data_preset(name: str, kind: str) -> DataPreset:
    found = DATA_PRESETS.get(name)
    if found is None or found.kind != kind:
        names = [n for n, p in DATA_PRESETS.items() if p.kind == kind]
        raise ConfigError(f"unknown {kind} preset {name!r}; choose one of {', '.join(names)}")
    return found
