"""Labels of the real agent replies: committed without the replies' text, joined back onto the corpus.

    python scripts/real_labels.py convert LABELLED.jsonl ... [--corpus PATH] [--replace]
        a labeller's files (id, text, categories, spans as {category, text} quotes, note) into
        tests/data/real/labels/{split}.jsonl (id, sha1 of the text, categories, spans as
        {category, start, end} offsets, note), merged with the labels already there
    python scripts/real_labels.py assemble [--corpus PATH]
        tests/data/real/{split}.jsonl (not committed: text and labels, what tests/test_rules_real.py
        reads) from the committed labels and the corpus
    python scripts/real_labels.py check DIR
        check labelled files with text ({split}.jsonl in DIR)

The splits are dev, test, dev2, dev3, dev4, test4, dev5 and test5, as scripts/real_corpus.py gives them. PATH
(default $CHAT_QC_REAL_CORPUS) is the replies.jsonl written by scripts/real_corpus.py, the folder
holding it, or the folder of source repositories it reads. Categories must be known, spans must lie in
the text, each labelled category needs a span, and no dialogue may have replies in two splits. See
tests/data/real/README.md.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from qc_pipeline.rules import CATEGORIES

REAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"
LABELS = REAL / "labels"
SPLITS = ("dev", "test", "dev2", "dev3", "dev4", "test4", "dev5", "test5")


class LabelError(ValueError):
    pass


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def read_jsonl(path: Path) -> list[tuple[str, dict]]:
    """(where, row) for each non-blank line, `where` being file:line for messages."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                out.append((f"{path}:{n}", json.loads(line)))
            except json.JSONDecodeError as e:
                raise LabelError(f"{path}:{n}: not JSON ({e})") from None
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def load_corpus(path: Path | str | None = None) -> dict[str, dict]:
    """Replies by id, from replies.jsonl, its folder, or (extracting them) the source repositories."""
    given = path or os.environ.get("CHAT_QC_REAL_CORPUS")
    if not given or not Path(given).exists():
        raise LabelError(f"no corpus at {given!r}: pass --corpus or set CHAT_QC_REAL_CORPUS "
                         "(tests/data/real/README.md)")
    path = Path(given)
    if path.is_dir() and (path / "replies.jsonl").is_file():
        path = path / "replies.jsonl"
    if path.is_file():
        rows = [row for _, row in read_jsonl(path)]
    else:
        spec = importlib.util.spec_from_file_location("real_corpus", Path(__file__).with_name("real_corpus.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rows = module.build([path])
    return {row["id"]: row for row in rows}


def check_categories(where: str, row: dict) -> None:
    categories = row.get("categories")
    if not isinstance(categories, list) or len(set(categories)) != len(categories):
        raise LabelError(f"{where}: categories must be a list naming each category once")
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise LabelError(f"{where}: unknown category {sorted(unknown)[0]}")
    spans = row.get("spans", [])
    if not isinstance(spans, list):
        raise LabelError(f"{where}: spans must be a list")
    for span in spans:
        if span.get("category") not in categories:
            raise LabelError(f"{where}: span {span} is not of a labelled category")
    missing = set(categories) - {span["category"] for span in spans}
    if missing:
        raise LabelError(f"{where}: {sorted(missing)[0]} is labelled but has no span")


def to_committed(where: str, row: dict, corpus: dict[str, dict]) -> tuple[str, dict]:
    """(split, committed row) for one labelled reply; the quotes become offsets into the corpus text."""
    reply = corpus.get(row.get("id"))
    if reply is None:
        raise LabelError(f"{where}: id {row.get('id')!r} is not in the corpus")
    text = reply["text"]
    if row.get("text", text) != text:
        raise LabelError(f"{where}: the text differs from the corpus's reply {reply['id']}")
    check_categories(where, row)
    spans = []
    for span in row.get("spans", []):
        quote = span.get("text") or ""
        # a quote that occurs twice is the first occurrence unless the labeller gave its start
        start = span["start"] if isinstance(span.get("start"), int) else text.find(quote)
        if not quote or start < 0 or text[start:start + len(quote)] != quote:
            raise LabelError(f"{where}: span {span} is not the reply's words")
        spans.append({"category": span["category"], "start": start, "end": start + len(quote)})
    spans.sort(key=lambda s: (s["start"], s["end"], s["category"]))
    return reply["split"], {"id": reply["id"], "sha1": sha1(text), "categories": sorted(row["categories"]),
                            "spans": spans, "note": row.get("note") or ""}


def same_labels(a: dict, b: dict) -> bool:
    return all(a[k] == b[k] for k in ("sha1", "categories", "spans"))


def convert(paths: list[Path], corpus: dict[str, dict], labels_dir: Path = LABELS,
            replace: bool = False) -> tuple[dict[str, int], int]:
    """Merge labellers' files into the committed labels; returns the number of new labels per split
    and of lines skipped because they have no `categories` yet (a batch still being labelled). A reply
    labelled twice differently (in these files, or against the committed label without `replace`) is an
    error: the two calls have to be settled first."""
    committed = {split: {row["id"]: row for _, row in read_labels(labels_dir, split)} for split in SPLITS}
    new: dict[str, tuple] = {}
    unlabelled = 0
    for path in paths:
        for where, row in read_jsonl(path):
            if "categories" not in row:
                unlabelled += 1
                continue
            split, label = to_committed(where, row, corpus)
            earlier = new.get(label["id"])
            if earlier and not same_labels(earlier[1], label):
                raise LabelError(f"{where}: {label['id']} is labelled differently in {earlier[0]}; settle it first")
            new[label["id"]] = (where, label, split)
    added = dict.fromkeys(SPLITS, 0)
    for where, label, split in new.values():
        old = committed[split].get(label["id"])
        if old and not same_labels(old, label) and not replace:
            raise LabelError(f"{where}: {label['id']} is already committed with other labels (--replace to overwrite)")
        added[split] += old is None
        committed[split][label["id"]] = label
    for split in SPLITS:
        write_jsonl(labels_dir / f"{split}.jsonl", [committed[split][k] for k in sorted(committed[split])])
    return added, unlabelled


def read_labels(labels_dir: Path, split: str) -> list[tuple[str, dict]]:
    path = labels_dir / f"{split}.jsonl"
    return read_jsonl(path) if path.is_file() else []


def assemble(corpus: dict[str, dict], labels_dir: Path = LABELS, out_dir: Path = REAL) -> dict[str, int]:
    """Write out_dir/{split}.jsonl: each committed label with its reply's text and context, after
    checking that the corpus's text is the one labelled."""
    files = {}
    for split in SPLITS:
        rows = []
        labels = list(read_labels(labels_dir, split))
        if labels and not any(label["id"] in corpus for _, label in labels):
            # a corpus built without that split's sources (the later ones are optional): no file, so the
            # tests skip the split and say why
            print(f"{split}: none of its {len(labels)} labelled replies is in the corpus (built without its "
                  "sources?): not assembled", file=sys.stderr)
            files[split] = []
            continue
        for where, label in labels:
            reply = corpus.get(label["id"])
            if reply is None:
                raise LabelError(f"{where}: {label['id']} is not in the corpus (another corpus, or an older one?)")
            if sha1(reply["text"]) != label["sha1"]:
                raise LabelError(f"{where}: the corpus's text of {label['id']} does not match the labelled one "
                                 "(sha1 differs): rebuild the corpus from the pinned source files")
            if reply["split"] != split:
                raise LabelError(f"{where}: {label['id']} is in the corpus's {reply['split']} split, not {split}")
            text = reply["text"]
            spans = []
            for span in label["spans"]:
                if not 0 <= span["start"] < span["end"] <= len(text):
                    raise LabelError(f"{where}: span {span} is outside the text")
                spans.append({"category": span["category"], "text": text[span["start"]:span["end"]],
                              "start": span["start"], "end": span["end"]})
            rows.append({"id": label["id"], "source": reply["source"], "dialogue_id": reply["dialogue_id"],
                         "context": reply["context"], "text": text, "categories": label["categories"],
                         "spans": spans, "note": label.get("note", "")})
        files[split] = rows
    check_splits({split: [(f"{split}.jsonl", r) for r in rows] for split, rows in files.items()})
    for split, rows in files.items():
        # a split nobody has labelled yet gets no file, so the tests skip it rather than measure nothing
        if rows:
            write_jsonl(out_dir / f"{split}.jsonl", rows)
    return {split: len(rows) for split, rows in files.items()}


def check_rows(rows: list[tuple[str, dict]]) -> set[str]:
    """Check labelled rows with text; returns their dialogues (source:dialogue_id)."""
    dialogues = set()
    for where, row in rows:
        if not isinstance(row.get("text"), str) or "id" not in row:
            raise LabelError(f"{where}: needs id and text")
        check_categories(where, row)
        for span in row.get("spans", []):
            if not span.get("text") or span["text"] not in row["text"]:
                raise LabelError(f"{where}: span {span} is not the reply's words")
        dialogues.add(f"{row.get('source')}:{row.get('dialogue_id', row['id'])}")
    return dialogues


def check_splits(splits: dict[str, list[tuple[str, dict]]]) -> None:
    dialogues = {split: check_rows(rows) for split, rows in splits.items()}
    names = sorted(dialogues)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared = dialogues[a] & dialogues[b]
            if shared:
                raise LabelError(f"{len(shared)} dialogues have replies in {a} and {b}, e.g. {sorted(shared)[0]}")


def option(argv: list[str], name: str) -> str | None:
    if name in argv:
        i = argv.index(name)
        if i + 1 >= len(argv):
            sys.exit(f"{name} needs a value")
        value = argv[i + 1]
        del argv[i:i + 2]
        return value
    return None


def main(argv: list[str]) -> None:
    argv = list(argv)
    if not argv or argv[0] not in ("convert", "assemble", "check"):
        sys.exit(__doc__)
    command = argv.pop(0)
    try:
        if command == "check":
            if len(argv) != 1:
                sys.exit(__doc__)
            folder = Path(argv[0])
            check_splits({s: read_jsonl(folder / f"{s}.jsonl") for s in SPLITS if (folder / f"{s}.jsonl").is_file()})
            print(f"{folder}: labelled files are consistent")
            return
        corpus_path = option(argv, "--corpus")
        replace = "--replace" in argv
        argv = [a for a in argv if a != "--replace"]
        corpus = load_corpus(corpus_path)
        if command == "convert":
            if not argv:
                sys.exit(__doc__)
            added, unlabelled = convert([Path(a) for a in argv], corpus, replace=replace)
            print(f"new labels in {LABELS}: " + ", ".join(f"{s} {n}" for s, n in added.items())
                  + (f"; {unlabelled} lines without categories skipped" if unlabelled else ""))
        else:
            if argv:
                sys.exit(__doc__)
            counts = assemble(corpus)
            print(f"wrote {REAL}/{{{','.join(SPLITS)}}}.jsonl: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    except LabelError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
