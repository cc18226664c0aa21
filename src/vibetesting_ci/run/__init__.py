"""Running a command: the runner (plain sequencing), waiting, the retries loop, progress,
cancellation and the daemon-thread concurrency.
"""
