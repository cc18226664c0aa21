"""Configuration: the option table (one row per option, feeding the CLI, the README, both actions,
the GitLab component and the Jenkins step), the parsers, the sources and their precedence,
the typed settings, the request body and the tests file. Reads options, variables and files;
sends nothing.
"""
