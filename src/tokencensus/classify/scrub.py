"""Remove personal data and secrets from prompt text before it is stored.

Only sampled, scrubbed prompt text is ever kept (DESIGN.md), so this runs on every sampled
prompt at ingest. It is regex-only: tens of thousands of prompts per second with no model and no
network, where NLP-based scrubbers manage about a hundred. It targets what a regex finds reliably
(contact details, payment and bank numbers, IP addresses, credentials); names and street addresses
need a model and are out of scope.

Each find becomes a typed placeholder (``<EMAIL>``, ``<CARD>``...). Numbers with a checksum
(cards: Luhn; IBANs: mod 97) are only replaced when the checksum holds, and IP addresses only
when they parse, so ordinary numbers, dates, UUIDs, hashes and version strings in code survive.
Deliberate choices, each tested:

- loopback and unspecified IP addresses (``127.0.0.1``, ``0.0.0.0``, ``::1``) are kept: they are
  in every config snippet and identify nothing;
- a dotted quad right after "version", "release", ``v``, ``==``, ``>=``, ``<=`` or ``~=`` is a
  version number, not an address (a bare ``1.2.3.4`` is scrubbed: it is a valid address);
- card numbers must start like an issuer's (2-6), so epoch timestamps and 2**53-1 survive;
- phone numbers need an international prefix (``+``/``00``), the North-American 3-3-4 shape, or a
  word such as "phone"/"tel" before them: a bare run of digits is too often an id or a quantity;
- a credential is replaced but the text around it kept (``Bearer <SECRET>``,
  ``aws_secret_access_key = <SECRET>``, ``https://user:<URL_PASSWORD>@host``).

The kinds run one after another, most specific first (a private key before the e-mail inside
it, a URL password before the ``user:pass@host`` that looks like an e-mail). Scrubbing is
idempotent: placeholders never match a pattern again.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

EMAIL, PHONE, CARD, IP, IBAN = "<EMAIL>", "<PHONE>", "<CARD>", "<IP>", "<IBAN>"
SECRET, JWT, PRIVATE_KEY, URL_PASSWORD = "<SECRET>", "<JWT>", "<PRIVATE_KEY>", "<URL_PASSWORD>"
PLACEHOLDERS = (EMAIL, PHONE, CARD, IP, IBAN, SECRET, JWT, PRIVATE_KEY, URL_PASSWORD)

# IBAN length per country (ISO 13616 registry); a candidate of another length is not an IBAN.
_IBAN_LENGTHS = {
    code: int(length)
    for code, length in (
        item.split(":")
        for item in (
            "AD:24 AE:23 AL:28 AT:20 AZ:28 BA:20 BE:16 BG:22 BH:22 BI:27 BR:29 BY:28 CH:21 CR:22 "
            "CY:28 CZ:24 DE:22 DJ:27 DK:18 DO:28 EE:20 EG:29 ES:24 FI:18 FK:18 FO:18 FR:27 GB:22 "
            "GE:22 GI:23 GL:18 GR:27 GT:28 HR:21 HU:28 IE:22 IL:23 IQ:23 IS:26 IT:27 JO:30 KW:30 "
            "KZ:20 LB:28 LC:32 LI:21 LT:20 LU:20 LV:21 LY:25 MC:27 MD:24 ME:22 MK:19 MN:20 MR:27 "
            "MT:31 MU:30 NI:28 NL:18 NO:15 OM:23 PK:24 PL:28 PS:29 PT:25 QA:29 RO:24 RS:22 RU:33 "
            "SA:24 SC:31 SD:18 SE:24 SI:19 SK:24 SM:27 SO:23 ST:25 SV:28 TL:23 TN:24 TR:26 UA:29 "
            "VA:22 VG:24 XK:20 YE:30"
        ).split()
    )
}

# Patterns start with a literal or a character class and check what precedes their first
# character with a look-behind placed after it (``\d(?<![\w.]\d)``): that lets the regex engine
# skip straight to candidates, which is most of the speed. Kinds that keep some context name
# their parts ``key`` (kept) and ``value`` (replaced).
_PRIVATE_KEY = r"-----BEGIN[ A-Z]*PRIVATE\ KEY-----(?:.*?-----END[ A-Z]*PRIVATE\ KEY-----|[A-Za-z0-9+/=\s]*)"
_URL_PASSWORD = r"(?P<key>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/?#@<>]*:)(?P<value>[^\s/?#@<>]+)(?=@)"
_JWT = r"eyJ(?<!\weyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
_BEARER = r"(?P<key>[Bb](?<!\w[Bb])earer\s+)(?P<value>[A-Za-z0-9._~+/-]{16,}=*)"
_AWS_SECRET = (
    r"(?P<key>(?i:aws_secret_access_key)[\"']?\s*[:=]\s*[\"']?)(?P<value>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
)
_SECRET = r"""(?: sk-[A-Za-z0-9_-]{20,}
                | [sr]k_(?:live|test)_[A-Za-z0-9]{16,}
                | (?:AKIA|ASIA)[A-Z0-9]{16}\b
                | gh[pousr]_[A-Za-z0-9]{36,}
                | github_pat_[A-Za-z0-9_]{22,}
                | glpat-[A-Za-z0-9_-]{20,}
                | xox[abprs]-[A-Za-z0-9-]{10,}
                | AIza[0-9A-Za-z_-]{35}
                | hf_[A-Za-z0-9]{30,})"""
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
_IBAN = r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?:\ ?[A-Z0-9]{4}){2,7}(?:\ ?[A-Z0-9]{1,3})?\b"
# Digit groups joined by single spaces or dashes, 13+ digits in all; which groups form the card
# is decided by checksum (see _replace_cards), so "order 12 4111 1111 1111 1111" loses the card only.
_CARD = r"\d(?<![\w.,-]\d)(?:[\ -]?\d){12,60}(?!\w|[.,]\d)"
_IPV4 = r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?!\w|\.\d)"
_IPV6 = r"[0-9A-Fa-f:](?<![\w:.\[][0-9A-Fa-f:])[0-9A-Fa-f:]{1,38}(?:\.\d{1,3}){0,3}(?![\w:.]\w)"
_PHONE_WORDS = r"(?i:phone|tel|telephone|mobile|fax|whatsapp|telefon|telefono|telefone)"
_PHONE_KEYWORD = (
    rf"(?P<key>\b{_PHONE_WORDS}\b"
    r"(?:[^\S\n]*[:.#])*[^\S\n]*)(?P<value>\+?\(?\d[\d\ ().-]{5,18}\d)(?!\w)"
)
_PHONE = r"""\+(?<![\w+]\+)[1-9]\d{0,2}(?:[\ .-]?\(?\d{1,4}\)?){1,5}[\ .-]?\d{2,4}(?!\d)
           | 0(?<![\w+]0)(?<!\d[\ .-]0)0[1-9]\d{0,2}[\ .-](?:[\ .-]?\(?\d{1,4}\)?){1,5}[\ .-]?\d{2,4}(?!\d)
           | \d(?<![\w.+-]\d)(?<!\d[\ .-]\d)\d{2}(?P<sep>[\ .-])\d{3}(?P=sep)\d{4}(?!\w|[.-]\d)
           | \((?<![\w.+-]\()\d{3}\)\ ?\d{3}[\ .-]?\d{4}(?!\w|[.-]\d)"""

# What right before a dotted quad makes it a version number, not an address.
_VERSION_BEFORE = re.compile(r"(?:version|release|\bv|==|>=|<=|~=)[\s\"'=:_]*\Z", re.IGNORECASE)


def _digits(text: str) -> str:
    return "".join(filter(str.isdigit, text))


def _luhn(number: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    """Luhn-valid, 13-19 digits, starting like an issuer's (2-6: epoch timestamps start with 1)."""
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits)


def _card_shaped(groups: list[str]) -> bool:
    """One run of digits, or printed like a card: a 4-digit group, then groups of 3 to 6."""
    return len(groups) == 1 or (len(groups[0]) == 4 and all(3 <= len(g) <= 6 for g in groups[1:]))


def _replace_cards(match: re.Match[str]) -> str:
    """Replace each leftmost-longest run of whole digit groups that is a card number."""
    text = match.group()
    spans = [(m.start(), m.end()) for m in re.finditer(r"\d+", text)]
    groups = [text[a:b] for a, b in spans]
    pieces, kept_to, first = [], 0, 0
    while first < len(groups):
        for last in range(len(groups) - 1, first - 1, -1):
            window = groups[first : last + 1]
            if _card_shaped(window) and _is_card("".join(window)):
                pieces += [text[kept_to : spans[first][0]], CARD]
                kept_to, first = spans[last][1], last
                break
        first += 1
    return "".join(pieces) + text[kept_to:]


def _is_iban(match: re.Match[str]) -> bool:
    """The right length for its country and mod-97 remainder 1 (ISO 13616)."""
    compact = match.group().replace(" ", "")
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _is_address(text: str) -> bool:
    """A parseable IP address that is neither loopback nor unspecified."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def _is_ipv4(match: re.Match[str]) -> bool:
    """An address, unless the text right before marks it as a version number."""
    before = match.string[max(0, match.start() - 16) : match.start()]
    return _is_address(match.group()) and not _VERSION_BEFORE.search(before)


def _is_ipv6(match: re.Match[str]) -> bool:
    """An address with at least three groups, so ``a::b`` (C++) and ``x[1::2]`` stay code."""
    text = match.group()
    return ":" in text and sum(1 for group in text.split(":") if group) >= 3 and _is_address(text)


def _is_phone(match: re.Match[str]) -> bool:
    """7 to 15 digits: the length of real numbers, E.164 included."""
    number = match.group("value") if "value" in match.re.groupindex else match.group()
    return 7 <= len(_digits(number)) <= 15


@dataclass(frozen=True)
class _Kind:
    """One kind of personal data: where it may be, what it looks like, and what replaces it.

    ``gate`` is a cheap test a text must pass before the full pattern runs on it; ``check``
    validates a candidate (checksums, parsing); with ``key``/``value`` groups only the value goes;
    ``rewrite``, where given, computes the replacement itself.
    """

    placeholder: str
    pattern: re.Pattern[str]
    gate: re.Pattern[str] | None = None
    check: Callable[[re.Match[str]], bool] | None = None
    rewrite: Callable[[re.Match[str]], str] | None = None

    def replace(self, match: re.Match[str]) -> str:
        if self.rewrite is not None:
            return self.rewrite(match)
        if self.check is not None and not self.check(match):
            return match.group()
        if "key" in self.pattern.groupindex:
            return match.group("key") + self.placeholder
        return self.placeholder

    def scrub(self, text: str) -> str:
        if self.gate is not None and self.gate.search(text) is None:
            return text
        return self.pattern.sub(self.replace, text)


def _kind(
    placeholder: str,
    regex: str,
    gate: str | None = None,
    check: Callable[[re.Match[str]], bool] | None = None,
    rewrite: Callable[[re.Match[str]], str] | None = None,
) -> _Kind:
    flags = re.VERBOSE | re.DOTALL | re.ASCII
    gate_pattern = re.compile(gate, re.ASCII) if gate else None
    return _Kind(placeholder, re.compile(regex, flags), gate_pattern, check, rewrite)


#: Kinds in the order they run: most specific first.
KINDS: dict[str, _Kind] = {
    "private_key": _kind(PRIVATE_KEY, _PRIVATE_KEY),
    "url_password": _kind(URL_PASSWORD, _URL_PASSWORD, gate="://"),
    "jwt": _kind(JWT, _JWT),
    "bearer": _kind(SECRET, _BEARER),
    "aws_secret": _kind(SECRET, _AWS_SECRET, gate="(?i)_access_key"),
    "secret": _kind(SECRET, _SECRET),
    "email": _kind(EMAIL, _EMAIL, gate="@"),
    "iban": _kind(IBAN, _IBAN, check=_is_iban),
    "card": _kind(CARD, _CARD, rewrite=_replace_cards),
    "ipv4": _kind(IP, _IPV4, check=_is_ipv4),
    "ipv6": _kind(IP, _IPV6, gate=":[0-9A-Fa-f]{0,4}:", check=_is_ipv6),
    "phone_keyword": _kind(PHONE, _PHONE_KEYWORD, gate=_PHONE_WORDS, check=_is_phone),
    "phone": _kind(PHONE, _PHONE, check=_is_phone),
}
_ORDER = tuple(KINDS.values())


def scrub(text: str) -> str:
    """``text`` with personal data and secrets replaced by typed placeholders."""
    for kind in _ORDER:
        text = kind.scrub(text)
    return text


def scrub_many(texts: Iterable[str | None]) -> list[str | None]:
    """:func:`scrub` over a batch, passing nulls through (a column of prompt text)."""
    return [None if text is None else scrub(text) for text in texts]
