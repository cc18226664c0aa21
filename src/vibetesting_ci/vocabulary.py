"""Fixed words, each defined once: what the API accepts and what a true/false variable says.

Standard library only and nothing to import, so any module (settings, the tests file, progress,
the emulator) can use it without cost or cycles.
"""

# The execution types the API knows (``--execution-type``, the tests file, the emulator).
EXECUTION_TYPES = ("guided", "exploration")
# The recurrences of a scheduled run (``--repeat``).
REPEATS = ("once", "daily", "weekly")
# The words a true/false variable accepts (VIBETESTING_WAIT=yes, CI=true, FORCE_COLOR=0).
# In pairs, in the order error messages list them: "true/false/1/0/yes/no".
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
BOOL_WORDS = "/".join(word for pair in zip(TRUE_WORDS, FALSE_WORDS, strict=True) for word in pair)
