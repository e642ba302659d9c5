"""`seqgan-ray bench`: the hot paths timed (cli.py mounts it next to the training commands)."""

from __future__ import annotations

import json

import typer

from seqgan_ray.errors import UserError

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks of the hot paths.")


def set_threads(threads: int | None) -> None:
    """`--threads` of every command that computes (train, bench): torch CPU threads."""
    import torch

    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads must be >= 1 (got {threads})")
        torch.set_num_threads(threads)


@bench_app.command("rollout")
def bench_rollout(
    vocab: int = typer.Option(5000, help="vocabulary size V"),
    seq_len: int = typer.Option(20, help="sequence length T"),
    batch: int = typer.Option(64, help="sequences per g-step B"),
    rollouts: int = typer.Option(16, help="Monte Carlo roll-outs N"),
    repeats: int = typer.Option(3, help="timed repetitions (after one warm-up)"),
    threads: int | None = typer.Option(None, help="torch CPU threads"),
    score_dtype: str = typer.Option("float32", help="float32 or bfloat16 for D"),
    device: str = typer.Option("cpu", help="cpu or cuda"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    workers: int = typer.Option(
        0, help="K roll-out actors (one CPU each) on a local Ray; 0: in this process"
    ),
    verbose: bool = typer.Option(False, help="show Ray's start-up and worker logs"),
) -> None:
    """Time Q(s,a) for one g-step with the paper's generator and discriminator shapes."""
    import torch

    from seqgan_ray.studies.bench import time_rollout

    set_threads(threads)
    if workers < 0:
        raise UserError(f"--workers must be >= 0 (got {workers})")
    if workers:
        from seqgan_ray.studies.bench import time_pool

        result = time_pool(workers, vocab, seq_len, batch, rollouts, repeats, verbose)
        if as_json:
            typer.echo(json.dumps(result))
            return
        typer.echo(
            f"Q(s,a) for B={batch} T={seq_len} V={vocab} N={rollouts} on {workers} roll-out "
            f"actor(s): median {result['seconds_per_q']:.3f} s per g-step (min {result['min']:.3f}, "
            f"max {result['max']:.3f}); broadcast + scheduling + gather {result['overhead_s']:.3f} s "
            f"({100 * result['overhead_fraction']:.1f}%), of which ray.put {result['broadcast_s']:.4f} s"
        )
        return
    result = time_rollout(vocab, seq_len, batch, rollouts, repeats, score_dtype, device)
    result["threads"] = torch.get_num_threads()
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(
            f"Q(s,a) for B={batch} T={seq_len} V={vocab} N={rollouts} ({score_dtype}, {result['threads']} threads): "
            f"median {result['seconds_per_q']:.3f} s (min {result['min']:.3f}, max {result['max']:.3f}, {repeats} runs); "
            f"max |Q - Q_fp32| = {result['q_max_abs_diff_vs_fp32']:.1e}, max relative error "
            f"where Q ~ 1e-3: {100 * result['q_small_max_rel_diff_vs_fp32']:.2f}%"
        )


@bench_app.command("d-epoch")
def bench_d_epoch(
    sequences: int = typer.Option(20000, help="sequences per epoch (paper d-step: 10k + 10k)"),
    threads: int | None = typer.Option(2, help="torch CPU threads"),
    filters: str = typer.Option("paper", help="paper (1,720 filters) or quarter (table1-cpu)"),
    repeats: int = typer.Option(3, help="timed epochs (after a short warm-up)"),
    vocab: int = typer.Option(5000, help="vocabulary size V"),
    seq_len: int = typer.Option(20, help="sequence length T"),
    dtype: str = typer.Option("float32", help="float32 or bfloat16 (D's GEMMs under autocast)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Time one epoch of D training as the d-steps run it (fused Adam, dropout, L2, batches of
    64) on random token rows; prints the median and the fp32 FLOP floor at this machine's
    measured GEMM rate."""
    import torch

    from seqgan_ray.studies.bench import time_d_epoch

    set_threads(threads)
    result = time_d_epoch(sequences, filters, repeats, vocab, seq_len, dtype=dtype)
    result["threads"] = torch.get_num_threads()
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(
        f"D epoch on {sequences} sequences ({filters} filters, {dtype}, V={vocab} T={seq_len}, "
        f"{result['threads']} threads): median {result['seconds_per_epoch']:.3f} s "
        f"(min {result['min']:.3f}, max {result['max']:.3f}, {repeats} runs); fp32 FLOP floor "
        f"{result['flop_floor_s']:.3f} s at {result['gemm_gflops']:.0f} GFLOP/s "
        f"({result['floor_ratio']:.2f}x the floor)"
    )
