"""The web site: calls for everyone, ILO and admin pages behind sign-in, company preferences by
signed link, feeds (Atom, iCalendar) and open data. ``create_app`` in ``app.py`` builds it."""
