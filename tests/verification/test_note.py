"""Signed notes and checkpoints against golang.org/x/mod sumdb/note and C2SP published vectors."""

from __future__ import annotations

import base64
import hashlib

import pytest

from verification.errors import (
    BadSignatureError,
    MalformedCheckpointError,
    MalformedKeyError,
    MalformedNoteError,
    NoMatchingSignatureError,
    OriginMismatchError,
)
from verification.note import (
    MAX_SIGNATURES,
    Checkpoint,
    NoteSigner,
    format_checkpoint,
    generate_key,
    key_id,
    key_name,
    parse_checkpoint,
    sign_note,
    verifier_key_from_private,
    verify_checkpoint,
    verify_note,
)

# golang.org/x/mod sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign, TestOpen).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotp"
    "RZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox3"
    "3WWd1RvMc+QQ=\n"
)

# c2sp.org/signed-note: the example note (its key is not published, so it is an unknown signer).
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFS"
    "QU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
# c2sp.org/tlog-checkpoint: the example checkpoint.
C2SP_CHECKPOINT_TEXT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
C2SP_CHECKPOINT = (
    C2SP_CHECKPOINT_TEXT + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+"
    "ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def _insert_at_byte(line: str, offset: int, extra: str) -> str:
    """Go's peterSig[:60] + "ABCD" + peterSig[60:] slices UTF-8 bytes, not characters."""
    raw = line.encode()
    return (raw[:offset] + extra.encode() + raw[offset:]).decode()


# --- Keys -----------------------------------------------------------------------------------------


def test_published_keys_parse_and_agree() -> None:
    assert verifier_key_from_private(PETER_SKEY) == PETER_VKEY
    assert key_name(PETER_VKEY) == "PeterNeumann"
    assert key_id(PETER_VKEY) == bytes.fromhex("c74f20a3")
    assert key_id(ENOCH_VKEY) == bytes.fromhex("af0cfe78")


def _manglings(key: str) -> set[str]:
    """Every proper substring and every single-byte increment, as TestNewVerifier/NewSigner."""
    raw = key.encode()
    out = {raw[i:j].decode() for i in range(len(raw) + 1) for j in range(i + 1, len(raw) + 1)}
    out |= {(raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :]).decode() for i in range(len(raw))}
    out.discard(key)
    return out


def test_every_mangled_verifier_key_is_refused() -> None:
    for mangled in _manglings(PETER_VKEY):
        with pytest.raises(MalformedKeyError):
            key_name(mangled)


def test_every_mangled_private_key_is_refused() -> None:
    for mangled in _manglings(PETER_SKEY):
        with pytest.raises(MalformedKeyError):
            verifier_key_from_private(mangled)


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [  # TestNewVerifier: wrong key length and unknown algorithm, each with an adjusted key hash.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "base64",  # Go gets to the length check; our canonical base64 check refuses first
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm"),
    ],
)
def test_verifier_key_of_wrong_length_or_algorithm_is_refused(vkey: str, reason: str) -> None:
    with pytest.raises(MalformedKeyError, match=reason):
        key_name(vkey)


def test_generated_key_strings_follow_the_go_note_format() -> None:
    private, verifier = generate_key("jejak.example/log")
    prefix, kind, name, hash_hex, seed_b64 = private.split("+", 4)
    assert (prefix, kind, name) == ("PRIVATE", "KEY", "jejak.example/log")
    v_name, v_hash, pub_b64 = verifier.split("+", 2)
    assert (v_name, v_hash) == (name, hash_hex)
    seed, pub = base64.b64decode(seed_b64), base64.b64decode(pub_b64)
    assert seed[0] == pub[0] == 0x01
    assert len(seed) == len(pub) == 33
    expected_id = hashlib.sha256(name.encode() + b"\n\x01" + pub[1:]).digest()[:4]
    assert hash_hex == expected_id.hex()
    assert verifier_key_from_private(private) == verifier


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "a\tb", "a\nb", "a\u2003b", "a\udcffb", "a\x01"]
)
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(MalformedKeyError, match="invalid key name"):
        generate_key(name)


# --- Signing --------------------------------------------------------------------------------------


def test_sign_reproduces_the_go_note_signature_byte_for_byte() -> None:
    assert sign_note(TEXT, PETER_SKEY) == TEXT + "\n" + PETER_SIG


@pytest.mark.parametrize("text", ["abc", "", "no newline at end", "bell\x07\n", "a\udcff\n"])
def test_sign_refuses_text_that_no_verifier_could_read(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        sign_note(text, PETER_SKEY)


def test_text_with_blank_lines_round_trips() -> None:
    private, verifier = generate_key("poet")
    for text in ["a\n\nb\n", "a\n\n", "\n", "— not a signature\n"]:
        assert verify_note(sign_note(text, private), verifier) == text


# --- Verifying ------------------------------------------------------------------------------------


def test_verify_returns_the_signed_text() -> None:
    assert verify_note(TEXT + "\n" + PETER_SIG, PETER_VKEY) == TEXT


def test_verify_ignores_other_signers() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(note, PETER_VKEY) == TEXT
    assert verify_note(note, ENOCH_VKEY) == TEXT
    assert verify_note(TEXT + "\n" + ENOCH_SIG + PETER_SIG, PETER_VKEY) == TEXT


def test_duplicated_signature_lines_are_accepted() -> None:
    # TestOpen "Duplicated verified and unverified signatures".
    damaged_enoch = _insert_at_byte(ENOCH_SIG, 60, "ABCD")
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + damaged_enoch
    assert verify_note(note, PETER_VKEY) == TEXT


def test_note_without_a_signature_by_the_key_is_refused() -> None:
    with pytest.raises(NoMatchingSignatureError) as caught:
        verify_note(TEXT + "\n" + ENOCH_SIG, PETER_VKEY)
    assert caught.value.seen == ("EnochRoot+af0cfe78",)


@pytest.mark.parametrize(
    "line",
    [  # TestOpen: a Verifier for the wrong name or hash; a signer with our name but another id.
        PETER_SIG.replace("PeterNeumann", "CarmenSandiego"),
        PETER_SIG.replace("x08g", "xxxx"),
    ],
)
def test_line_sharing_only_the_name_or_only_the_id_is_an_unknown_signer(line: str) -> None:
    with pytest.raises(NoMatchingSignatureError):
        verify_note(TEXT + "\n" + line, PETER_VKEY)


def test_bad_signature_by_the_key_is_refused() -> None:
    with pytest.raises(BadSignatureError, match="PeterNeumann\\+c74f20a3") as caught:
        verify_note(TEXT + "\n" + _insert_at_byte(PETER_SIG, 60, "ABCD"), PETER_VKEY)
    assert caught.value.key_id == bytes.fromhex("c74f20a3")


def test_bad_signature_by_the_key_is_refused_even_beside_a_good_one() -> None:
    forged = sign_note("something else\n", PETER_SKEY).split("\n\n")[1]
    with pytest.raises(BadSignatureError):
        verify_note(TEXT + "\n" + PETER_SIG + forged, PETER_VKEY)


def test_signature_over_other_text_is_refused() -> None:
    with pytest.raises(BadSignatureError):
        verify_note(TEXT.upper() + "\n" + PETER_SIG, PETER_VKEY)


def _unknown_lines(count: int) -> str:
    sig = base64.b64encode(b"\x00\x00\x00\x00" + b"\x11" * 64).decode()
    return "".join(f"— witness{i}.example {sig}\n" for i in range(count))


def test_at_least_sixteen_and_up_to_the_cap_of_signature_lines_are_accepted() -> None:
    for count in (15, MAX_SIGNATURES - 1):
        assert verify_note(TEXT + "\n" + _unknown_lines(count) + PETER_SIG, PETER_VKEY) == TEXT


def test_more_signature_lines_than_the_cap_are_refused() -> None:
    # TestOpen "too many signatures": 101 lines.
    with pytest.raises(MalformedNoteError, match="signature lines"):
        verify_note(TEXT + "\n" + PETER_SIG * 101, PETER_VKEY)


@pytest.mark.parametrize(
    "note",
    [  # TestOpen "Invalid encoded message syntax" ("\xff" becomes a lone surrogate in a str).
        pytest.param(TEXT, id="no-signature-block"),
        pytest.param(TEXT + "\n", id="empty-signature-block"),
        pytest.param(TEXT + "\n" + PETER_SIG[:-1], id="no-final-newline"),
        pytest.param("\x01" + TEXT + "\n" + PETER_SIG, id="control-character"),
        pytest.param("\udcff" + TEXT + "\n" + PETER_SIG, id="invalid-utf8"),
        pytest.param(
            TEXT + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
            "vqfqdngotpRZb6KE6RyyBwJnAM=",
            id="name-with-space",
        ),
        pytest.param(TEXT + "\n" + PETER_SIG + "Unexpected line.\n", id="unexpected-line"),
        pytest.param(TEXT + "\n" + PETER_SIG.replace("JnAM=", "JnAM"), id="unpadded-base64"),
        pytest.param(TEXT + "\n" + PETER_SIG.replace("JnAM=", "JnAN="), id="non-canonical-b64"),
        pytest.param(TEXT + "\n— PeterNeumann AAAA\n", id="signature-too-short"),
        pytest.param(TEXT + "\n—  PeterNeumann x08g\n", id="double-space"),
        pytest.param(TEXT + "\n- PeterNeumann x08g\n", id="hyphen-not-em-dash"),
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(MalformedNoteError):
        verify_note(note, PETER_VKEY)


def test_c2sp_example_note_parses_and_has_an_unknown_signer() -> None:
    key_id_hex = base64.b64decode("NnugSzTj")[:4].hex()
    with pytest.raises(NoMatchingSignatureError) as caught:
        verify_note(C2SP_NOTE, PETER_VKEY)
    assert caught.value.seen == (f"quasimodo.example/salvatore+{key_id_hex}",)


# --- Checkpoints ----------------------------------------------------------------------------------


def test_c2sp_example_checkpoint_parses_and_formats_back() -> None:
    checkpoint = parse_checkpoint(C2SP_CHECKPOINT_TEXT)
    assert checkpoint == Checkpoint(
        origin="example.com/behind-the-sofa",
        size=20852163,
        root=base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
        extensions=(),
    )
    assert format_checkpoint(checkpoint.origin, checkpoint.size, checkpoint.root) == (
        C2SP_CHECKPOINT_TEXT
    )
    with pytest.raises(NoMatchingSignatureError, match="behind-the-sofa"):
        verify_checkpoint(C2SP_CHECKPOINT, PETER_VKEY)


def test_signed_checkpoint_round_trips() -> None:
    private, verifier = generate_key("jejak.example/log")
    root = hashlib.sha256(b"").digest()
    note = sign_note(format_checkpoint("jejak.example/log", 0, root), private)
    assert verify_checkpoint(note, verifier) == Checkpoint("jejak.example/log", 0, root, ())


def test_checkpoint_whose_origin_is_not_the_key_name_is_refused() -> None:
    private, verifier = generate_key("jejak.example/log")
    note = sign_note(format_checkpoint("other.example/log", 1, b"\x00" * 32), private)
    with pytest.raises(OriginMismatchError) as caught:
        verify_checkpoint(note, verifier)
    assert (caught.value.expected, caught.value.actual) == (
        "jejak.example/log",
        "other.example/log",
    )


def test_checkpoint_extension_lines_are_kept() -> None:
    text = C2SP_CHECKPOINT_TEXT + "ext one\next two\n"
    assert parse_checkpoint(text).extensions == ("ext one", "ext two")


ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"o\n01\n{ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"o\n+1\n{ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"o\n-1\n{ROOT_B64}\n", id="negative"),
        pytest.param(f"o\n 1\n{ROOT_B64}\n", id="space"),
        pytest.param(f"o\n1_000\n{ROOT_B64}\n", id="underscore"),
        pytest.param(f"o\n\u0661\n{ROOT_B64}\n", id="non-ascii-digit"),
        pytest.param(f"o\n{2**64}\n{ROOT_B64}\n", id="size-over-uint64"),
        pytest.param(f"o\n\n{ROOT_B64}\n", id="empty-size"),
        pytest.param(f"\n1\n{ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"o\n1\n{ROOT_B64}", id="no-final-newline"),
        pytest.param(f"o\n1\n{ROOT_B64}\n\n", id="empty-extension-line"),
        pytest.param("o\n1\n", id="two-lines"),
        pytest.param("o\n1\nAAAA\n", id="short-root"),
        pytest.param(f"o\n1\n{ROOT_B64[:-1]}\n", id="unpadded-root"),
        pytest.param(f"o\n1\n{ROOT_B64[:-2]}J=\n", id="non-canonical-root"),
        pytest.param(f"o\n1\n{ROOT_B64}\nbell\x07\n", id="control-character"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(MalformedCheckpointError if "\x07" not in text else MalformedNoteError):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [("", 1, b"\x00" * 32), ("a\nb", 1, b"\x00" * 32), ("o", -1, b"\x00" * 32), ("o", 1, b"")],
)
def test_format_checkpoint_refuses_what_parse_would_refuse(
    origin: str, size: int, root: bytes
) -> None:
    with pytest.raises(MalformedCheckpointError):
        format_checkpoint(origin, size, root)


def test_a_note_signer_parsed_once_signs_like_sign_note() -> None:
    private, verifier = generate_key("jejak.test/signer")
    signer = NoteSigner(private)
    assert signer.verifier_key == verifier == verifier_key_from_private(private)
    for size in (1, 2, 3):
        text = format_checkpoint("jejak.test/signer", size, bytes(32))
        signed = signer.sign(text)
        assert signed == sign_note(text, private)  # Ed25519 signatures are deterministic
        assert verify_note(signed, verifier) == text
