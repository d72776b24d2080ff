"""--config overrides: tables merge key by key, lists replace whole, unknown keys are errors."""
from __future__ import annotations

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError


def config_file(tmp_path, text):
    path = tmp_path / "shop.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_tables_merge_key_by_key(tmp_path):
    cfg = load_config(config_file(tmp_path, "[targets]\nfollow_up_seconds = 120\n"))
    assert cfg.target_seconds("presale", False) == 120
    assert cfg.target_seconds("presale", True) == 30  # untouched key keeps the shipped value
    assert cfg.target_seconds("aftersale", True) == 300  # untouched table too


def test_lists_replace_the_shipped_list_whole(tmp_path):
    cfg = load_config(config_file(tmp_path, '[[shifts]]\nname = "day"\nstart = "9:00"\nend = "18:00"\n'))
    assert [(s.name, s.start_s, s.end_s) for s in cfg.shifts] == [("day", 9 * 3600, 18 * 3600)]
    assert load_config(config_file(tmp_path, "shifts = []\n")).shifts == []


@pytest.mark.parametrize("text, names", [
    ("[sessions]\nidle_minutez = 5\n", "sessions.idle_minutez"),
    ("colour = 'red'\n", "colour"),
    ('[[shifts]]\nstart = "25:00"\nend = "08:00"\n', "shifts[0].start"),
    ('[[shifts]]\nstart = "08:00"\nend = "08:00"\n', "shifts[0]"),
    ("timezone = 'Mars/Olympus'\n", "Mars/Olympus"),
    ("[conversion]\nwindow_days = 30\n", "conversion.window_days"),
    ("[conversion]\nattribution = 'last_click'\n", "conversion.attribution"),
    ("[targets.roles.boss]\nfirst_response_seconds = 1\n", "targets.roles.boss"),
    ("[targets\n", "not valid TOML"),
])
def test_mistakes_name_the_file_and_the_key(tmp_path, text, names):
    path = config_file(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_config(path)
    assert str(path) in str(err.value) and names in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(UserError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_file_names_in_a_config_are_relative_to_it(tmp_path):
    (tmp_path / "rules").mkdir()
    cfg = load_config(config_file(tmp_path, '[rules]\nfiles = ["rules/shop.yaml"]\n[scoring]\nscorecard = "card.toml"\n'))
    assert cfg.rule_files == [(tmp_path / "rules" / "shop.yaml").resolve()]
    assert cfg.scorecard_path == (tmp_path / "card.toml").resolve()
