"""Report labels in one language, read from ``labels.yaml`` (the one place every label lives)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

LANGS = ("zh", "en")


@lru_cache(maxsize=None)
def _catalogue() -> dict:
    text = resources.files(__package__).joinpath("labels.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


class Labels(dict):
    """``T.ui.week`` in templates (a typo fails the render); ``T.of("categories", key)`` for keys that come
    from the data, where an unknown key (a new rule category or role) shows the key itself."""

    def __init__(self, lang: str, band_labels: dict[str, str] | None = None):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
        super().__init__(
            {group: _Group({k: v[lang] for k, v in entries.items()}) for group, entries in _catalogue().items()}
        )
        self.lang = lang
        if lang == "zh" and band_labels:
            # The shop's own wording from its config wins for the language it is written in.
            self["bands"].update(band_labels)

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def of(self, group: str, key: str | None) -> str:
        if key is None:
            return self["ui"]["none"]
        return self[group].get(key, key)


class _Group(dict):
    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def catalogue() -> dict:
    return _catalogue()
