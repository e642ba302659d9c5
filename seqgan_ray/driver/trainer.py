"""SeqGAN's Algorithm 1 as one driver, in paper order.

    1. pre-train G by MLE on the real set S
    2. pre-train D on S and fresh negatives from G
    3. repeat: g-steps (sample Y, Q by Monte Carlo roll-outs, REINFORCE), sync beta, d-steps

The driver decides *when*; the learner (learner.py) decides *how*, and the runtime decides *where*
roll-outs and negatives are computed (in this process, or on Ray actors and tasks). Every random
number is keyed by (seed, phase, step, ...), so a resumed run replays exactly; `train` resumes
by itself, from the last checkpoint, when the runtime loses the learner (a Ray actor's death).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from seqgan_ray.config import RunConfig
from seqgan_ray.core.baselines import ss_omega
from seqgan_ray.core.diagnostics import mean_over_steps
from seqgan_ray.core.learner import Learner
from seqgan_ray.core.process import resolve_device
from seqgan_ray.core.sampling import NEGATIVE_SHARDS, sample_negatives
from seqgan_ray.driver import checkpoint
from seqgan_ray.driver.rundir import MetricsLog, RunDir
from seqgan_ray.errors import LearnerLost, UserError
from seqgan_ray.tasks import main_metric, make_task, preflight

PHASES = ("mle", "d_pretrain", "adversarial", "done")


class LocalRuntime:
    """The learner, roll-outs and negatives in this process (`--no-ray`); distributed/runtime.py
    has the same three hooks on Ray."""

    def make_learner(self, cfg: RunConfig) -> Learner:
        device = resolve_device(cfg.device)
        return Learner(cfg, make_task(cfg, device), device)

    def q_values(self, learner: Learner, y: torch.Tensor, key: tuple) -> torch.Tensor:
        return learner.q_values(y, key)

    def negatives(self, learner: Learner, num: int, key: tuple) -> torch.Tensor:
        return sample_negatives(learner.generator_policy(), num, key, NEGATIVE_SHARDS)


@dataclass
class Progress:
    """Where a run is: the phase and the next step to run in it."""

    phase: str = "mle"
    step: int = 0

    def start(self, phase: str) -> int:
        """First step to run in `phase`: 0 if we reach it fresh, the saved step if we resume in it."""
        if PHASES.index(self.phase) > PHASES.index(phase):
            return 1 << 62  # already done
        return self.step if self.phase == phase else 0


def phase_lengths(cfg: RunConfig) -> tuple[int, int, int]:
    """MLE epochs, D pre-training rounds and adversarial iterations this run's method uses."""
    s, method = cfg.schedule, cfg.method
    trains = method.trains
    return (
        s.mle_epochs if trains else 0,
        s.d_pretrain_rounds if method.uses_discriminator else 0,
        s.adversarial_iterations if trains else 0,
    )


@dataclass(frozen=True)
class Start:
    """Where a run (re)starts: fresh, after another run's MLE pre-training, or at a checkpoint."""

    cfg: RunConfig
    phase: str = "mle"
    step: int = 0
    learner: dict | None = None  # the learner's state; None: as initialised
    torch_rng: torch.Tensor | None = None
    metric_lines: int = 0  # metrics.jsonl lines that precede this point
    pretrained: bool = False  # `learner` holds only a generator after MLE (`init_from`)

    @classmethod
    def at_checkpoint(cls, run: RunDir) -> Start:
        state = run.resume_state()  # every file checked before anything is written
        return cls(
            RunConfig.from_dict(state["config"]),
            state["phase"],
            state["step"],
            state["learner"],
            state["torch_rng"],
            state["metric_lines"],
        )


def train(
    cfg: RunConfig,
    out: str | Path,
    resume: bool = False,
    runtime=None,
    show_progress: bool = True,
    init_from: str | Path | None = None,
    on_checkpoint=None,
    max_learner_restarts: int = 3,
) -> dict:
    """Run (or resume) Algorithm 1, writing the run directory `out`. Returns a summary dict.

    `init_from` starts after the MLE pre-training of another run (same task, generator, seed and
    MLE epochs): its generator, optimizer and MLE metrics are taken over, so methods compared in
    an experiment share one pre-training. `on_checkpoint(latest)` is called after every
    checkpoint with the latest value of every metric (Ray Tune reports from it).

    When the runtime loses the learner (on Ray: its process or node died), the run continues
    from its last checkpoint exactly as `--resume` would, at most `max_learner_restarts` times.
    """
    run = RunDir(out)
    start = Start.at_checkpoint(run) if resume else _fresh_start(cfg, run, init_from)
    runtime = runtime or LocalRuntime()
    bar = _ProgressBar(start.cfg, show_progress)
    restarts = 0
    try:
        while True:
            try:
                return _run(start, run, runtime, bar, on_checkpoint)
            except LearnerLost as lost:
                if restarts == max_learner_restarts:
                    raise UserError(_gave_up(run, start.cfg, restarts, str(lost))) from None
                restarts += 1
                if run.checkpoint.exists():  # else nothing was saved yet: start afresh
                    start = Start.at_checkpoint(run)
                print(
                    f"learner lost ({lost}); restart {restarts} of {max_learner_restarts}, "
                    f"from {start.phase} step {start.step}",
                    file=sys.stderr,
                )
    finally:
        bar.close()


def _fresh_start(cfg: RunConfig, run: RunDir, init_from: str | Path | None) -> Start:
    """Create the run directory (config.json, metrics.jsonl) and say where training begins."""
    pretrained = load_pretraining(cfg, RunDir(init_from)) if init_from is not None else None
    preflight(cfg)  # a bad oracle file or data directory fails before anything starts
    run.create()
    run.config.write_text(cfg.to_json() + "\n")
    if pretrained is None:
        return Start(cfg)
    lines = pretrained["metric_lines"]
    run.metrics.write_text("".join(line + "\n" for line in lines))
    return Start(
        cfg, "d_pretrain", 0, pretrained["learner"], pretrained["torch_rng"], len(lines), True
    )


def _gave_up(run: RunDir, cfg: RunConfig, restarts: int, reason: str) -> str:
    """The one line the CLI prints when the learner was lost once too often: what, and how on."""
    command = f"seqgan-ray train {cfg.task.kind}"
    if cfg.task.kind != "synthetic":
        command += f" {cfg.task.data}"
    where = (
        f"continue from its checkpoint {run.checkpoint} with `{command} --resume {run.path}`"
        if run.checkpoint.exists()
        else "it had no checkpoint yet; start it again"
    )
    return f"the learner was lost {restarts + 1} times (last: {reason}); {where}"


def _run(start: Start, run: RunDir, runtime, bar: _ProgressBar, on_checkpoint) -> dict:
    """Algorithm 1 from `start` to the end of the run."""
    cfg = start.cfg
    s, seed = cfg.schedule, cfg.seed
    run.truncate_metrics(start.metric_lines)  # lines after `start` are recomputed identically

    learner = runtime.make_learner(cfg)
    if start.pretrained:
        learner.load_pretrained_generator(start.learner)
    elif start.learner is not None:
        learner.load_state_dict(start.learner)
    if start.torch_rng is not None:
        learner.set_rng_state(start.torch_rng)
    progress = Progress(start.phase, start.step)
    log = MetricsLog(run)
    bar.restart(progress)

    def save(phase: str, step: int) -> None:
        checkpoint.save(
            {
                "config": cfg.to_dict(),
                "phase": phase,
                "step": step,
                "learner": learner.state_dict(),
                "torch_rng": learner.rng_state(),
                "metric_lines": run.metric_lines(),
            },
            run.checkpoint,
        )
        if on_checkpoint is not None:
            on_checkpoint({"phase": phase, "step": step, **log.latest})

    def evaluate(phase: str, step: int, last: int) -> dict[str, float]:
        if step % s.eval_interval and step != last:
            return {}
        return learner.evaluate(s.eval_samples, (seed, "eval", phase, step))

    method = cfg.method
    mle_epochs, d_pretrain_rounds, iterations = phase_lengths(cfg)

    # 1. Pre-train G by MLE on S; beta is copied from theta when the adversarial phase starts.
    for epoch in range(progress.start("mle"), mle_epochs):
        t0 = time.perf_counter()
        stats = {"pretrain/g_nll": learner.mle_epoch(epoch)["g_nll"]}
        stats |= evaluate("mle", epoch, mle_epochs - 1)
        log.log("mle", epoch, epoch=epoch, **stats, **{"perf/step_s": time.perf_counter() - t0})
        bar.advance("MLE", log.latest)
        save(*(("mle", epoch + 1) if epoch + 1 < mle_epochs else ("d_pretrain", 0)))

    # 2. Pre-train D: each round |S| fresh negatives from G, k epochs on S + negatives.
    for rnd in range(progress.start("d_pretrain"), d_pretrain_rounds):
        t0 = time.perf_counter()
        negatives = runtime.negatives(learner, cfg.num_negatives, (seed, "d_pretrain", rnd))
        stats = learner.train_discriminator(
            negatives, (seed, "d_pretrain_train", rnd), cfg.schedule.d_pretrain_k
        )
        log.log("d_pretrain", rnd, **stats, **{"perf/step_s": time.perf_counter() - t0})
        bar.advance("D pre-train", log.latest)
        save(*(("d_pretrain", rnd + 1) if rnd + 1 < d_pretrain_rounds else ("adversarial", 0)))

    # 3. Adversarial training. A baseline replaces it, iteration for iteration (the same budget):
    #    MLE and scheduled sampling train more epochs; PG-BLEU and the constant-reward control
    #    keep the policy gradient with another reward and no D.
    policy_gradient = method.policy_gradient
    first = progress.start("adversarial")
    if first < iterations and policy_gradient and not learner.adversarial_started():
        learner.start_adversarial()
    for it in range(first, iterations):
        t0 = time.perf_counter()
        stats: dict[str, float] = {}
        rollout_s = 0.0
        if not policy_gradient:
            omega = ss_omega(it, method.ss_decay) if method.scheduled_sampling else 1.0
            stats["baseline/g_nll"] = learner.mle_epoch(mle_epochs + it, omega)["g_nll"]
            stats["baseline/omega"] = omega
        g_rows = []
        for g in range(s.g_steps if policy_gradient else 0):
            # on Ray, Y stays in the object store: the driver passes its reference along
            y = learner.sample(s.batch_size, (seed, "g_batch", it, g))
            t1 = time.perf_counter()
            q = runtime.q_values(learner, y, (seed, "rollout", it, g))  # Eq. 4 (or a constant)
            rollout_s += time.perf_counter() - t1
            g_rows.append(learner.g_step(y, q, (seed, "shuffle", it, g)))
            stats |= g_rows[-1]
        stats |= mean_over_steps(g_rows)  # adv/grad_norm, adv/clipped, ... over the g-steps
        if method.uses_rollouts:
            learner.sync_rollout()
        for d in range(s.d_steps if method.uses_discriminator else 0):
            negatives = runtime.negatives(learner, cfg.num_negatives, (seed, "negatives", it, d))
            stats |= learner.train_discriminator(negatives, (seed, "d_train", it, d))
        if method.uses_discriminator:  # D's P(real) on train, held-out and fresh fake sequences
            stats |= learner.discriminator_diagnostics((seed, "diag_fake", it))
        stats |= evaluate("adversarial", it, iterations - 1)
        perf = {"perf/step_s": time.perf_counter() - t0}
        if method.uses_rollouts and rollout_s > 0:  # throughput only where roll-outs ran
            rollouts = s.g_steps * s.batch_size * s.rollout_num * (cfg.task.seq_len - 1)
            perf |= {"perf/rollout_s": rollout_s, "perf/rollouts_per_s": rollouts / rollout_s}
        log.log("adversarial", it, epoch=mle_epochs + it, **stats, **perf)
        bar.advance("adversarial", log.latest)
        if it + 1 == iterations:
            save("done", 0)
        elif (it + 1) % s.checkpoint_every == 0:
            save("adversarial", it + 1)

    if iterations == 0 and progress.phase != "done":
        save("done", 0)

    # Final evaluation on a large sample (paper Table 1 uses 100,000) and the samples file.
    final, samples, per_sequence = learner.final_evaluation(s.test_samples, (seed, "final"))
    log.log("final", 0, **final)
    run.write_samples(samples[:10_000])
    run.write_final_scores(per_sequence, main_metric(cfg).key)
    return {"out": str(run.path), **_phase_summary(run, main_metric(cfg).key), **final}


def load_pretraining(cfg: RunConfig, base: RunDir) -> dict:
    """The state after MLE pre-training in run `base`, checked to fit `cfg`."""
    state = checkpoint.load(base.checkpoint)
    other = RunConfig.from_dict(state["config"])
    if PHASES.index(state["phase"]) < PHASES.index("d_pretrain"):
        raise UserError(
            f"{base.path} has not finished MLE pre-training (it is in {state['phase']})"
        )
    # The adversarial learning rate is not used before the adversarial phase, so it may differ
    # (a sweep varies it over runs that share one pre-training).
    mine = replace(cfg, generator=replace(cfg.generator, adv_lr=other.generator.adv_lr))
    differ = [
        name
        for name in ("task", "generator", "seed")
        if getattr(other, name) != getattr(mine, name)
    ]
    if other.schedule.mle_epochs != cfg.schedule.mle_epochs:
        differ.append("schedule.mle_epochs")
    if differ:
        raise UserError(
            f"cannot start from {base.path}: its {', '.join(differ)} "
            f"{'differs' if len(differ) == 1 else 'differ'} from this run's"
        )
    lines = [ln for ln in base.metrics.read_text().splitlines() if ln.strip()]
    mle = [ln for ln in lines if json.loads(ln)["phase"] == "mle"]
    return {**state, "metric_lines": mle}


def _phase_summary(run: RunDir, key: str) -> dict[str, float]:
    from seqgan_ray.driver.rundir import read_metrics

    rows = read_metrics(run.metrics)
    summary = {}
    for phase, name in (("mle", "after_mle"), ("adversarial", "after_adversarial")):
        values = [r[f"eval/{key}"] for r in rows if r["phase"] == phase and f"eval/{key}" in r]
        if values:
            summary[f"{key}_{name}"] = values[-1]
    return summary


class _ProgressBar:
    """A rich progress bar on stderr: phase, step and the latest main metric."""

    def __init__(self, cfg: RunConfig, enabled: bool):
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        mle, d_pretrain, iterations = phase_lengths(cfg)
        self.metric = main_metric(cfg)
        total = mle + d_pretrain + iterations
        self.done = {
            "mle": 0,
            "d_pretrain": mle,
            "adversarial": mle + d_pretrain,
            "done": total,
        }
        self.bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not enabled,
        )
        self.task = self.bar.add_task("starting", total=total)
        self.bar.start()

    def restart(self, progress: Progress) -> None:
        completed = self.done[progress.phase] + progress.step
        self.bar.update(self.task, completed=completed)

    def advance(self, phase: str, latest: dict[str, float]) -> None:
        value = latest.get(f"eval/{self.metric.key}")
        text = phase if value is None else f"{phase:<12} {self.metric.label} {value:.3f}"
        self.bar.update(self.task, advance=1, description=text)

    def close(self) -> None:
        self.bar.stop()
