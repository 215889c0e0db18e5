"""Loaded language and persuasion techniques: the 14 techniques of the Propaganda Techniques
Corpus (a CRF span tagger and a technique classifier trained on it), plus ``hedge`` and
``scare_quotes`` by rule. Importing this package registers the spaCy factory
``sourcetrace_language`` (results on ``doc._.language_spans``) and the ``language`` row
exporter."""

from sourcetrace.extract.language.component import (
    LanguageSpan,
    find_spans,
    language_rows,
    load_model,
)
from sourcetrace.extract.language.metrics import si_scores, tc_micro_f1

__all__ = ["LanguageSpan", "find_spans", "language_rows", "load_model", "si_scores", "tc_micro_f1"]
