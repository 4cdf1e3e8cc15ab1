"""bench/wall.py's parts: the processes it starts and measures (host), and wall screens
replayed over HTTP the way a browser runs them (browser)."""
