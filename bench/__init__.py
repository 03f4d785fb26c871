"""The performance harness (`make bench`, `make bench-quick`); docs/development.md
"Performance harness" explains what it measures and how."""
