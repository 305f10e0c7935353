"""Generic rules machinery: measures, dated parameters, compilation to column expressions,
backends and explanations. Knows nothing of any particular policy."""
