"""The spaCy pipeline: built once per process, extended with sourcetrace's components."""
