"""Turning drafts into annotation files: the one home for writing ``annotation.yaml``."""
