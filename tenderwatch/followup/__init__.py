"""The ILO's follow-up of a call, per company: states and their rules (``states``), the one writer
(``records``), wins for georeturn (``wins``), the board and its filters (``board``), answers per area
(``precision``), reminders (``reminders``) and JSON lines export and import (``transfer``)."""
