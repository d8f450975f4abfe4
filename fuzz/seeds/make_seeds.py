#!/usr/bin/env python3
"""Writes the committed seed inputs of the fuzz targets (fuzz/seeds/<target>/). Run it from
anywhere; it rewrites every seed. Seeds stay tiny: a few valid inputs per target, from which
the fuzzer mutates."""

import hashlib
import hmac
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def hexbytes(text):
    return bytes.fromhex(text.replace("\n", " "))


# protocol: golden packets of src/protocol/tests.rs.
PACKETS = {
    "login": "1f 18 ff ff ff ff ff ff ff ff ff 01 30 01 7a 02 68 69 f2 01 0b 0a 07 70 73 65 73"
    " 73 2d 31 10 02",
    "login_result": "1b 08 01 18 01 28 ff ff ff ff ff ff ff ff ff 01 30 01 fa 01 07 08 01 18"
    " 01 20 8f 0f",
    "udp_connect": "14 08 09 10 01 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00",
    "fast_message": "16 08 14 10 05 20 ff ff ff ff ff ff ff ff ff 01 28 01 7a 03 61 62 63",
    "join_group": "16 08 13 18 ff ff ff ff ff ff ff ff ff 01 28 01 30 01 c2 02 02 08 05",
    "verify_identity": "0e 08 1b 28 01 aa 02 07 08 01 12 03 74 6f 6b",
}
for name, text in PACKETS.items():
    write("protocol", name, hexbytes(text))


# ws_prelogin: an upgrade request, then masked client frames.
UPGRADE = (
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:1935\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
).encode()


def frame(opcode, payload, fin=True):
    mask = b"\x37\xfa\x21\x3d"
    head = bytes([(0x80 if fin else 0) | opcode])
    if len(payload) < 126:
        head += bytes([0x80 | len(payload)])
    else:
        head += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


login = hexbytes(PACKETS["login"])
write("ws_prelogin", "login", UPGRADE + frame(0x2, login))
write("ws_prelogin", "ping_text_then_login", UPGRADE + frame(0x9, b"hi") + frame(0x1, b"text")
      + frame(0x2, hexbytes(PACKETS["join_group"])) + frame(0x2, login))
write("ws_prelogin", "fragmented_login_then_close",
      UPGRADE + frame(0x2, login[:5], fin=False) + frame(0x0, login[5:])
      + frame(0x8, b"\x03\xe8bye"))


# sigv4: a flag byte (128: verify as sent; 129: sign first, the clock at the request's date),
# then the request head, an empty line and the body.
def sigv4_request(target, body, date="20150830T123600Z"):
    key_id, secret = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    region, service = "us-west-2", "gamelift"
    headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("host", "127.0.0.1:8080"),
        ("x-amz-date", date),
        ("x-amz-target", target),
    ]
    signed = ";".join(name for name, _ in headers)
    canonical = "\n".join(
        ["POST", "/", ""] + [f"{n}:{v}" for n, v in headers]
        + ["", signed, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in [date[:8], region, service, "aws4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = (f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, "
            f"Signature={signature}")
    head = "POST /\n" + "".join(f"{n}:{v}\n" for n, v in headers + [("authorization", auth)])
    return head.encode() + b"\n" + body


create = b'{"FleetId":"fleet-local","MaximumPlayerSessionCount":4}'
write("sigv4", "signed_create_game_session", b"\x80" + sigv4_request("GameLift.CreateGameSession", create))
write("sigv4", "signed_describe_fleets", b"\x80" + sigv4_request("GameLift.DescribeFleets", b"{}"))
write("sigv4", "sign_me", b"\x81POST /a/../b/%20?x=1&y=%41&x=0\nhost:h\nx-amz-target:GameLift.ListAliases\n"
      b"x-a:  two   spaces \nx-a:again\n\n{}")


# search: filter and sort expressions of the GameLift documentation and the grammar's corners.
SEARCH = {
    "documented": "hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'duel'",
    "nested": "NOT (maximumSessions <= 4 OR (playerSessionCount > 1 AND creationTimeMillis >= 0))",
    "strings": "gameSessionName <> \"Matt\\'s game\" OR gameSessionId = 'x'",
    "sort": "playerSessionCount DESC",
}
for name, text in SEARCH.items():
    write("search", name, text)


# config: small files; the runner adds config/ (every documented key) as a seed folder.
write("config", "limits", "[limits]\nmax_frame_bytes = 8192\nmax_connections = 100\n")
write("config", "control", '[control]\nlisten = "127.0.0.1:0"\n\n[[control.access_keys]]\n'
      'access_key_id = "AKID"\nsecret_access_key = "secret"\n')
write("config", "sessions", "[sessions]\nmax_players = 8\necho_to_sender = true\n"
      "[game]\nlisten = \"[::1]:1935\"\n")


# script_zip: zips as CreateScript receives them.
def zipped(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return out.getvalue()


write("script_zip", "root", zipped([("index.js", "exports.ssExports = {};\n")]))
write("script_zip", "folder", zipped([
    ("game/index.js", "const c = require('./lib/c.json');\nexports.ssExports = {};\n"),
    ("game/lib/c.json", '{"n": 1}'),
    ("game/README.md", "ignored"),
]))
write("script_zip", "bom_and_dirs", zipped([
    ("lib/", ""),
    ("index.js", "\ufeffexports.ssExports = {};\n"),
    ("__MACOSX/._index.js", "x"),
]))
