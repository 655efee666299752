"""
What an observed-data import announces: sent with `run=` (the ObservedRun)
and `ports=` (the port numbers whose rows it added, changed or removed, or
None when every port page changed: the source's date, or its first import)
inside the import's transaction, once it is written. An import that changed
nothing sends nothing.
"""

from django.dispatch import Signal

observed_imported = Signal()
