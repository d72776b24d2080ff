"""Extract the real agent replies of the public dialogue sets into OUT_DIR/replies.jsonl (never into the repository).

    python scripts/real_corpus.py OUT_DIR [SOURCE ...]

Each SOURCE is a git directory (bare or a clone) of one of the repositories below, or a folder holding
its files extracted; without SOURCE, $CHAT_QC_REAL_CORPUS names a folder holding them (searched three
levels deep). The text is third-party and may not be redistributed, so OUT_DIR must lie outside the
repository; tests/data/real/README.md says how the labels are joined back onto it.

    jddc2019  EndlessLethe/jddc2019-3th-retrieve-model   data/chat_0.1per.txt   every agent message
    ecd       cooelf/DeepUtteranceAggregation            ECD_sample/{train,test} agent turns of true responses
    jddc2018  SimonJYang/JDDC-Baseline-Seq2Seq           data/{train,test}.{enc,dec} the A of QAQAQ+A, sampled

and the later sources (dev4 / test4), whose source is their repository and whose replies are kept only
when no earlier reply says the same (`later_replies`):

    EndlessLethe/jddc2019-3th-retrieve-model  data/dev_{question,answer}.txt   JDDC 2019 evaluation set
    xiaolinAndy/TODS                          data/CSDS/topic/{test,val}.json   CSDS dialogues (cut at 27 chars)
    xiaolinAndy/CSDS                          results/*/...txt                   extractive summaries of CSDS test
    xu-song/k-plug                            data_sample/jddc/raw/*.tgt         JDDC response sample
    zengbin93/jddc_solution_4th               final/ipynb/*.ipynb                printed JDDC 2018 answers
    LeeeeoLiu/U-NEED                          examples.md                        Taobao example dialogues

and the JDDC 2.1 sample (dev5 / test5), built when all the above are present:

    wzf2000/Recommendability_DASFAA2024       datasets/JDDC/1_{train,dev,test}.json  JD 2021 challenge logs

One JSON object per line: `id` (`<source>:<dialogue_id>:<turn>`), `source`, `dialogue_id`, `turn`,
`split` (dev / test by dialogue, md5 parity; dev2 and dev3 for jddc2018; dev4 / test4 for the later
sources; dev5 / test5 for JDDC 2.1), `context`, `text`. The output depends only on the source files, so the same files always give
the same ids, splits and sample.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV2_SIZE = 4500

# Git blob ids of the files the corpus was built from; a different blob means a different corpus, and
# the labels' sha1 check will say which replies no longer match.
FILES = {
    "jddc2019": {"data/chat_0.1per.txt": "116c666fe0b2cd062a98d7e2b15b44f6f9f6802b"},
    "ecd": {"ECD_sample/train": "2c23b0f621b8f62070197775dc647a3cf2122ce5",
            "ECD_sample/test": "081d3929f1837bce88149a4878df8d7cb29327e0"},
    "jddc2018": {"data/train.enc": "6e698c6391277e7f6513ef4eba538277bc5d9f97",
                 "data/train.dec": "9e0e546a1802c2d0bb44970866167c0f04cd1d1b",
                 "data/test.enc": "e2f539b66ac7c6155ca704f6419700056f790328",
                 "data/test.dec": "b0191bf02aea11a1ba4d944634fd213c69601940"},
}

# The later sources, named by their repository (their ids begin with it).
JDDC2019_DEV = "EndlessLethe/jddc2019-3th-retrieve-model"
TODS = "xiaolinAndy/TODS"
CSDS = "xiaolinAndy/CSDS"
KPLUG = "xu-song/k-plug"
ZENGBIN = "zengbin93/jddc_solution_4th"
UNEED = "LeeeeoLiu/U-NEED"
LATER_SPLITS = ("dev4", "test4")
# CSDS extractive summaries: the oracles (ordered as in the dialogue) first, then the models
CSDS_RESULTS = {
    "results/final/ext_gold_refs.txt": "95ce908c454d0cccc1acf3fbfa5e4f791f0c142a",
    "results/final/ext_rouge_refs.txt": "914f754f607a8389bae4577ce5eeceb88311a8ae",
    "results/agent/bert_ext_preds.txt": "a9eb8a05ce417fad35beb792df78493717f03297",
    "results/agent/bert_ext_true_preds.txt": "053990e365f2df3829c619a05f90837b1bce5b47",
    "results/agent/lex_preds.txt": "9dbcdb29a71e6b50ef7a54e99803ecc1a7419dce",
    "results/agent/lex_true_preds.txt": "e74f1c8d0357a8eb6eb70981247e35a83eb588c7",
    "results/agent/longest_preds.txt": "b62535e279c7b39970cf06b01a21fea35f37b7d1",
    "results/agent/longest_true_preds.txt": "9eaed712a59990fc6681e1335979b812b48f5c31",
    "results/agent/summarunner_preds.txt": "fea0ba5b2d3a6e5e67bae4f205a58bbeb3007b6c",
    "results/agent/summarunner_true_preds.txt": "8770355b3cf3c178e871d9cfd51203756b961176",
    "results/final/bert_ext_preds.txt": "5166762ececf4a17da5b3032b715cddedd5ffad2",
    "results/final/bert_ext_true_preds.txt": "bb7b3bc285315a6d3eb04731f1011687a91b8dcb",
    "results/final/lex_preds.txt": "0e57e4a1921b2a9883499d13b2a7694ed4075ec1",
    "results/final/lex_true_preds.txt": "86af4b68216be24475d325dedd7bee132648a410",
    "results/final/longest_preds.txt": "78d5171fdc567395b3f0bb5444bc178be741ee86",
    "results/final/longest_true_preds.txt": "e7619967a8ab747a4e00fe3a825bfca81db393b2",
    "results/final/summarunner_preds.txt": "9067eb7c9e72f93af88506f3757ac42633de892f",
    "results/final/summarunner_true_preds.txt": "9067eb7c9e72f93af88506f3757ac42633de892f",
    "results/user/bert_ext_preds.txt": "5812cdf8c37a6101a73e34d31a5147080f75864e",
    "results/user/bert_ext_true_preds.txt": "72d4ce9c92ffbc302c063900a781c83ba607d59f",
    "results/user/lex_preds.txt": "a793a00ec5f72ed1502b549ba803abb84806f316",
    "results/user/lex_true_preds.txt": "14a1baf45668d611dcbd4d036b0c7964aa2da798",
    "results/user/longest_preds.txt": "7054ab8996b6c529c340dd7c72cb1a90b3ee809f",
    "results/user/longest_true_preds.txt": "1615d4a39d07e4358043634323a6524e62672992",
    "results/user/summarunner_preds.txt": "7d4cb453d8f71711d7965dd1426e50b737cb9813",
    "results/user/summarunner_true_preds.txt": "1e354604e942583b415c6b0e8819d6fd780a9b75",
}
FILES.update({
    JDDC2019_DEV: {"data/dev_question.txt": "9fd14ae32bf30821cb381662dc4cfa33dc9e9dfe",
                   "data/dev_answer.txt": "7aa16aa19019fc7d56d7f5b3268d9c87165c437d"},
    TODS: {"data/CSDS/topic/test.json": "64338228dbb19f35ef48a70e1dfab44b1ec56e68",
           "data/CSDS/topic/val.json": "4fac3ad27b9b04bf6fb35a1b69efb3fd0edb6525"},
    CSDS: CSDS_RESULTS,
    KPLUG: {"data_sample/jddc/raw/train.tgt": "ba847c72a2a42bb209a7256b70af4a9bb0a16bf5",
            "data_sample/jddc/raw/valid.tgt": "3da63f2ec56addf2d81c5d178aee14e9f4220ec6",
            "data_sample/jddc/raw/test.tgt": "98a5afd6cd65dec2c9cb0080071eea80cd19449b"},
    ZENGBIN: {"final/ipynb/test_tfidf_ir.ipynb": "859f87c6ce0a7c785b67ff7bd45bd31aba3260c7",
              "final/ipynb/test_bm25_ir.ipynb": "bc91f1388d37135d6d4e12dad2823dfc5293bf6c",
              "final/ipynb/test_dqn_ir.ipynb": "b9c4337578e51739954f92e0bdb3fa885345fcd2",
              "final/ipynb/answers_analyze.ipynb": "5a82f74feab58fdbb66e8e4f1ef4a058be8e7c40"},
    UNEED: {"examples.md": "9b9db8312c95c4cccaa2825030ac988ee6ae29df"},
})
# The JDDC 2.1 sample (dev5 / test5): 1,000 dialogues of JD's 2021 challenge logs, agent 客服, buyer 顾客.
JDDC21 = "wzf2000/Recommendability_DASFAA2024"
JDDC21_SPLITS = ("dev5", "test5")
FILES[JDDC21] = {"datasets/JDDC/1_train.json": "4f35634504efc0b1230b756445167f3027c26c48",
                 "datasets/JDDC/1_dev.json": "c2ea65569bd07c68058e116b9a4e874468bfe3e3",
                 "datasets/JDDC/1_test.json": "e935354088a3affe31db7af57facc3c26e3a7f3a"}

CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
SEGMENTATION_SPACE = re.compile(f"(?<=[{CJK}]) +(?=[{CJK}])")


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


class Tree:
    """Files of one repository: from a git directory's HEAD, or from a folder of extracted files
    (found by their repository path or, failing that, by their name)."""

    def __init__(self, path: Path):
        self.path = path
        self.git = path if is_git_dir(path) else path / ".git" if is_git_dir(path / ".git") else None

    def read(self, name: str) -> bytes | None:
        if self.git:
            done = subprocess.run(["git", f"--git-dir={self.git}", "show", f"HEAD:{name}"],
                                  capture_output=True)
            return done.stdout if done.returncode == 0 else None
        for candidate in (self.path / name, self.path / Path(name).name):
            if candidate.is_file():
                return candidate.read_bytes()
        return None


def candidate_trees(roots: list[Path]) -> list[Tree]:
    trees = []
    for root in roots:
        found = [root] + [p for depth in ("*", "*/*", "*/*/*") for p in sorted(root.glob(depth)) if p.is_dir()]
        # nothing inside a git directory's own objects/refs is a tree of its own
        trees += [Tree(p) for p in found if not {"objects", "refs"} & set(p.parts[len(root.parts):])]
    return trees


def read_all(tree: Tree, names) -> dict[str, bytes] | None:
    data = {}
    for name in names:
        data[name] = tree.read(name)
        if data[name] is None:
            return None
    return data


def pinned(data: dict[str, bytes], names: dict[str, str]) -> bool:
    return all(blob_id(data[name]) == blob for name, blob in names.items())


def locate(roots: list[Path], optional: frozenset[str] = frozenset()) -> dict[str, dict[str, bytes]]:
    """The files of each source, from the first tree holding all of them as pinned, else from the first
    holding them at all (with a warning). A source in ``optional`` that is nowhere is left out."""
    trees = candidate_trees(roots)
    out = {}
    for source, names in FILES.items():
        found = []
        for tree in trees:
            data = read_all(tree, names)
            if data is not None:
                found.append((tree, data))
                if pinned(data, names):
                    break
        if not found:
            if source in optional:
                continue
            sys.exit(f"no {source} files ({', '.join(names)}) under {', '.join(map(str, roots))}")
        tree, out[source] = found[-1] if pinned(found[-1][1], names) else found[0]
        for name, blob in names.items():
            if blob_id(out[source][name]) != blob:
                print(f"warning: {source} {name} in {tree.path} is not blob {blob}; "
                      "labels made on the pinned files may not match", file=sys.stderr)
    return out


def lines(data: bytes) -> list[str]:
    # newline="" semantics: a stray \r stays part of the text it is in
    return data.decode("utf-8").split("\n")[:-1] if data.endswith(b"\n") else data.decode("utf-8").split("\n")


def split_of(source: str, dialogue_id: str, names: tuple[str, str] = ("dev", "test")) -> str:
    """names[1] when md5(source:dialogue_id) is odd, names[0] when even."""
    return names[int(hashlib.md5(f"{source}:{dialogue_id}".encode()).hexdigest(), 16) % 2]


def reply(source: str, dialogue_id: str, turn: int | str, context, text: str, split: str | None = None) -> dict:
    return {"id": f"{source}:{dialogue_id}:{turn}", "source": source, "dialogue_id": dialogue_id, "turn": turn,
            "split": split or split_of(source, dialogue_id), "context": context, "text": text}


def jddc2019(files: dict[str, bytes]) -> list[dict]:
    """Tab-separated: session id, user id, sent by the agent (1/0), transfer, repeat, sku, content.
    Turn = the message's index in its session; context = the buyer's last run of messages before it."""
    sessions: dict[str, list[tuple[bool, str]]] = {}
    for n, line in enumerate(lines(files["data/chat_0.1per.txt"]), start=1):
        fields = line.split("\t")
        if len(fields) != 7:
            sys.exit(f"jddc2019 line {n}: {len(fields)} fields, expected 7")
        sessions.setdefault(fields[0], []).append((fields[2] == "1", fields[6]))
    out = []
    for session, messages in sessions.items():
        for turn, (by_agent, text) in enumerate(messages):
            if by_agent:
                out.append(reply("jddc2019", session, turn, last_buyer_turn(messages[:turn]), text))
    return out


def last_buyer_turn(earlier: list[tuple[bool, str]]) -> list[dict]:
    turn: list[dict] = []
    for by_agent, text in reversed(earlier):
        if by_agent and turn:
            break
        if not by_agent:
            turn.insert(0, {"role": "buyer", "text": text})
    return turn


def desegment(text: str) -> str:
    return SEGMENTATION_SPACE.sub("", text)


def ecd(files: dict[str, bytes]) -> list[dict]:
    """label \\t utterances... \\t response; the true response (label 1) closes a session whose turns
    alternate buyer, agent, ... so every odd-indexed utterance is the agent's. ECD_sample/valid is the
    same file as train and is not read. Dialogue id = file and line of the true response."""
    out, seen = [], set()
    for name in ("ECD_sample/train", "ECD_sample/test"):
        for n, line in enumerate(lines(files[name]), start=1):
            fields = line.split("\t")
            if fields[0] != "1" or tuple(fields[1:]) in seen:
                continue
            seen.add(tuple(fields[1:]))
            turns = [desegment(u) for u in fields[1:]]
            if len(turns) % 2:
                sys.exit(f"ecd {name} line {n}: {len(turns)} turns, expected buyer/agent pairs")
            dialogue = f"{Path(name).name}-{n}"
            for turn in range(1, len(turns), 2):
                out.append(reply("ecd", dialogue, turn, [{"role": "buyer", "text": turns[turn - 1]}], turns[turn]))
    return out


def jddc2018(files: dict[str, bytes], size: int = DEV2_SIZE) -> list[dict]:
    """Each .enc line is a window Q,A,Q,A,Q of one session (messages joined by ','), the .dec line the
    agent turn A that follows it; the sessions themselves are not given, so a window is the dialogue and
    its A (turn 5) the reply. The context stays one string: its messages cannot be told apart reliably.
    Dialogues are taken whole in md5 order of their id until `size` replies (dev2); the rest is dev3, a
    second development split labelled later."""
    pool = []
    for part in ("train", "test"):
        enc, dec = lines(files[f"data/{part}.enc"]), lines(files[f"data/{part}.dec"])
        if len(enc) != len(dec):
            sys.exit(f"jddc2018 {part}: {len(enc)} .enc lines but {len(dec)} .dec lines")
        for n, (context, answer) in enumerate(zip(enc, dec), start=1):
            # the cleaning script ends every message with ','; the last one is a separator, not text
            text = answer[:-1] if answer.endswith(",") else answer
            if text.strip():
                pool.append(reply("jddc2018", f"{part}-{n}", 5, context[:-1] if context.endswith(",") else context,
                                  text, "dev2"))
    dialogues: dict[str, list[dict]] = {}
    for row in pool:
        dialogues.setdefault(row["dialogue_id"], []).append(row)
    order = sorted(dialogues, key=lambda d: hashlib.md5(f"jddc2018:{d}".encode()).hexdigest())
    chosen: set[str] = set()
    total = 0
    for d in order:
        if total + len(dialogues[d]) > size:
            break
        chosen.add(d)
        total += len(dialogues[d])
    return [row if row["dialogue_id"] in chosen else {**row, "split": "dev3"} for row in pool]


# ---- the later sources (dev4 / test4) ----------------------------------------------------------------

# Anonymisation placeholders, which the sources write differently ([数字], [数字x], ORDERID_123, ...)
PLACEHOLDER = re.compile(r"\[(?:数字|金额|日期|时间|姓名|地址|电话|站点|组织机构|链接|邮箱|"
                         r"订单编号|订单|商品快照|身份证号|数字x|x)x?\]|ORDERID_\d+|USERID_\d+")
SESSION = re.compile(r"<session (\S+)>\n(.*?)</session \1>", re.S)
CUT = 27  # TODS cut every utterance of its CSDS copy at 27 characters
TODS_SPEAKER = re.compile(r"^(客服|用户|商家|物流师傅|师傅)[:：](.*)$", re.S)
CSDS_SPEAKER = re.compile(r"(用户|客服|商家|物流师傅)[:：]")


def later(source: str, dialogue_id: str, turn: int | str, context: list[dict] | None, text: str) -> dict:
    """A reply of a later source: text stripped, split dev4 / test4 by md5 parity of its dialogue."""
    return reply(source, dialogue_id, turn, context, text.strip(), split_of(source, dialogue_id, LATER_SPLITS))


def buyer(messages: list[str]) -> list[dict]:
    return [{"role": "buyer", "text": m.strip()} for m in messages if m.strip()]


def comparable(text: str) -> str:
    return PLACEHOLDER.sub("[X]", re.sub(r"\s+", "", text))


def jddc2019_dev(files: dict[str, bytes]) -> list[dict]:
    """The JDDC 2019 evaluation set: each <session> of dev_question.txt has a <context> of Q:/A: lines,
    then questions <Qn> answered by the session's lines of dev_answer.txt. An A line or answer is
    `ref1<sep>ref2<sep>ref3`: ref1 is the agent's own turn (the others were written by annotators), its
    messages joined by !@@@! (here by a space), NULL when there is none. Dialogue = file and session, turn
    = ctx<n> (the context's n-th A) or Q<n>; context = the buyer's messages since the agent's last turn,
    or those of Qn."""
    answers = dict(SESSION.findall(files["data/dev_answer.txt"].decode("utf-8")))
    out = []
    for session, body in SESSION.findall(files["data/dev_question.txt"].decode("utf-8")):
        context = re.search(r"<context>\n(.*?)</context>", body, re.S)
        messages: list[str] = []
        turn = 0
        for line in context.group(1).split("\n") if context else []:
            m = re.match(r"([QA]):\t?(.*)$", line)
            if not line.strip() or not m:
                continue
            if m[1] == "Q":
                if m[2].strip() != "NULL":
                    messages += m[2].split("!@@@!")
                continue
            turn += 1
            text = agent_turn(m[2])
            if text and text != "NULL":
                out.append(later(JDDC2019_DEV, f"data/dev_question.txt:{session}", f"ctx{turn}", buyer(messages), text))
            messages = []
        questions = re.findall(r"<Q(\d+)>(.*?)</Q\1>", body, re.S)
        replies = [a for a in answers.get(session, "").split("\n") if a.strip()]
        if len(questions) != len(replies):
            print(f"warning: {JDDC2019_DEV} session {session}: {len(questions)} questions, {len(replies)} answers",
                  file=sys.stderr)
        for (n, question), answer in zip(questions, replies):
            text = agent_turn(answer)
            if text and text != "NULL":
                asked = [] if question.strip() == "NULL" else question.split("!@@@!")
                out.append(later(JDDC2019_DEV, f"data/dev_answer.txt:{session}", f"Q{n}", buyer(asked), text))
    return out


def agent_turn(refs: str) -> str:
    return " ".join(m.strip() for m in refs.split("<sep>")[0].split("!@@@!") if m.strip())


def csds_segments(files: dict[str, bytes]) -> list[tuple[str, int, int, bool, str]]:
    """(file, dialogue, segment, by the agent, text) of every segment of the extractive summaries of the
    800 CSDS test dialogues (line n of each file: dialogue n), each a verbatim `客服:`/`用户:`...
    utterance. The writers added a `。` after every segment (ext_*_refs and summarunner) or between them
    (the others); it is removed once."""
    out = []
    for name in CSDS_RESULTS:
        after_each = "/ext_" in name or "summarunner" in name
        for dialogue, line in enumerate(files[name].decode("utf-8").split("\n")[:800]):
            parts = CSDS_SPEAKER.split(line.strip())
            segments = list(zip(parts[1::2], parts[2::2]))
            for n, (speaker, text) in enumerate(segments):
                text = text.strip()
                if text.endswith("。") and (after_each or n < len(segments) - 1):
                    text = text[:-1]
                out.append((name, dialogue, n, speaker == "客服", text))
    return out


def csds(segments: list[tuple[str, int, int, bool, str]]) -> list[dict]:
    """The agent's segments, each utterance once (from the first file giving it, final `。` aside); no
    context, as an extract skips utterances. Dialogue = file and line, turn = seg<n>."""
    out, seen = [], set()
    for name, dialogue, n, by_agent, text in segments:
        if by_agent and text and text.rstrip("。") not in seen:
            seen.add(text.rstrip("。"))
            out.append(later(CSDS, f"{name}:dlg{dialogue}", f"seg{n}", None, text))
    return out


def tods(files: dict[str, bytes], segments: list[tuple[str, int, int, bool, str]]) -> list[dict]:
    """CSDS test and val dialogues as TODS ships them, one entry per topic (a dialogue repeated is read
    once): `客服:` utterances are the agent's, `用户:`/`商家:`/`物流师傅:` the customer's, each utterance
    cut at 27 characters. A test dialogue is matched to its CSDS results line, and a cut utterance is
    restored from the one longer segment of that dialogue it begins; an agent utterance that cannot be
    restored is left out. Dialogue = file and entry, turn = utt<n> (the utterance's index); context =
    the customer's utterances since the agent's last one."""
    by_dialogue: dict[int, set[str]] = {}
    longer: dict[tuple, set[str]] = {}
    for _, dialogue, _, by_agent, text in segments:
        if text:
            by_dialogue.setdefault(dialogue, set()).add(text.rstrip("。"))
        if len(text) > CUT:
            longer.setdefault((by_agent, text[:CUT], dialogue), set()).add(text)
    out = []
    for name in ("data/CSDS/topic/test.json", "data/CSDS/topic/val.json"):
        seen = set()
        for entry, row in enumerate(json.loads(files[name].decode("utf-8"))):
            if row["Dialogue"] in seen:
                continue
            seen.add(row["Dialogue"])
            utterances = [TODS_SPEAKER.match(u.strip()) for u in row["Dialogue"].split("[SEP][CLS]")]
            line = csds_line(utterances, by_dialogue) if name.endswith("test.json") else None

            def whole(by_agent: bool, text: str) -> str | None:
                if len(text) != CUT:
                    return text
                restored = longer.get((by_agent, text, line), set())
                return next(iter(restored)) if len(restored) == 1 else None

            customer: list[str] = []
            answered = False
            for n, m in enumerate(utterances):
                if not m or not m[2].strip():
                    continue
                text = m[2].strip()
                if m[1] == "客服":
                    text = whole(True, text)
                    if text is not None:
                        out.append(later(TODS, f"{name}:entry{entry}", f"utt{n}", buyer(customer), text))
                    answered = True
                else:
                    if answered:
                        customer, answered = [], False
                    customer.append(whole(False, text) or text)
    return out


def csds_line(utterances: list, by_dialogue: dict[int, set[str]]) -> int | None:
    """The CSDS results line sharing the most (at least two) of the dialogue's uncut utterances of 4
    characters or more."""
    uncut = {m[2].strip().rstrip("。") for m in utterances if m and 4 <= len(m[2].strip()) < CUT}
    best, score = None, 0
    for line, texts in by_dialogue.items():
        if len(uncut & texts) > score:
            best, score = line, len(uncut & texts)
    return best if score >= 2 else None


def kplug(files: dict[str, bytes]) -> list[dict]:
    """K-PLUG's JDDC sample: each line of a .tgt file is an agent reply (the .src lines mix both sides
    without marks: no context). Dialogue = file and line, turn 1."""
    out = []
    for name in FILES[KPLUG]:
        for n, text in enumerate(files[name].decode("utf-8").split("\n"), start=1):
            if text.strip():
                out.append(later(KPLUG, f"{name}:line{n}", 1, None, text))
    return out


def printed(notebook: bytes) -> list[tuple[str, list]]:
    """(cell<c>.<n>, literal) for the n-th Python list printed at the start of a line of the output of
    cell c of a notebook (pprint may spread one over up to 400 lines)."""
    out = []
    for cell, content in enumerate(json.loads(notebook.decode("utf-8"))["cells"]):
        rows = "".join("".join(o["text"] if "text" in o else o.get("data", {}).get("text/plain", "")) + "\n"
                       for o in content.get("outputs", [])).split("\n")
        found = 0
        i = 0
        while i < len(rows):
            if not rows[i].startswith("["):
                i += 1
                continue
            for j in range(i, min(i + 401, len(rows))):
                try:
                    literal = ast.literal_eval("\n".join(rows[i:j + 1]))
                except Exception:  # not the whole literal yet, or none at all
                    continue
                out.append((f"cell{cell}.{found}", literal))
                found += 1
                i = j + 1
                break
            else:
                i = min(i + 402, len(rows) + 1)
    return out


def qa_pair(item) -> bool:
    return isinstance(item, tuple) and len(item) == 3 and isinstance(item[2], str)


def zengbin_pairs(files: dict[str, bytes]) -> list[dict]:
    """A JDDC 2018 solution's notebook printing the (score, question, answer) pairs its TF-IDF retriever
    found in chat.txt: the answer is an agent reply, the question the buyer's messages (joined by <q>).
    Dialogue = file and printed list (cell<c>.<n>), turn = the pair's index."""
    name = "final/ipynb/test_tfidf_ir.ipynb"
    return [later(ZENGBIN, f"{name}:{where}", k, buyer(item[1].split("<q>")), item[2])
            for where, items in printed(files[name]) for k, item in enumerate(items) if qa_pair(item)]


def zengbin_candidates(files: dict[str, bytes]) -> list[dict]:
    """Its BM25 and DQN notebooks: printed candidate answers, bare (no context) or as pairs."""
    out = []
    for name in ("final/ipynb/test_bm25_ir.ipynb", "final/ipynb/test_dqn_ir.ipynb"):
        for where, items in printed(files[name]):
            for k, item in enumerate(items):
                if isinstance(item, str):
                    out.append(later(ZENGBIN, f"{name}:{where}", k, None, item))
                elif qa_pair(item):
                    out.append(later(ZENGBIN, f"{name}:{where}", k, buyer(item[1].split("<q>")), item[2]))
    return out


def zengbin_references(files: dict[str, bytes]) -> list[dict]:
    """answers_analyze: the JDDC 2018 test set's reference answers printed as `text\tscore` (the score
    dropped; its model outputs, printed otherwise, are not read). No context."""
    name = "final/ipynb/answers_analyze.ipynb"
    out = []
    for where, items in printed(files[name]):
        for k, item in enumerate(items):
            m = re.match(r"^(.*)\t(\d+(?:\.\d+)?)$", item, re.S) if isinstance(item, str) else None
            if m:
                out.append(later(ZENGBIN, f"{name}:{where}", k, None, m[1]))
    return out


def uneed(files: dict[str, bytes]) -> list[dict]:
    """U-NEED's example dialogues, one JSON block each: the `客服` messages are the agent's, the `用户`
    ones the buyer's. Dialogue = file and sid, turn = seq_no; context = the buyer's messages since the
    agent's last one."""
    out = []
    for block in re.findall(r"```json\n(.*?)```", files["examples.md"].decode("utf-8"), re.S):
        dialogue = json.loads(block)
        messages: list[str] = []
        for message in dialogue["dialogue"]:
            if message["sender_type"] == "用户":
                messages.append(message["send_content"])
            elif message["sender_type"] == "客服":
                out.append(later(UNEED, f"examples.md:{dialogue['sid']}", message["seq_no"], buyer(messages),
                                 message["send_content"]))
                messages = []
    return out


def later_replies(files: dict[str, dict[str, bytes]], earlier: list[dict]) -> list[dict]:
    """The later sources' replies, in this order, each kept only if it has 2 characters or more, no reply
    of the earlier sources says the same (`comparable`: spaces ignored, any placeholder the same as any
    other) and no reply kept before it has the same text."""
    segments = csds_segments(files[CSDS])
    rows = (jddc2019_dev(files[JDDC2019_DEV]) + tods(files[TODS], segments) + csds(segments) + kplug(files[KPLUG])
            + zengbin_pairs(files[ZENGBIN]) + zengbin_candidates(files[ZENGBIN]) + zengbin_references(files[ZENGBIN])
            + uneed(files[UNEED]))
    said = {comparable(r["text"]) for r in earlier}
    kept, texts = [], set()
    for row in rows:
        if len(row["text"]) >= 2 and comparable(row["text"]) not in said and row["text"] not in texts:
            texts.add(row["text"])
            kept.append(row)
    return kept


# ---- the JDDC 2.1 sample (dev5 / test5) -------------------------------------------------------------

IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|jpeg|gif)$")
EMOTICON = re.compile(r"#E-[a-zA-Z]?\d+|#E-s\[数字x\]")


def jddc21_comparable(text: str) -> str:
    """Spaces, emoticon codes, placeholders and closing marks ignored: the same reply in another source
    (the 2021 logs repeat the 2018 and 2019 agents' quick phrases with other emoticons and marks)."""
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"#E-s\[?数字x\]?|#E-s\d+|#E-\w+\[数字x\]", "<E>", text)
    text = re.sub(r"\[(数字|姓名|金额|日期|时间|地址|电话|订单编号|订单|站点|链接|组织机构|邮箱|身份证号|款号|ORDERID|URL|NAME|"
                  r"TIME|DATE|PHONE|NUMBER|MONEY)x?\]", lambda m: "<" + m.group(1) + ">", text)
    text = re.sub(r"<(num|NUM|数字)>|\[数字x\]", "<数字>", text)
    text = re.sub(r"<(url|URL|链接)>", "<链接>", text)
    return text.strip(",，。.~～!！ ")


def jddc21(files: dict[str, bytes], earlier: list[dict]) -> list[dict]:
    """Every 客服 turn of the three files (train, dev, test), stripped, with the last 顾客 turn before it
    that is not an image file name as context; left out: image names, replies under 2 characters (spaces
    ignored) or nothing but emoticon codes, and any that `jddc21_comparable` finds in an earlier reply
    or one kept before it."""
    said = {jddc21_comparable(r["text"]) for r in earlier}
    kept = []
    for name in FILES[JDDC21]:
        for dialogue in json.loads(files[name].decode("utf-8")):
            buyer_text = None
            for turn, (text, role) in enumerate(zip(dialogue["dialogs"], dialogue["roles"])):
                if role == "顾客":
                    if not IMAGE_NAME.match(text.strip()):
                        buyer_text = text
                    continue
                text = text.strip()
                if (role != "客服" or IMAGE_NAME.match(text) or len(re.sub(r"\s", "", text)) < 2
                        or len(re.sub(r"\s", "", EMOTICON.sub("", text))) < 2):
                    continue
                same = jddc21_comparable(text)
                if same in said:
                    continue
                said.add(same)
                dialogue_id = f"{name}:{dialogue['id']}"
                context = [{"role": "buyer", "text": buyer_text}] if buyer_text else None
                kept.append(reply(JDDC21, dialogue_id, turn, context, text, split_of(JDDC21, dialogue_id, JDDC21_SPLITS)))
    return kept


# The later sources (dev4, test4): a machine holding only the first three still builds dev, test, dev2, dev3.
LATER_SOURCES = frozenset({JDDC2019_DEV, TODS, CSDS, KPLUG, ZENGBIN, UNEED})


def build(roots: list[Path], dev2_size: int = DEV2_SIZE) -> list[dict]:
    files = locate(roots, optional=LATER_SOURCES | {JDDC21})
    rows = jddc2019(files["jddc2019"]) + ecd(files["ecd"]) + jddc2018(files["jddc2018"], dev2_size)
    missing = sorted(LATER_SOURCES - set(files))
    if missing:
        # their replies are deduplicated against each other in one order: all of them, or none
        print(f"warning: {', '.join(missing)} not found: {' and '.join(LATER_SPLITS)} are not built "
              "(tests/data/real/README.md lists the repositories)", file=sys.stderr)
        return rows
    rows += later_replies(files, rows)
    if JDDC21 not in files:
        print(f"warning: {JDDC21} not found: {' and '.join(JDDC21_SPLITS)} are not built", file=sys.stderr)
        return rows
    return rows + jddc21(files[JDDC21], rows)


def roots_from(args: list[str]) -> list[Path]:
    if args:
        return [Path(a) for a in args]
    if os.environ.get("CHAT_QC_REAL_CORPUS"):
        return [Path(os.environ["CHAT_QC_REAL_CORPUS"])]
    sys.exit("give the source repositories or folders, or set CHAT_QC_REAL_CORPUS\n\n" + __doc__)


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        sys.exit(__doc__)
    out = Path(argv[0]).resolve()
    if out == REPO or REPO in out.parents:
        sys.exit(f"{out} is inside the repository; the replies may not be redistributed, write them elsewhere")
    rows = build(roots_from(argv[1:]))
    ids = Counter(r["id"] for r in rows)
    if max(ids.values()) > 1:
        sys.exit(f"duplicate id {ids.most_common(1)[0][0]}")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "replies.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((r["split"], r["source"]) for r in rows)
    for split in ("dev", "test", "dev2", "dev3", *LATER_SPLITS, *JDDC21_SPLITS):
        parts = ", ".join(f"{s} {n}" for (sp, s), n in sorted(counts.items()) if sp == split)
        print(f"{split}: {sum(n for (sp, _), n in counts.items() if sp == split)} ({parts})")
    print(f"wrote {len(rows)} replies to {out / 'replies.jsonl'}")


if __name__ == "__main__":
    main(sys.argv[1:])
