"""JSON Schema of the analysis export."""
