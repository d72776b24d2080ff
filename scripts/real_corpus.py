"""Extract the real agent replies of the public dialogue sets into OUT_DIR/replies.jsonl (never into the repository).

    python scripts/real_corpus.py OUT_DIR [SOURCE ...]

Each SOURCE is a git directory (bare or a clone) of one of the three repositories below, or a folder
holding its files extracted; without SOURCE, $CHAT_QC_REAL_CORPUS names a folder holding them (searched
three levels deep). The text is third-party and may not be redistributed, so OUT_DIR must lie outside
the repository; tests/data/real/README.md says how the labels are joined back onto it.

    jddc2019  EndlessLethe/jddc2019-3th-retrieve-model   data/chat_0.1per.txt   every agent message
    ecd       cooelf/DeepUtteranceAggregation            ECD_sample/{train,test} agent turns of true responses
    jddc2018  SimonJYang/JDDC-Baseline-Seq2Seq           data/{train,test}.{enc,dec} the A of QAQAQ+A, sampled

One JSON object per line: `id` (`<source>:<dialogue_id>:<turn>`), `source`, `dialogue_id`, `turn`,
`split` (dev / test by dialogue, md5 parity; dev2 and dev3 for jddc2018), `context`, `text`. The output depends
only on the source files, so the same files always give the same ids, splits and sample.
"""
from __future__ import annotations

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


def locate(roots: list[Path]) -> dict[str, dict[str, bytes]]:
    """The files of each source, from the first tree that holds all of them."""
    trees = candidate_trees(roots)
    out = {}
    for source, names in FILES.items():
        for tree in trees:
            data = {name: tree.read(name) for name in names}
            if all(v is not None for v in data.values()):
                out[source] = data
                for name, blob in names.items():
                    if blob_id(data[name]) != blob:
                        print(f"warning: {source} {name} in {tree.path} is not blob {blob}; "
                              "labels made on the pinned files may not match", file=sys.stderr)
                break
        else:
            sys.exit(f"no {source} files ({', '.join(names)}) under {', '.join(map(str, roots))}")
    return out


def lines(data: bytes) -> list[str]:
    # newline="" semantics: a stray \r stays part of the text it is in
    return data.decode("utf-8").split("\n")[:-1] if data.endswith(b"\n") else data.decode("utf-8").split("\n")


def split_of(source: str, dialogue_id: str) -> str:
    return "test" if int(hashlib.md5(f"{source}:{dialogue_id}".encode()).hexdigest(), 16) % 2 else "dev"


def reply(source: str, dialogue_id: str, turn: int, context, text: str, split: str | None = None) -> dict:
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


def build(roots: list[Path], dev2_size: int = DEV2_SIZE) -> list[dict]:
    files = locate(roots)
    return jddc2019(files["jddc2019"]) + ecd(files["ecd"]) + jddc2018(files["jddc2018"], dev2_size)


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
    for split in ("dev", "test", "dev2", "dev3"):
        parts = ", ".join(f"{s} {n}" for (sp, s), n in sorted(counts.items()) if sp == split)
        print(f"{split}: {sum(n for (sp, _), n in counts.items() if sp == split)} ({parts})")
    print(f"wrote {len(rows)} replies to {out / 'replies.jsonl'}")


if __name__ == "__main__":
    main(sys.argv[1:])
