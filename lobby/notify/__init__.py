"""Notifications to citizens (issue 15, part 3): web push on the ticket page and an HTTP gateway
for SMS or Zalo OA, each optional; none by default (the lobby works offline).

  models.py    the contacts (phone, push subscription) and the outbox, encrypted
  settings.py  which adapters are on, read from the app's settings
  contacts.py  set_ticket_contact, the push subscription, a dossier's consent; the daily forgetting
  messages.py  what each event says (Vietnamese), as data the adapters send
  outbox.py    queueing a message in the change's transaction; the sender (lobby.webhooks' loop)
  adapters.py  the gateway POST (HMAC-signed) and the Web Push request (VAPID)
  near.py      "N places from your turn", once per ticket
"""
