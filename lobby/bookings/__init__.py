"""Remote tickets (lấy số từ xa, issue 15): a citizen books a field, a day and a time slot from
a phone, then checks in at the kiosk and the booking becomes a ticket whose place in line is
the slot's start.

  models.py     the bookings table
  slots.py      the bookable days and slots, their capacity and what is taken
  booking.py    use cases: book, view, cancel
  checkin.py    check-in at the kiosk (code or QR), automatic check-in, expiry
  sms.py        the one-time code port (an SMS gateway, when one is configured)

This file imports nothing: importers name the module that holds a name.
"""
