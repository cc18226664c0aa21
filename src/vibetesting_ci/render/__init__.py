"""Renderers: pure functions from the report to text (JUnit XML, results JSON, dotenv, console
lines, GitHub summary/outputs/annotations, the comment's Markdown). Nothing here writes.
"""
