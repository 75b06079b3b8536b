"""The pipeline layer: which files and rules run, suppressions, the per-file engine, the cache
and the worker pool."""
