"""Sightline's benchmarks (`make bench`): not tests. See docs/performance.md."""
