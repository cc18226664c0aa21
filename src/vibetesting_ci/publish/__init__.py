"""Publishers: atomic files, the writable checks made before the trigger, the CI adapters
(one per CI system) and posting the pull/merge request comment.
"""
