"""The reviewbot benchmark (GitHub issue 5): `python bench/run.py`."""
