"""The checks behind `legionio check` and `legion doctor`: one module per thing checked.

Every check returns `Finding`s (see `report`) and never raises, so one broken component never
hides the others; `runner` runs the network checks concurrently under a deadline.
"""
