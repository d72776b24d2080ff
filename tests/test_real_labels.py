"""scripts/real_labels.py on made-up replies: a labeller's quotes become offsets without the text, and
the committed labels join back onto the corpus only where its text is the one labelled."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("real_labels", ROOT / "scripts" / "real_labels.py")
real_labels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real_labels)

CORPUS = {
    "shop:d1:1": {"id": "shop:d1:1", "source": "shop", "dialogue_id": "d1", "split": "dev",
                  "context": [{"role": "buyer", "text": "哪款最好"}], "text": "这款最好，这款最好卖"},
    "shop:d1:3": {"id": "shop:d1:3", "source": "shop", "dialogue_id": "d1", "split": "dev",
                  "context": [{"role": "buyer", "text": "好的"}], "text": "好的亲"},
    "shop:d2:1": {"id": "shop:d2:1", "source": "shop", "dialogue_id": "d2", "split": "test",
                  "context": [], "text": "加我微信 abc123 吧"},
    "old:w-1:5": {"id": "old:w-1:5", "source": "old", "dialogue_id": "w-1", "split": "dev2",
                  "context": "在吗,您好,能便宜吗", "text": "不能哦"},
}


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def labelled(tmp_path: Path) -> Path:
    return write(tmp_path / "batch_1.labelled.jsonl", [
        {"id": "shop:d1:1", "text": "这款最好，这款最好卖", "categories": ["extreme_word"],
         "spans": [{"category": "extreme_word", "text": "最好卖", "start": 7}], "note": "second 最好 is sales"},
        {"id": "shop:d1:3", "text": "好的亲", "categories": [], "spans": [], "note": ""},
        {"id": "shop:d2:1", "categories": ["off_platform"], "spans": [{"category": "off_platform", "text": "加我微信"}]},
        {"id": "old:w-1:5", "text": "不能哦", "categories": ["flat_refusal"],
         "spans": [{"category": "flat_refusal", "text": "不能哦"}], "note": "no reason given"},
    ])


def committed(labels: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (labels / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_convert_keeps_offsets_and_a_hash_but_no_text(tmp_path):
    labels = tmp_path / "labels"
    batch = labelled(tmp_path)
    with open(batch, "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "shop:d9:9", "text": "not labelled yet"}) + "\n")
    added, unlabelled = real_labels.convert([batch], CORPUS, labels)
    assert added == {**dict.fromkeys(real_labels.SPLITS, 0), "dev": 2, "test": 1, "dev2": 1} and unlabelled == 1
    dev = committed(labels, "dev")
    assert [r["id"] for r in dev] == ["shop:d1:1", "shop:d1:3"]
    assert dev[0] == {"id": "shop:d1:1", "sha1": real_labels.sha1("这款最好，这款最好卖"), "categories": ["extreme_word"],
                      "spans": [{"category": "extreme_word", "start": 7, "end": 10}], "note": "second 最好 is sales"}
    assert committed(labels, "test")[0]["spans"] == [{"category": "off_platform", "start": 0, "end": 4}]
    assert "不能哦" not in (labels / "dev2.jsonl").read_text(encoding="utf-8")


def test_assemble_restores_text_spans_and_context(tmp_path):
    labels, out = tmp_path / "labels", tmp_path / "real"
    real_labels.convert([labelled(tmp_path)], CORPUS, labels)
    assert real_labels.assemble(CORPUS, labels, out) == {**dict.fromkeys(real_labels.SPLITS, 0), "dev": 2, "test": 1, "dev2": 1}
    rows = [json.loads(line) for line in (out / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["text"] == "这款最好，这款最好卖"
    assert rows[0]["spans"] == [{"category": "extreme_word", "text": "最好卖", "start": 7, "end": 10}]
    assert rows[0]["context"] == [{"role": "buyer", "text": "哪款最好"}]
    assert json.loads((out / "dev2.jsonl").read_text(encoding="utf-8"))["context"] == "在吗,您好,能便宜吗"


def test_a_split_whose_sources_the_corpus_lacks_is_left_out_and_said(tmp_path, capsys):
    labels, out = tmp_path / "labels", tmp_path / "real"
    real_labels.convert([labelled(tmp_path)], CORPUS, labels)
    dev2_ids = {json.loads(line)["id"] for line in (labels / "dev2.jsonl").read_text(encoding="utf-8").splitlines()}
    without = {k: v for k, v in CORPUS.items() if k not in dev2_ids}
    assert real_labels.assemble(without, labels, out)["dev2"] == 0
    assert "dev2: none of its" in capsys.readouterr().err
    assert (out / "dev.jsonl").exists() and not (out / "dev2.jsonl").exists()


def test_assemble_refuses_a_corpus_whose_text_changed(tmp_path):
    labels = tmp_path / "labels"
    real_labels.convert([labelled(tmp_path)], CORPUS, labels)
    changed = {**CORPUS, "shop:d2:1": {**CORPUS["shop:d2:1"], "text": "加我微信 abc124 吧"}}
    with pytest.raises(real_labels.LabelError, match="sha1"):
        real_labels.assemble(changed, labels, tmp_path / "real")
    assert not (tmp_path / "real").exists()


@pytest.mark.parametrize("row, message", [
    ({"id": "shop:d1:3", "categories": ["rudeness"], "spans": [{"category": "rudeness", "text": "好的"}]},
     "unknown category"),
    ({"id": "shop:d1:3", "categories": ["extreme_word"], "spans": [{"category": "extreme_word", "text": "最好"}]},
     "not the reply's words"),
    ({"id": "shop:d1:3", "categories": ["extreme_word"], "spans": []}, "has no span"),
    ({"id": "shop:d1:3", "text": "好的哦", "categories": [], "spans": []}, "differs from the corpus"),
    ({"id": "shop:d9:1", "categories": [], "spans": []}, "not in the corpus"),
])
def test_convert_rejects_bad_labels(tmp_path, row, message):
    with pytest.raises(real_labels.LabelError, match=message):
        real_labels.convert([write(tmp_path / "bad.jsonl", [row])], CORPUS, tmp_path / "labels")


def test_a_reply_labelled_twice_differently_must_be_settled(tmp_path):
    first = write(tmp_path / "a.jsonl", [{"id": "shop:d1:3", "categories": [], "spans": []}])
    second = write(tmp_path / "b.jsonl", [{"id": "shop:d1:3", "categories": ["extreme_word"],
                                            "spans": [{"category": "extreme_word", "text": "好的亲"}]}])
    with pytest.raises(real_labels.LabelError, match="labelled differently"):
        real_labels.convert([first, second], CORPUS, tmp_path / "labels")
    real_labels.convert([first, first], CORPUS, tmp_path / "labels")  # the same call twice is one label
    assert len(committed(tmp_path / "labels", "dev")) == 1


def test_no_dialogue_may_be_in_two_splits():
    dev = [("dev.jsonl", {"id": "a", "source": "shop", "dialogue_id": "d1", "text": "好的", "categories": []})]
    test = [("test.jsonl", {"id": "b", "source": "shop", "dialogue_id": "d1", "text": "嗯", "categories": []})]
    with pytest.raises(real_labels.LabelError, match="in dev and test"):
        real_labels.check_splits({"dev": dev, "test": test})
