"""asv suites for zcodecs (see benchmarks/README.md)."""
