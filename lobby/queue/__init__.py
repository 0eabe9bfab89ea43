"""The queue: reference rows, the line, issuing, counter actions, broadcasting, read models.

Import the modules (lobby.queue.issuing, ...), not this package."""
