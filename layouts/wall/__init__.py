"""The wall (/wall): a fixed design canvas of panels, read from meters away."""
