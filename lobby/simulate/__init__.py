"""A whole office day played against a running server through its public HTTP API.

`flask --app server demo --simulate` plays it for a showroom or a training session (the board,
kiosk and phones come alive); tests/e2e/test_office_day.py plays the same day on a clock file and
checks every screen after every step. The day is drawn from a seed, so it is the same each time:
citizens arrive with a morning peak, some in a priority group; officers call, recall, mark
no-shows (some citizens come back), transfer to a field or to a counter, accept dossiers and
finish; a counter pauses for a meeting; citizens rate the service.

The simulator keeps its own account of what every ticket and counter should be (`tickets`,
`holding`) from what it did, never from what the server says; checks compare the two.
Standard library only (http.client): it runs from the server's own virtual environment.
"""
