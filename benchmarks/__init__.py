"""Speed benchmarks of searcher against reference engines; run ``python -m benchmarks.run``."""
