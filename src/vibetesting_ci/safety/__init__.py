"""What keeps secrets and hostile text out of every output: the scrubber, URL redaction,
the text escapers and the guard on the standard streams.
"""
