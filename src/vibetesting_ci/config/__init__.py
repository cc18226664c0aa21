"""Configuration: the option table, parsers, sources, settings and the tests files."""
