"""Scale data, benchmark scenarios and the report: `python -m bench` (see bench/__main__.py)."""
