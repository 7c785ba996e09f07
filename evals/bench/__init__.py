"""Performance benchmarks (`make bench`): each figure printed next to a naive baseline measured in the same run."""
