"""The hardware-in-the-loop rig: target fixtures, the suite and its report (``pytest hil --target ...``)."""
