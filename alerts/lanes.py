"""A batch of mails sent over several SMTP connections at once (``mail.smtp.connections``), each
acceptance recorded before any connection starts another mail.

Each lane is a thread with its own connection (a ``Transport``); lanes take the batch's mails one
at a time from a shared queue, so a slow lane holds up nobody. What a server answered goes back to
the caller's thread, which alone touches the database (``record``: the ledger marks a group of
acceptances in one transaction). A lane starts a mail (its MAIL FROM) only when every answer
received so far is recorded: a crash, or a server that fails, at the start of a mail finds every
accepted mail marked sent, as with one connection. With one lane this is the sequence of one
connection exactly (send, record, next); with several, the server's time and the round-trips of
one connection overlap those of the others, and only the instant between an acceptance and its
commit (a fraction of a millisecond) is open on each connection, as it always is over SMTP.

A lane that loses its connection stops every lane after its current mail: the mails never started
are counted ``deferred`` and stay pending for the next run.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alerts.ledger import Outgoing
from alerts.transport import SendError, Transport


@dataclass(frozen=True)
class Answer:
    """What the server said to one mail: ``where`` it went when accepted, else the ``error``."""

    item: Outgoing
    where: str | None = None
    error: SendError | None = None


class _Lanes:
    def __init__(self, items: Sequence[Outgoing], sender: str) -> None:
        self.items = list(reversed(items))
        self.sender = sender
        self.unrecorded = 0
        """Answers handed to the caller's thread and not yet recorded: no lane starts a mail meanwhile."""
        self.stopped = False
        self.turn = threading.Condition()
        self.answers: queue.SimpleQueue[Answer | BaseException | None] = queue.SimpleQueue()

    def next_item(self) -> Outgoing | None:
        with self.turn:
            while self.unrecorded and not self.stopped:
                self.turn.wait()
            if self.stopped or not self.items:
                return None
            return self.items.pop()

    def run(self, transport: Transport) -> None:
        try:
            while (item := self.next_item()) is not None:
                try:
                    answer = Answer(item, where=transport.send(item, sender=self.sender))
                except SendError as exc:
                    answer = Answer(item, error=exc)
                    if exc.connection_lost:
                        self.stop()
                with self.turn:
                    self.unrecorded += 1
                self.answers.put(answer)
        except BaseException as exc:  # a bug, not a server's answer: the caller raises it
            self.stop()
            self.answers.put(exc)
        finally:
            self.answers.put(None)  # this lane is done

    def stop(self) -> None:
        with self.turn:
            self.stopped = True
            self.turn.notify_all()

    def recorded(self, n: int) -> None:
        with self.turn:
            self.unrecorded -= n
            self.turn.notify_all()


def send_in_lanes(items: Sequence[Outgoing], transports: Sequence[Transport], sender: str,
                  record: Callable[[list[Answer]], bool]) -> int:
    """Send ``items`` over ``transports`` (one thread each); ``record(answers)`` runs in this thread for
    each group of answers that came in together and returns False to stop the batch. Returns how many
    mails were never started (deferred)."""
    lanes = _Lanes(items, sender)
    threads = [threading.Thread(target=lanes.run, args=(t,), name=f"smtp-lane-{i}", daemon=True)
               for i, t in enumerate(transports)]
    for thread in threads:
        thread.start()
    running, failure = len(threads), None
    try:
        while running:
            got = [lanes.answers.get()]
            while True:  # everything that came in meanwhile: one group, one transaction
                try:
                    got.append(lanes.answers.get_nowait())
                except queue.Empty:
                    break
            running -= sum(1 for a in got if a is None)
            failure = failure or next((a for a in got if isinstance(a, BaseException)), None)
            answers = [a for a in got if isinstance(a, Answer)]
            if answers:
                try:
                    if not record(answers):
                        lanes.stop()
                finally:
                    lanes.recorded(len(answers))
    finally:
        lanes.stop()
        for thread in threads:
            thread.join()
    if failure is not None:
        raise failure
    return len(lanes.items)
