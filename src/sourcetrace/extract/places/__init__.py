"""Places: toponyms found in a document and geocoded offline, with the document as context.

The package is split by what each part does:

* :mod:`.component`: the spaCy component ``sourcetrace_places`` that finds the toponyms of a
  document (its rules are in that module's docstring) and the row exporter of its mentions;
* :mod:`.resolver`: geocoding, one gazetteer entry per toponym, scored with the document's
  other toponyms as context;
* :mod:`.data`: the scoring weights and word lists both use;
* :mod:`.gazetteer`: the offline gazetteer.

The corpus step that merges places across documents is :mod:`sourcetrace.link.places`.
Importing this package registers the component and the exporter (``nlp.pipeline`` imports
it by name for that).
"""

from __future__ import annotations

from sourcetrace.extract.places.component import PlaceMention, PlacesComponent, place_rows
from sourcetrace.extract.places.component import (
    _cue as _cue,  # benchmarks/geo.py scores the resolver with the component's own cues
)
from sourcetrace.extract.places.gazetteer import load_gazetteer
from sourcetrace.extract.places.resolver import Resolver

__all__ = ["PlaceMention", "PlacesComponent", "Resolver", "place_rows", "load_gazetteer"]
