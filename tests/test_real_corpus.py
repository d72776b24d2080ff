"""scripts/real_corpus.py on made-up source files laid out like the three public repositories."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("real_corpus", ROOT / "scripts" / "real_corpus.py")
real_corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real_corpus)

CHAT = ("s1\tU1\t0\t0\t0\tnan\t在吗\n"
        "s1\tU1\t0\t0\t0\tnan\t能改地址吗\n"
        "s1\tU1\t1\t0\t0\tnan\t您好 \n"
        "s1\tU1\t1\t0\t0\tnan\t可以的\n"
        "s2\tU2\t1\t0\t0\tnan\t有什么可以帮您\n")
ECD = ("0\t在 吗\t在 的 亲\t包邮 吗\t不 包邮\n"
       "1\t在 吗\t在 的 亲\t包邮 吗\t满 99 包邮 哦\n")


def sources(tmp_path: Path) -> Path:
    (tmp_path / "a" / "data").mkdir(parents=True)
    (tmp_path / "a" / "data" / "chat_0.1per.txt").write_text(CHAT, encoding="utf-8")
    (tmp_path / "b" / "ECD_sample").mkdir(parents=True)
    (tmp_path / "b" / "ECD_sample" / "train").write_text(ECD, encoding="utf-8")
    (tmp_path / "b" / "ECD_sample" / "test").write_text("", encoding="utf-8")
    (tmp_path / "c").mkdir()
    for part, n in (("train", 3), ("test", 1)):
        (tmp_path / "c" / f"{part}.enc").write_text("".join(f"问{i},答,问,答,问,\n" for i in range(n)), encoding="utf-8")
        (tmp_path / "c" / f"{part}.dec").write_text("".join(f"好的,亲{i},\n" for i in range(n)), encoding="utf-8")
    return tmp_path


def test_every_agent_reply_with_its_buyer_turn_and_text_as_given(tmp_path):
    rows = {r["id"]: r for r in real_corpus.build([sources(tmp_path)], dev2_size=2)}
    first = rows["jddc2019:s1:2"]
    assert first["text"] == "您好 "
    assert first["context"] == [{"role": "buyer", "text": "在吗"}, {"role": "buyer", "text": "能改地址吗"}]
    assert rows["jddc2019:s1:3"]["context"] == first["context"]
    assert rows["jddc2019:s2:0"]["context"] == []
    assert rows["jddc2019:s1:2"]["split"] == rows["jddc2019:s1:3"]["split"] == real_corpus.split_of("jddc2019", "s1")
    assert {r["split"] for r in rows.values() if r["source"] != "jddc2018"} <= {"dev", "test"}


def test_ecd_true_response_turns_lose_segmentation_spaces_between_cjk_only(tmp_path):
    rows = [r for r in real_corpus.build([sources(tmp_path)], dev2_size=2) if r["source"] == "ecd"]
    assert [(r["id"], r["text"]) for r in rows] == [("ecd:train-2:1", "在的亲"), ("ecd:train-2:3", "满 99 包邮哦")]
    assert rows[1]["context"] == [{"role": "buyer", "text": "包邮吗"}]


def test_dev2_is_a_deterministic_sample_of_whole_windows(tmp_path):
    root = sources(tmp_path)
    pool = [r for r in real_corpus.build([root], dev2_size=2) if r["source"] == "jddc2018"]
    rows = [r for r in pool if r["split"] == "dev2"]
    rest = [r for r in pool if r["split"] != "dev2"]
    assert len(rows) == 2 and {r["split"] for r in rest} <= {"dev3"}
    # the rest of the pool is dev3, from other windows
    assert not {r["dialogue_id"] for r in rows} & {r["dialogue_id"] for r in rest}
    assert all(r["text"].startswith("好的,亲") and not r["text"].endswith(",") for r in rows)
    assert all(r["context"].endswith("问") for r in rows)
    again = [r for r in real_corpus.build([root], dev2_size=2) if r["source"] == "jddc2018"]
    assert again == pool
