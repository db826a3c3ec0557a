"""Each call in a digest carries the company's two answer links, signed for that company and that call:
clicking one records the answer for the right follow-up."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

from sqlalchemy import Engine, select

from alerts.digest import run_digests
from alerts.tokens import read_answer_token
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice
from tests.alerts.support import NOW, HtmlTags, Recorder, company, notice, set_companies, store


def test_every_call_of_a_digest_has_its_own_answer_links(engine: Engine, smtp_config: Config,
                                                         smtp: tuple[Recorder, object]) -> None:
    recorder, _ = smtp
    set_companies(engine, smtp_config, [company("cryo", areas=["cryogenics"]),
                                        company("koud", areas=["cryogenics"], language="nl")])
    seen = NOW - timedelta(days=1)
    store(engine, smtp_config, [notice("D-1", "Cryostat one", areas=["cryogenics"], now=seen),
                                notice("D-2", "Cryostat two", areas=["cryogenics"], now=seen)], now=seen)
    assert run_digests(engine, smtp_config, now=NOW).sent == 2
    with session_scope(engine) as s:
        calls = set(s.scalars(select(Notice.call_uid)))
    for rcpt, key, words in (("cryo@example.nl", "cryo", ("Interested: ", "Not for us: ")),
                             ("koud@example.nl", "koud", ("Interesse: ", "Niet voor ons: "))):
        msg = recorder.to(rcpt)[0]
        links = [link for link in HtmlTags.of(msg.get_body(preferencelist=("html",)).get_content()).links
                 if "/answer/" in link]
        claims = {(c.company_key, c.call_uid, c.answer) for c in
                  (read_answer_token(smtp_config.settings, unquote(link.rsplit("/", 1)[1])) for link in links)}
        assert len(links) == 4 and claims == {(key, call, answer) for call in calls
                                              for answer in ("interested", "not_interested")}
        text = msg.get_body(preferencelist=("plain",)).get_content()
        assert all(text.count(word) == 2 for word in words), text


def test_answer_tokens_are_the_signing_librarys_own_and_cannot_be_turned(secret: str, config: Config) -> None:
    """The run's signer makes each signature with one C call; the token is byte for byte itsdangerous'
    TimestampSigner's, which verifies it; flipping the answer or the company breaks the signature."""
    from itsdangerous import TimestampSigner

    from alerts.tokens import AnswerSigner, TokenError

    token = AnswerSigner(config.settings).token("cryo", "tw-abc123", "interested")
    signed, _, signature = token.rpartition(".")
    library = TimestampSigner(secret, salt="tenderwatch-answer-link")
    assert library.get_signature(signed).decode("ascii") == signature
    assert library.unsign(token).decode("ascii") == "i.tw-abc123.cryo"
    claims = read_answer_token(config.settings, token)
    assert (claims.company_key, claims.call_uid, claims.answer) == ("cryo", "tw-abc123", "interested")
    for forged in ("n" + token[1:], token.replace(".cryo.", ".koud.")):
        try:
            read_answer_token(config.settings, forged)
        except TokenError:
            continue
        raise AssertionError(f"accepted a forged token {forged}")
