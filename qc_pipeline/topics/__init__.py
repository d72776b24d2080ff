"""Topic mining: what buyers ask about most, how each topic is served, and answers worth a quick phrase.

``mine_topics`` clusters the opening questions of recent sessions (see ``cluster`` for the method and the
choice of k) and returns a :class:`TopicResult`; ``write_topics`` writes it as Markdown and HTML;
``cluster_questions`` is the clustering alone, over plain texts.
"""
from __future__ import annotations

from qc_pipeline.topics.cluster import cluster_questions
from qc_pipeline.topics.mine import mine_topics
from qc_pipeline.topics.model import QuickPhrase, Topic, TopicResult
from qc_pipeline.topics.render import write_topics

__all__ = ["mine_topics", "write_topics", "cluster_questions", "TopicResult", "Topic", "QuickPhrase"]
