"""Cut the real replies into labelling batches (written outside the repository, like the corpus).

    python scripts/real_batches.py REPLIES.jsonl OUT_DIR [--batches 6] [--overlap 200] [--splits dev,test,dev2]

Writes OUT_DIR/batches/batch_N.jsonl. Every dev, test and dev2 reply goes to one batch, shuffled by a
hash of its id so that each batch mixes splits and sources and a reply's split cannot be told from its
place. `--overlap` replies also go to a second, different batch, so that two labellers' calls on them
measure agreement; their ids are in OUT_DIR/overlap_ids.txt, outside the batches' folder, so labellers
do not know which they are. Batches carry only id, source, dialogue_id, context and text: no split and
no rule output, so that nothing steers the labels.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

FIELDS = ("id", "source", "dialogue_id", "context", "text")
SPLITS = ("dev", "test", "dev2")


def rank(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()


def batches(rows: list[dict], count: int, overlap: int,
            splits: tuple[str, ...] = SPLITS) -> tuple[list[list[dict]], list[str]]:
    rows = sorted((r for r in rows if r["split"] in splits), key=lambda r: rank("order", r["id"]))
    cut = [rows[i * len(rows) // count:(i + 1) * len(rows) // count] for i in range(count)]
    twice = sorted(rows, key=lambda r: rank("overlap", r["id"]))[:overlap]
    home = {r["id"]: i for i, part in enumerate(cut) for r in part}
    for j, row in enumerate(twice):
        # spread the copies over the other batches in turn, so every pair of labellers shares some
        cut[(home[row["id"]] + 1 + j % (count - 1)) % count].append(row)
    for i, part in enumerate(cut):
        part.sort(key=lambda r: rank(f"batch{i + 1}", r["id"]))
    return cut, [r["id"] for r in twice]


def main(argv: list[str]) -> None:
    args, options, splits = [], {"--batches": 6, "--overlap": 200}, SPLITS
    it = iter(argv)
    for a in it:
        if a == "--splits":
            splits = tuple(next(it).split(","))
        elif a in options:
            options[a] = int(next(it))
        else:
            args.append(a)
    if len(args) != 2 or options["--batches"] < 2:
        sys.exit(__doc__)
    rows = [json.loads(line) for line in Path(args[0]).read_text(encoding="utf-8").splitlines() if line.strip()]
    out = Path(args[1])
    (out / "batches").mkdir(parents=True, exist_ok=True)
    parts, twice = batches(rows, options["--batches"], options["--overlap"], splits)
    for i, part in enumerate(parts, start=1):
        with open(out / "batches" / f"batch_{i}.jsonl", "w", encoding="utf-8") as f:
            for row in part:
                f.write(json.dumps({k: row[k] for k in FIELDS}, ensure_ascii=False) + "\n")
        print(f"batch_{i}.jsonl: {len(part)} replies")
    (out / "overlap_ids.txt").write_text("".join(i + "\n" for i in sorted(twice)), encoding="utf-8")
    print(f"{len(twice)} replies in two batches: {out / 'overlap_ids.txt'}")


if __name__ == "__main__":
    main(sys.argv[1:])
