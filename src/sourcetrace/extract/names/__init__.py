"""Names: one typed reading of every name mention, from all the evidence together.

* :mod:`.component`: the spaCy component ``sourcetrace_names`` that rewrites ``doc.ents``
  (its rules are in that module's docstring);
* :mod:`.data`: the word lists it reads.

Importing this package registers the component (``nlp.pipeline`` imports it by name).
"""

from __future__ import annotations

from sourcetrace.extract.names.component import Name, NamesComponent

__all__ = ["Name", "NamesComponent"]
