"""Generated data for the benchmarks: realistic, seeded, and stored through the real schema."""
