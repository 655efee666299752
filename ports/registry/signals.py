"""
What a registry import announces: sent with `run=` (the ImportRun) and
`ranges=` (the (low, high) port ranges of every assignment it added,
changed or withdrawn) inside the import's transaction, once it is written.
An import that changed nothing sends nothing.
"""

from django.dispatch import Signal

registry_imported = Signal()
