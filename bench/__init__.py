"""Benchmarks: each module ``bench/<name>.py`` has ``main(argv) -> int`` and prints a table."""
