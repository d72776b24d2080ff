"""scripts/real_corpus.py on made-up source files laid out like the public repositories."""
from __future__ import annotations

import hashlib
import importlib.util
import json
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
    later_sources(tmp_path / "later")
    return tmp_path


LONG = "您好这边帮您查询到快递已经到达站点了预计今天下午就可以送到您的手上请您保持电话畅通哦"  # over 27 characters
QUESTION = ("<session s_1>\n<context>\nQ:\t在吗!@@@!我要退货\nA:\t您好!@@@!请问什么问题<sep>您好<sep>NULL\n"
            "Q:\tNULL\nA:\tNULL<sep>好的<sep>NULL\n</context>\n<Q1>怎么退</Q1>\n</session s_1>\n")
ANSWER = "<session s_1>\n在订单页面申请就可以了<sep>您在订单页面申请<sep>NULL\n</session s_1>\n"
DIALOGUE = "[SEP][CLS]".join(["用户:你好", "用户:我的快递三天了还没有到呢", f"客服:{LONG[:27]}", "客服:亲亲请您稍等一下哦",
                              "商家:好的谢谢你啊", "客服:" + ("这句客服回复被截断了而没有完整的原文" * 2)[:27]])
PAIRS = ["[(0.9, '怎么退款<q>急', '亲亲申请售后就可以退款了'),\n", " (0.5, '在吗', '在的呢')]\n"]


def notebook(output: dict) -> str:
    return json.dumps({"cells": [{"outputs": []}, {"outputs": [output]}]})


def later_sources(root: Path) -> None:
    files = {
        "jddc/data/dev_question.txt": QUESTION, "jddc/data/dev_answer.txt": ANSWER,
        "tods/data/CSDS/topic/test.json": json.dumps([{"Dialogue": DIALOGUE}, {"Dialogue": DIALOGUE}]),
        "tods/data/CSDS/topic/val.json": "[]",
        "csds/results/final/ext_gold_refs.txt": f"用户:我的快递三天了还没有到呢。客服:{LONG}。客服:亲亲请您稍等一下哦。客服:感谢您的耐心等待。\n",
        "kplug/data_sample/jddc/raw/train.tgt": "谢谢您的支持哦\n有什么 可以帮您\n好\n",
        "kplug/data_sample/jddc/raw/valid.tgt": "谢谢您的支持哦\n", "kplug/data_sample/jddc/raw/test.tgt": "",
        "zengbin/final/ipynb/test_tfidf_ir.ipynb": notebook({"text": PAIRS}),
        "zengbin/final/ipynb/test_bm25_ir.ipynb": notebook({"data": {"text/plain": ["['在的亲，请问有什么需要']"]}}),
        "zengbin/final/ipynb/test_dqn_ir.ipynb": notebook({"text": []}),
        "zengbin/final/ipynb/answers_analyze.ipynb": notebook({"text": ["['亲亲这边帮您登记\\t2.0', '输出答案']\n"]}),
        "uneed/examples.md": "# 美妆\n```json\n" + json.dumps({"sid": "x1", "dialogue": [
            {"seq_no": 1, "sender_type": "用户", "send_content": "有套装吗"},
            {"seq_no": 2, "sender_type": "客服", "send_content": "您想要什么类型的呢"}]}, ensure_ascii=False) + "\n```\n",
    }
    files.update({f"csds/{name}": "" for name in real_corpus.CSDS_RESULTS if f"csds/{name}" not in files})
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_every_agent_reply_with_its_buyer_turn_and_text_as_given(tmp_path):
    rows = {r["id"]: r for r in real_corpus.build([sources(tmp_path)], dev2_size=2)}
    first = rows["jddc2019:s1:2"]
    assert first["text"] == "您好 "
    assert first["context"] == [{"role": "buyer", "text": "在吗"}, {"role": "buyer", "text": "能改地址吗"}]
    assert rows["jddc2019:s1:3"]["context"] == first["context"]
    assert rows["jddc2019:s2:0"]["context"] == []
    assert rows["jddc2019:s1:2"]["split"] == rows["jddc2019:s1:3"]["split"] == real_corpus.split_of("jddc2019", "s1")
    assert {r["split"] for r in rows.values() if r["source"] in ("jddc2019", "ecd")} <= {"dev", "test"}


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


def later(tmp_path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in real_corpus.build([sources(tmp_path)], dev2_size=2) if r["split"] in ("dev4", "test4")}


def test_later_sources_split_dev4_test4_by_the_md5_of_their_dialogue(tmp_path):
    rows = later(tmp_path)
    assert {r["source"] for r in rows.values()} == {real_corpus.JDDC2019_DEV, real_corpus.TODS, real_corpus.CSDS,
                                                     real_corpus.KPLUG, real_corpus.ZENGBIN, real_corpus.UNEED}
    for r in rows.values():
        assert r["id"] == f"{r['source']}:{r['dialogue_id']}:{r['turn']}"
        dialogue = r["id"].rsplit(":", 1)[0]
        assert r["split"] == ("test4" if int(hashlib.md5(dialogue.encode()).hexdigest(), 16) % 2 else "dev4")


def test_jddc2019_dev_keeps_the_agents_own_turn_of_each_answer(tmp_path):
    rows = later(tmp_path)
    source = real_corpus.JDDC2019_DEV
    first = rows[f"{source}:data/dev_question.txt:s_1:ctx1"]
    assert first["text"] == "您好 请问什么问题"
    assert first["context"] == [{"role": "buyer", "text": "在吗"}, {"role": "buyer", "text": "我要退货"}]
    assert f"{source}:data/dev_question.txt:s_1:ctx2" not in rows  # NULL
    assert rows[f"{source}:data/dev_answer.txt:s_1:Q1"]["text"] == "在订单页面申请就可以了"
    assert rows[f"{source}:data/dev_answer.txt:s_1:Q1"]["context"] == [{"role": "buyer", "text": "怎么退"}]


def test_tods_cut_utterances_restored_from_the_csds_extracts_or_left_out(tmp_path):
    rows = later(tmp_path)
    tods = {r["turn"]: r for r in rows.values() if r["source"] == real_corpus.TODS}
    assert set(tods) == {"utt2", "utt3"}  # the dialogue repeated is read once; utt5 cannot be restored
    assert tods["utt2"]["text"] == LONG
    assert tods["utt2"]["dialogue_id"] == "data/CSDS/topic/test.json:entry0"
    assert tods["utt3"]["context"] == [{"role": "buyer", "text": "你好"}, {"role": "buyer", "text": "我的快递三天了还没有到呢"}]
    # the extracts give only what TODS does not
    assert [(r["id"], r["text"], r["context"]) for r in rows.values() if r["source"] == real_corpus.CSDS] == [
        (f"{real_corpus.CSDS}:results/final/ext_gold_refs.txt:dlg0:seg3", "感谢您的耐心等待", None)]


def test_later_replies_already_said_too_short_or_repeated_are_left_out(tmp_path):
    rows = later(tmp_path)
    kplug = [(r["dialogue_id"], r["text"]) for r in rows.values() if r["source"] == real_corpus.KPLUG]
    # 有什么 可以帮您 is jddc2019's 有什么可以帮您, 好 too short, valid's line a repeat
    assert kplug == [("data_sample/jddc/raw/train.tgt:line1", "谢谢您的支持哦")]


def test_printed_notebook_lists_and_uneed_dialogues(tmp_path):
    rows = later(tmp_path)
    zengbin = {r["id"].split(":", 1)[1]: r for r in rows.values() if r["source"] == real_corpus.ZENGBIN}
    assert zengbin["final/ipynb/test_tfidf_ir.ipynb:cell1.0:0"]["text"] == "亲亲申请售后就可以退款了"
    assert zengbin["final/ipynb/test_tfidf_ir.ipynb:cell1.0:0"]["context"] == [
        {"role": "buyer", "text": "怎么退款"}, {"role": "buyer", "text": "急"}]
    assert zengbin["final/ipynb/test_tfidf_ir.ipynb:cell1.0:1"]["text"] == "在的呢"
    assert zengbin["final/ipynb/test_bm25_ir.ipynb:cell1.0:0"]["context"] is None
    assert [r["text"] for k, r in zengbin.items() if "answers_analyze" in k] == ["亲亲这边帮您登记"]
    uneed = rows[f"{real_corpus.UNEED}:examples.md:x1:2"]
    assert uneed["text"] == "您想要什么类型的呢" and uneed["context"] == [{"role": "buyer", "text": "有套装吗"}]


def test_without_the_later_sources_the_first_splits_still_build(tmp_path, capsys):
    root = sources(tmp_path)
    import shutil
    shutil.rmtree(root / "later")
    rows = real_corpus.build([root], dev2_size=2)
    assert {r["split"] for r in rows} <= {"dev", "test", "dev2", "dev3"} and rows
    assert "dev4 and test4 are not built" in capsys.readouterr().err
