"""Pure values and rules: the models of an execution and a run, the plan of test cases (stable
identities), the verdict, the one report value, the retry plan. No I/O, no clock.
"""
