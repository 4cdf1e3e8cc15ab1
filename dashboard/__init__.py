"""govwall application: app factory, settings, command line, pages."""
