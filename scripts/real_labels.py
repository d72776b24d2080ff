"""Check two labelled splits of real agent replies and copy them to tests/data/real/ (not committed).

    python scripts/real_labels.py LABEL_DIR [DEV2_DIR]   # LABEL_DIR holds dev.jsonl and test.jsonl;
                                                         # DEV2_DIR (optional) holds dev2.jsonl

Each line needs `id`, `text`, `categories` (known categories) and `spans` whose text is in the reply;
a dialogue may not have replies in both splits. See tests/data/real/README.md.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from qc_pipeline.rules import CATEGORIES

TARGET = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"


def check(path: Path) -> set[str]:
    dialogues = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        where = f"{path}:{n}"
        if not isinstance(row.get("text"), str) or "id" not in row:
            sys.exit(f"{where}: needs id and text")
        unknown = set(row.get("categories", [])) - set(CATEGORIES)
        if unknown:
            sys.exit(f"{where}: unknown category {sorted(unknown)[0]}")
        for span in row.get("spans", []):
            if span.get("category") not in row["categories"] or span.get("text", "") not in row["text"]:
                sys.exit(f"{where}: span {span} is not a labelled category's words in the text")
        dialogues.add(f"{row.get('source')}:{row.get('dialogue_id', row['id'])}")
    return dialogues


def main(argv: list[str]) -> None:
    if len(argv) not in (1, 2):
        sys.exit(__doc__)
    source = Path(argv[0])
    dev, test = check(source / "dev.jsonl"), check(source / "test.jsonl")
    if dev & test:
        sys.exit(f"{len(dev & test)} dialogues have replies in both splits, e.g. {sorted(dev & test)[0]}")
    files = [source / "dev.jsonl", source / "test.jsonl"]
    if len(argv) == 2:
        # the second development set (another corpus year): also a tuning set, so it may share nothing with test
        dev2 = check(Path(argv[1]) / "dev2.jsonl")
        if dev2 & test:
            sys.exit(f"{len(dev2 & test)} dialogues have replies in dev2 and test, e.g. {sorted(dev2 & test)[0]}")
        files.append(Path(argv[1]) / "dev2.jsonl")
    TARGET.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, TARGET / path.name)
    print(f"copied {', '.join(p.name for p in files)} ({len(dev)} dev and {len(test)} test dialogues) to {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1:])
