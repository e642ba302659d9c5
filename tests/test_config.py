import dataclasses
import json

import pytest

from seqgan_ray import config as C
from seqgan_ray import presets


def test_paper_preset_is_design_section_2():
    p = presets.PAPER
    assert (p.task.vocab_size, p.task.seq_len, p.schedule.batch_size, p.task.num_train) == (
        5000,
        20,
        64,
        10_000,
    )
    assert (p.generator.emb_dim, p.generator.hidden_dim, p.generator.lr, p.generator.grad_clip) == (
        32,
        32,
        0.01,
        5.0,
    )
    assert p.discriminator.filter_sizes == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
    assert p.discriminator.total_filters == 1720
    assert (
        p.discriminator.emb_dim,
        p.discriminator.dropout,
        p.discriminator.lr,
        p.discriminator.l2_reg,
    ) == (64, 0.25, 1e-4, 0.2)
    s = p.schedule
    assert (s.mle_epochs, s.d_pretrain_rounds, s.k_epochs, s.adversarial_iterations) == (
        120,
        50,
        3,
        200,
    )
    assert (s.g_steps, s.rollout_num, s.d_steps, s.eval_interval) == (1, 16, 5, 5)
    assert (s.eval_samples, s.test_samples) == (10_000, 100_000)


@pytest.mark.parametrize(
    "section, changes, message",
    [
        ("schedule", {"rollout_num": 0}, "rollout_num must be >= 1"),
        ("schedule", {"rollout_update_rate": -0.1}, "rollout_update_rate must be in"),
        ("schedule", {"k_epochs": 0}, "k_epochs must be >= 1"),
        ("schedule", {"d_pretrain_epochs": 0}, "d_pretrain_epochs must be >= 1"),
        ("generator", {"lr": -1.0}, "generator lr must be > 0"),
        ("discriminator", {"dropout": 1.0}, "dropout must be in"),
        ("discriminator", {"num_filters": (1, 2)}, "equal length"),
        ("task", {"seq_len": 0}, "seq_len T must be >= 1"),
        (
            "task",
            {"seq_len": 10},
            "filter sizes [15, 20] are longer than the sequence length T = 10",
        ),
    ],
)
def test_invalid_values_raise_one_clear_error(section, changes, message):
    with pytest.raises(C.ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        C.override(presets.PAPER, section, **changes)


def test_several_problems_are_reported_together():
    with pytest.raises(C.ConfigError) as exc:
        C.ScheduleConfig(rollout_num=0, batch_size=0)
    assert "rollout_num" in str(exc.value) and "batch_size" in str(exc.value)


def test_json_round_trip_and_unknown_keys(tmp_path):
    for cfg in presets.PRESETS.values():
        assert C.RunConfig.from_dict(json.loads(cfg.to_json())) == cfg
    path = tmp_path / "c.json"
    data = presets.DEMO.to_dict()
    data["schedule"]["rollout_nmu"] = 3
    path.write_text(json.dumps(data))
    with pytest.raises(C.ConfigError, match="unknown key.*rollout_nmu"):
        C.RunConfig.from_file(path)


def test_presets_are_named_and_unknown_ones_rejected():
    assert set(presets.PRESETS) >= {"paper", "demo", "tiny"}
    with pytest.raises(C.ConfigError, match="unknown preset 'papr'"):
        presets.preset("papr")


@pytest.mark.parametrize(
    "name, changed",
    [
        (
            "fig3-g100-d1-k10",
            {"g_steps": 100, "d_steps": 1, "k_epochs": 10, "d_pretrain_epochs": 3},
        ),
        ("fig3-g30-d1-k30", {"g_steps": 30, "d_steps": 1, "k_epochs": 30, "d_pretrain_epochs": 3}),
        ("fig3-g1-d1-k10", {"g_steps": 1, "d_steps": 1, "k_epochs": 10, "d_pretrain_epochs": 3}),
        ("fig3-g1-d5-k3", {"g_steps": 1, "d_steps": 5, "k_epochs": 3, "d_pretrain_epochs": 3}),
        ("pretrain20", {"mle_epochs": 20}),
    ],
)
def test_ablation_presets_change_only_their_figure_3_or_appendix_knobs(name, changed):
    cfg = presets.preset(name)
    assert cfg.schedule == dataclasses.replace(presets.PAPER.schedule, **changed)
    assert dataclasses.replace(cfg, schedule=presets.PAPER.schedule) == presets.PAPER
