"""Run configuration: frozen dataclasses whose defaults are the paper's / official code's values.

Sources: Yu et al. 2017 (the paper, incl. Table 5), LantaoYu/SeqGAN (the official code: sequence_gan.py,
generator.py, discriminator.py, rollout.py). ../shared/DESIGN.md §2 lists them side by side.
The named presets (`--preset paper|demo|tiny|...`) are in presets.py.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from seqgan_ray.methods import MethodConfig
from seqgan_ray.validation import ConfigError, check, check_smoothing, raise_if_any

# Paper Table 5 (synthetic data, T = 20): CNN filter window sizes and filter counts.
PAPER_FILTER_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
PAPER_NUM_FILTERS = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)


@dataclass(frozen=True)
class SyntheticTaskConfig:
    """The oracle experiment (paper §4)."""

    vocab_size: int = 5000  # paper §4: 5,000 tokens
    seq_len: int = 20  # paper §4: T = 20
    num_train: int = 10_000  # paper §4: 10,000 oracle sequences as the real set S
    oracle_emb_dim: int = 32  # official target_lstm: emb 32
    oracle_hidden_dim: int = 32  # official target_lstm: hidden 32
    oracle_path: str | None = None  # official target_params*.pkl; None = a seeded N(0,1) oracle
    num_test: int = 10_000  # held-out oracle sequences for NLL-test (ours; the paper has none)
    start_token: int = 0  # official: token 0's embedding is the first input, fed as input only
    data_seed: int = 88  # seeds the draws of S and the held-out set (and the random oracle)
    # the random oracle's seed when it must stay while data_seed changes (`experiment --seeds`);
    # None = data_seed. The official oracle (oracle_path) is a file and never changes.
    oracle_seed: int | None = None

    def __post_init__(self) -> None:
        p: list[str] = []
        check(p, self.vocab_size >= 2, f"vocab_size must be >= 2 (got {self.vocab_size})")
        check(p, self.seq_len >= 1, f"seq_len T must be >= 1 (got {self.seq_len})")
        check(p, self.data_seed >= 0, f"data_seed must be >= 0 (got {self.data_seed})")
        check(
            p,
            self.oracle_seed is None or self.oracle_seed >= 0,
            f"oracle_seed must be >= 0 (got {self.oracle_seed})",
        )
        check(p, self.num_train >= 1, f"num_train must be >= 1 (got {self.num_train})")
        check(p, self.num_test >= 1, f"num_test must be >= 1 (got {self.num_test})")
        check(
            p, self.oracle_emb_dim >= 1 and self.oracle_hidden_dim >= 1, "oracle dims must be >= 1"
        )
        check(
            p,
            0 <= self.start_token < self.vocab_size,
            f"start_token must be in [0, vocab_size) (got {self.start_token})",
        )
        raise_if_any("task config", p)

    @property
    def kind(self) -> str:
        return "synthetic"

    @property
    def random_oracle_seed(self) -> int:
        return self.data_seed if self.oracle_seed is None else self.oracle_seed

    end_token = None  # fixed length T: no end token, no padding (class constants, not fields)
    pad_token = 0


TASK_KINDS = ("text", "music")


@dataclass(frozen=True)
class DataTaskConfig:
    """A prepared data directory (`seqgan-ray prepare text|music`) as the real set (paper §5).

    The sizes and special ids come from the directory itself (`bind_data`); the paper's quality
    metric is BLEU of every sample against the whole test split, at the orders in `bleu_orders`
    (the first is the main metric), and for music also the pitch MSE (tasks.music.pitch_mse)."""

    kind: str = "text"
    data: str = ""  # the prepared directory (train.arrow, test.arrow, vocab.json)
    vocab_size: int = 2
    seq_len: int = 20
    num_train: int = 1
    start_token: int = 0  # fed as G's first input only (text: <start>; music: the rest key 0)
    end_token: int | None = None  # text: <end>, then <pad>; music: fixed length, none
    pad_token: int = 0
    bleu_orders: tuple[int, ...] = (4,)  # paper: poems BLEU-2, Obama BLEU-3/4, Nottingham BLEU-4
    bleu_smoothing: str = "none"  # the paper's sentence BLEU (nltk method0); method1 also allowed

    def __post_init__(self) -> None:
        p: list[str] = []
        check(p, self.kind in TASK_KINDS, f"task kind must be text or music (got {self.kind!r})")
        check(p, self.vocab_size >= 2, f"vocab_size must be >= 2 (got {self.vocab_size})")
        check(p, self.seq_len >= 1, f"seq_len T must be >= 1 (got {self.seq_len})")
        check(p, self.num_train >= 1, f"num_train must be >= 1 (got {self.num_train})")
        ids = {"start_token": self.start_token, "pad_token": self.pad_token}
        if self.end_token is not None:
            ids["end_token"] = self.end_token
        for name, value in ids.items():
            check(
                p, 0 <= value < self.vocab_size, f"{name} must be in [0, vocab_size) (got {value})"
            )
        check(
            p,
            len(self.bleu_orders) >= 1 and all(1 <= n <= 5 for n in self.bleu_orders),
            f"bleu_orders must be orders in 1..5 (got {self.bleu_orders})",
        )
        check_smoothing(p, self.bleu_smoothing)
        raise_if_any("task config", p)


@dataclass(frozen=True)
class GeneratorConfig:
    """The LSTM policy G_theta (official generator.py)."""

    emb_dim: int = 32  # official: EMB_DIM = 32
    hidden_dim: int = 32  # official: HIDDEN_DIM = 32
    init_std: float = 0.1  # official: every parameter ~ N(0, 0.1)
    lr: float = 0.01  # official: Adam learning_rate 0.01 (MLE and adversarial)
    grad_clip: float = 5.0  # official: clip_by_global_norm 5.0
    adv_lr: float | None = None  # adversarial-phase Adam lr; None = lr (official)

    def __post_init__(self) -> None:
        p: list[str] = []
        check(p, self.emb_dim >= 1 and self.hidden_dim >= 1, "generator dims must be >= 1")
        check(p, self.init_std > 0, f"generator init_std must be > 0 (got {self.init_std})")
        check(p, self.lr > 0, f"generator lr must be > 0 (got {self.lr})")
        check(p, self.adv_lr is None or self.adv_lr > 0, f"adv_lr must be > 0 (got {self.adv_lr})")
        check(p, self.grad_clip > 0, f"grad_clip must be > 0 (got {self.grad_clip})")
        raise_if_any("generator config", p)


@dataclass(frozen=True)
class DiscriminatorConfig:
    """The CNN D_phi with one highway layer (official discriminator.py, paper Table 5)."""

    emb_dim: int = 64  # official: dis_embedding_dim = 64
    filter_sizes: tuple[int, ...] = PAPER_FILTER_SIZES  # paper Table 5 (T = 20)
    num_filters: tuple[int, ...] = PAPER_NUM_FILTERS  # paper Table 5: 1,720 in all
    dropout: float = 0.25  # official: dis_dropout_keep_prob = 0.75
    lr: float = 1e-4  # official: Adam 1e-4
    l2_reg: float = 0.2  # official: dis_l2_reg_lambda = 0.2, output layer only

    def __post_init__(self) -> None:
        p: list[str] = []
        check(p, self.emb_dim >= 1, f"discriminator emb_dim must be >= 1 (got {self.emb_dim})")
        check(
            p,
            len(self.filter_sizes) == len(self.num_filters) and len(self.filter_sizes) > 0,
            "filter_sizes and num_filters must be non-empty and of equal length "
            f"(got {len(self.filter_sizes)} and {len(self.num_filters)})",
        )
        check(p, all(h >= 1 for h in self.filter_sizes), "filter sizes must be >= 1")
        check(p, all(c >= 1 for c in self.num_filters), "filter counts must be >= 1")
        check(p, 0 <= self.dropout < 1, f"dropout must be in [0, 1) (got {self.dropout})")
        check(p, self.lr > 0, f"discriminator lr must be > 0 (got {self.lr})")
        check(p, self.l2_reg >= 0, f"l2_reg must be >= 0 (got {self.l2_reg})")
        raise_if_any("discriminator config", p)

    @property
    def total_filters(self) -> int:
        return sum(self.num_filters)


@dataclass(frozen=True)
class ScheduleConfig:
    """Algorithm 1's schedule, evaluation and checkpointing."""

    batch_size: int = 64  # sequences per G and D batch (official: BATCH_SIZE = 64)
    mle_epochs: int = 120  # MLE pre-training epochs (official: PRE_EPOCH_NUM = 120)
    d_pretrain_rounds: int = 50  # D pre-training rounds of fresh negatives (official: 50)
    adversarial_iterations: int = 200  # adversarial iterations (official: TOTAL_BATCH = 200)
    g_steps: int = 1  # generator updates per iteration (official: 1)
    d_steps: int = 5  # discriminator rounds per iteration (official: 5)
    k_epochs: int = 3  # epochs per discriminator round, k (official: 3)
    d_pretrain_epochs: int | None = None  # per D pre-training round; None = k (see d_pretrain_k)
    rollout_num: int = 16  # Monte Carlo roll-outs N (official: 16)
    # beta <- rate * beta + (1 - rate) * theta after each iteration's g-steps. 0 (default) is
    # beta <- theta, Algorithm 1 line 18. The official rollout.py *looks* like a blend with rate
    # 0.8 but is not one: its roll-out weights are tf.identity reads of the generator's live
    # variables and its sampling graph is built once in __init__, so update_params() only rebinds
    # Python attributes and the official run always rolled out with the current G
    # (LantaoYu/SeqGAN issues #23, #28, #29). A rate > 0 is a real moving average: our variant,
    # not the paper's (our former default, 0.8, measured the README's Table 1).
    rollout_update_rate: float = 0.0  # beta <- rate*beta + (1-rate)*theta (paper: 0, beta <- theta)
    num_negatives: int | None = None  # negatives per d-step; None = |S| (official: 10,000)
    num_positives: int | None = None  # real sequences per d-step, drawn anew; None = all of S
    eval_interval: int = 5  # epochs between evaluations (official: NLL-oracle every 5, both phases)
    eval_samples: int = 10_000  # samples per evaluation (official: generate_num = 10,000)
    test_samples: int = 100_000  # samples for the final evaluation (paper Table 1: 100,000)
    checkpoint_every: int = 10  # adversarial iterations between checkpoints (ours)
    temperature: float = 1.0  # sampling temperature of evaluation and samples.txt (training: 1)
    # float32, or bfloat16 for D in roll-outs: its highway gate GEMM in bf16 moves Q by < 1e-3 at
    # the quarter D (table1-cpu), up to ~2.7e-3 at the paper's 1,720-filter D (tests/test_rollout.py)
    score_dtype: str = "float32"
    # float32, or bfloat16 to train D with its GEMMs under bf16 autocast, fp32 weights and Adam
    # (ours; D's loss and accuracy curves stay within fp32's seed-to-seed spread: README "Speed")
    d_dtype: str = "float32"

    def __post_init__(self) -> None:
        p: list[str] = []
        for name in ("batch_size", "g_steps", "rollout_num", "eval_interval", "eval_samples"):
            value = getattr(self, name)
            check(p, value >= 1, f"{name} must be >= 1 (got {value})")
        for name in ("mle_epochs", "d_pretrain_rounds", "adversarial_iterations", "d_steps"):
            value = getattr(self, name)
            check(p, value >= 0, f"{name} must be >= 0 (got {value})")
        check(p, self.k_epochs >= 1, f"k_epochs must be >= 1 (got {self.k_epochs})")
        check(p, self.temperature > 0, f"temperature must be > 0 (got {self.temperature})")
        check(p, self.test_samples >= 2, f"test_samples must be >= 2 (got {self.test_samples})")
        check(
            p,
            self.checkpoint_every >= 1,
            f"checkpoint_every must be >= 1 (got {self.checkpoint_every})",
        )
        check(
            p,
            0 <= self.rollout_update_rate < 1,
            f"rollout_update_rate must be in [0, 1) (got {self.rollout_update_rate})",
        )
        for name in ("num_negatives", "num_positives", "d_pretrain_epochs"):
            value = getattr(self, name)
            check(p, value is None or value >= 1, f"{name} must be >= 1 (got {value})")
        check(
            p,
            self.score_dtype in ("float32", "bfloat16"),
            f"score_dtype must be float32 or bfloat16 (got {self.score_dtype!r})",
        )
        check(
            p,
            self.d_dtype in ("float32", "bfloat16"),
            f"d_dtype must be float32 or bfloat16 (got {self.d_dtype!r})",
        )
        raise_if_any("schedule", p)

    @property
    def d_pretrain_k(self) -> int:
        """Epochs per D pre-training round: k unless set (the official code writes 3 in both
        loops); Figure 3's presets set it, their strategies varying only the adversarial k."""
        return self.d_pretrain_epochs or self.k_epochs


@dataclass(frozen=True)
class RunConfig:
    task: SyntheticTaskConfig | DataTaskConfig = field(default_factory=SyntheticTaskConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    seed: int = 88  # run seed (official: SEED = 88)
    device: str = "auto"  # auto (cuda when available, else cpu), cpu or cuda

    def __post_init__(self) -> None:
        p: list[str] = []
        too_long = [h for h in self.discriminator.filter_sizes if h > self.task.seq_len]
        check(
            p,
            not too_long,
            f"filter sizes {too_long} are longer than the sequence length T = {self.task.seq_len}",
        )
        check(
            p,
            self.device in ("auto", "cpu", "cuda"),
            f"device must be auto, cpu or cuda (got {self.device!r})",
        )
        check(p, self.seed >= 0, f"seed must be >= 0 (got {self.seed})")
        raise_if_any("run config", p)

    @property
    def num_negatives(self) -> int:
        return self.schedule.num_negatives or self.task.num_train

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        return _build(cls, data, "config")

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        return cls.from_dict(read_json(path, "config file"))


def read_json(path: str | Path, what: str) -> Any:
    """A JSON file's content, or one ConfigError naming `what` is missing or broken."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{what} {path} is not valid JSON: {exc}") from None


def _build(cls: type, data: Any, where: str) -> Any:
    """Rebuild a (nested) frozen dataclass from JSON data, rejecting unknown keys by name."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"unknown key(s) in {where}: {', '.join(unknown)}")
    kwargs = {}
    for name, value in data.items():
        section = _SECTIONS.get(name) if cls is RunConfig else None
        if name == "task" and isinstance(value, dict) and value.get("kind") in TASK_KINDS:
            section = DataTaskConfig
        if section is not None:
            kwargs[name] = _build(section, value, f"{where}.{name}")
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


_SECTIONS = {
    "task": SyntheticTaskConfig,
    "generator": GeneratorConfig,
    "discriminator": DiscriminatorConfig,
    "schedule": ScheduleConfig,
    "method": MethodConfig,
}


def override(config: RunConfig, section: str, **changes: Any) -> RunConfig:
    """Return `config` with the non-None `changes` applied to one section (validated anew)."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return config
    if section == "run":
        return replace(config, **changes)
    return replace(config, **{section: replace(getattr(config, section), **changes)})
