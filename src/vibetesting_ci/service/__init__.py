"""The service side: the transport (timeouts, wall-clock bounds, capped reads), the one retry
policy, the VibeTesting API client and the trigger's error translation, the report download,
and the forge client of the pull/merge request comment. The only package that speaks HTTP.
"""
