"""Feedback about the desk (phản ánh, kiến nghị; issue 14): a citizen sends it from the phone,
the kiosk's QR or the counter tablet, follows it by a public link; staff assign, answer and
publish it within the working-day deadlines of DOMAIN §14.

  models.py    the tables: feedback, its steps (the history), the daily code sequence
  rules.py     the body of a submission (schema, declared once), the office's deadline settings
  intake.py    use case: receive a submission (code, token, deadline, encrypted contact)
  workflow.py  use cases: assign, answer, publish; each step a history row
  views.py     read models: the public view, the staff list and detail, feedback_counts()

Submodules import each other directly, never this package; importing it imports nothing.
"""
