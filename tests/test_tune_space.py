"""The sweep's pure parts: search-space files, applying trial parameters, the fit check."""

import json

import pytest

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.errors import UserError
from seqgan_ray.studies.tune import DEFAULT_SPACE, apply_params, check_fits, load_space


def test_default_space_covers_the_papers_fragile_knobs():
    assert {
        "schedule.g_steps",
        "schedule.d_steps",
        "schedule.k_epochs",
        "schedule.rollout_num",
        "generator.adv_lr",
        "schedule.rollout_update_rate",
    } == set(DEFAULT_SPACE)
    assert load_space(None) is DEFAULT_SPACE


def test_trial_parameters_apply_to_their_sections():
    cfg = apply_params(presets.TINY, {"schedule.g_steps": 3, "generator.adv_lr": 0.002})
    assert cfg.schedule.g_steps == 3 and cfg.generator.adv_lr == 0.002
    assert cfg.task == presets.TINY.task
    with pytest.raises(C.ConfigError, match="rollout_num"):
        apply_params(presets.TINY, {"schedule.rollout_num": 0})


def test_search_space_file_is_checked(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"schedule.k_epochs": {"choice": [1, 2]}}))
    assert load_space(good) == {"schedule.k_epochs": {"choice": [1, 2]}}
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"schedule.gsteps": {"choice": [1]}, "generator.lr": {"normal": [0, 1]}})
    )
    with pytest.raises(
        UserError, match="'schedule.gsteps' is not a config field.*'generator.lr' needs"
    ):
        load_space(bad)
    with pytest.raises(UserError, match="not found"):
        load_space(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        load_space(tmp_path / "junk.json")


def test_a_trial_larger_than_the_cluster_fails_fast():
    check_fits([{"CPU": 2.0}], {"CPU": 2.0})
    with pytest.raises(UserError, match="needs 3 CPU .* cluster has 2"):
        check_fits([{"CPU": 1.0}, {"CPU": 2.0}], {"CPU": 2.0})
    with pytest.raises(UserError, match="needs 1 GPU"):
        check_fits([{"CPU": 1.0, "GPU": 1.0}], {"CPU": 8.0})
