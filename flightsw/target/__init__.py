"""Targets the flight software or the HIL rig talk to: emulated boards started as processes."""
