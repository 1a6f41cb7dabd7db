#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/: small inputs made here, none copied.

Run it after changing a harness's input format: tests/fuzz/make_corpus.py. Images are encoded with Pillow
(Debian's python3-pil), metadata included; everything else is spelled out below. Regression inputs that
the fuzzers found are kept in the same folders under names starting with "regression-" and are left alone.
"""
import base64
import hashlib
import hmac
import io
import json
import pathlib
import struct
import zlib

from PIL import Image, PngImagePlugin

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    folder = ROOT / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (folder / name).write_bytes(data)


def clear(target):
    folder = ROOT / target
    if folder.exists():
        for path in folder.iterdir():
            if not path.name.startswith("regression-"):
                path.unlink()


# --- HTTP: the first byte shapes the connection (bits 0-5: bytes per socket read, 0 = all; bit 6: upload route).
def http():
    clear("fuzz_http_request")
    whole, upload, trickle = b"\x00", b"\x40", b"\x07"
    seeds = {
        "get": b"GET /api/v1/health HTTP/1.1\r\nHost: tyto\r\n\r\n",
        "get-http10": b"GET /api/v1/health HTTP/1.0\r\n\r\n",
        "pipelined": b"GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "post-length": b"POST /api/v1/jobs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 17\r\n\r\n{\"pipeline\":\"x\"}\nGET / HTTP/1.1\r\n\r\n",
        "post-chunked": b"POST /api/v1/jobs HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;name=value;q=\"a b\"\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
        b"GET /next HTTP/1.1\r\n\r\n",
        "chunked-empty": b"PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "expect-continue": b"PUT /api/v1/uploads/1 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "websocket": b"GET /api/v1/stream HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        # What the framing checks refuse.
        "obs-fold": b"GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
        "length-and-chunked": b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "two-lengths": b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "length-list": b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc",
        "length-plus": b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
        "te-gzip-chunked": b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "te-twice": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "te-http10": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "bare-lf": b"GET / HTTP/1.1\nHost: t\n\n",
        "chunk-size-overflow": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"10000000000000001\r\nabc\r\n0\r\n\r\n",
        "chunk-huge-extension": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + b"e" * 5000 + b"\r\na\r\n0\r\n\r\n",
        "long-header": b"GET / HTTP/1.1\r\nX-Long: " + b"v" * 1100 + b"\r\n\r\n",
        "body-too-large": b"POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n",
        "absolute-target": b"GET http://tyto/api HTTP/1.1\r\n\r\n",
        "options-star": b"OPTIONS * HTTP/1.1\r\n\r\n",
    }
    for name, data in seeds.items():
        write("fuzz_http_request", name, whole + data)
    write("fuzz_http_request", "post-chunked-trickle", trickle + seeds["post-chunked"])
    write("fuzz_http_request", "upload-chunked", upload + seeds["post-chunked"])
    write("fuzz_http_request", "upload-length", upload + seeds["post-length"])
    write("fuzz_http_request", "upload-trickle", b"\x43" + seeds["expect-continue"] + b"GET / HTTP/1.1\r\n\r\n")


# --- JSON text.
def json_text():
    clear("fuzz_json_text")
    seeds = {
        "object": '{"pipeline":"builtin.sleep","input":{"seconds":1},"priority":-3,"tags":["a","b"],"ok":true}',
        "scalars": '[null,true,false,0,-0,1.5e3,-2E-7,18446744073709551615,-9223372036854775808,""]',
        "strings": '["\\u00e9\\ud83d\\ude00","\\"[{\\\\","tab\\tnew\\nline","\u00fc\u6f22"]',
        "depth-256": "[" * 256 + "]" * 256,
        "depth-257": "[" * 257 + "]" * 257,
        "brackets-in-strings": '{"a":"[[[{{{","b":["]]]"]}',
        "out-of-range": "[1e400]",
        "big-integer": "1" * 400,
        "lone-surrogate": '"\\ud800"',
        "trailing": '{"a":1} x',
        "empty": "",
    }
    for name, text in seeds.items():
        write("fuzz_json_text", name, text)
    write("fuzz_json_text", "invalid-utf8", b'["\xff\xfe", "\xc0\x80"]')


# --- Cron: expression, time zone, start (microseconds).
def cron():
    clear("fuzz_cron")
    seeds = {
        "every-minute": "* * * * *\n",
        "quarter-hours-berlin": "*/15 * * * *\nEurope/Berlin\n1711846799000000",
        "half-past-two-berlin": "30 2 * * *\nEurope/Berlin\n1711800000000000",
        "fall-back-new-york": "*/10 1 * * *\nAmerica/New_York\n1699160000000000",
        "lord-howe": "0,30 * * * *\nAustralia/Lord_Howe\n1712430000000000",
        "names": "0 9 * JAN-MAR,oct MON-fri\n",
        "day-rule": "0 0 1,15 * MON\nUTC\n",
        "seconds": "*/10 * * * * *\n",
        "ranges-steps": "10-40/5 5/6 1-31/2 */3 0-7\n",
        "never": "0 0 30 2 *\n",
        "leap-day": "0 0 29 2 *\nAsia/Tokyo\n4102444800000000",
        "macros": "@yearly\n",
        "weekly": "@weekly\nPacific/Chatham\n",
        "reboot": "@reboot\n",
        "bad-zone": "0 * * * *\nMars/Olympus\n",
        "bad-field": "61 * * * *\n",
        "backwards": "0 5-1 * * *\n",
        "near-9999": "59 23 31 12 *\nUTC\n253402300700000000",
        "negative": "0 0 1 1 *\nUTC\n-62135596800000000",
    }
    for name, text in seeds.items():
        write("fuzz_cron", name, text)


# --- JWT: mode byte, then a token (even) or "header JSON\nclaims JSON" that the harness signs (odd).
def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    clear("fuzz_jwt")
    keys = {"k1": b"a" * 32, "": b"b" * 40}  # tests/fuzz/fuzz_jwt.cpp's key set

    def token(header, claims, kid):
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = hmac.new(keys[kid], signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(signature)

    now = 1_700_000_000
    claims = {"sub": "0190a0f0-0000-7000-8000-000000000001", "iss": "https://tyto.example", "aud": "tyto",
              "iat": now - 60, "nbf": now - 60, "exp": now + 900, "tenant": "t1", "role": "admin"}
    write("fuzz_jwt", "valid-k1", b"\x00" + token({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims, "k1").encode())
    write("fuzz_jwt", "valid-no-kid", b"\x04" + token({"alg": "HS256"}, claims, "").encode())
    write("fuzz_jwt", "expired", b"\x00" + token({"alg": "HS256", "kid": "k1"}, dict(claims, exp=now - 100), "k1").encode())
    write("fuzz_jwt", "alg-none", b"\x00" + (b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(claims).encode()) + ".").encode())
    write("fuzz_jwt", "garbage", b"\x00a.b.c")
    signed = {
        "sign-k1": (1, {"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims),
        "sign-k2-issuer": (7, {"alg": "HS256"}, claims),
        "sign-aud-array": (5, {"alg": "HS256", "kid": "k1"}, dict(claims, aud=["other", "tyto"])),
        "sign-float-exp": (1, {"alg": "HS256", "kid": "k1"}, dict(claims, exp=1.7e9)),
        "sign-crit": (1, {"alg": "HS256", "kid": "k1", "crit": ["b64"]}, claims),
        "sign-typ": (1, {"alg": "HS256", "kid": "k1", "typ": "jwt"}, claims),
        "sign-nested": (1, {"alg": "HS256", "kid": "k1"}, dict(claims, extra={"a": [1, {"b": None}]})),
    }
    for name, (mode, header, body) in signed.items():
        write("fuzz_jwt", name, bytes([mode]) + json.dumps(header).encode() + b"\n" + json.dumps(body).encode())
    write("fuzz_jwt", "sign-duplicate", b'\x01{"alg":"HS256","kid":"k1"}\n{"exp":1700000900,"exp":1}')
    write("fuzz_jwt", "sign-not-object", b'\x01{"alg":"HS256","kid":"k1"}\n[1,2]')


# --- Images with metadata, and the other types sniff() knows.
def exif_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "Tyto test camera"  # Make
    exif[0x0132] = "2024:01:02 03:04:05"  # DateTime
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}  # GPSInfo
    return exif.tobytes()


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="someone"/></rdf:RDF></x:xmpmeta>')


def image(fmt, **options):
    picture = Image.new("RGB", (8, 8))
    for x in range(8):
        for y in range(8):
            picture.putpixel((x, y), (x * 32, y * 32, 128))
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def images():
    clear("fuzz_image")
    exif = exif_with_gps()
    jpeg = image("JPEG", quality=50, exif=exif, comment=b"a comment")
    write("fuzz_image", "jpeg-exif-gps", jpeg)
    write("fuzz_image", "jpeg-plain", image("JPEG", quality=50))
    write("fuzz_image", "jpeg-progressive", image("JPEG", quality=50, progressive=True, exif=exif))
    # An APP13 segment and bytes after EOI (a second image's EXIF), as phones write them.
    app13 = b"\xff\xed" + struct.pack(">H", 2 + 18) + b"Photoshop 3.0\x008BIM"
    write("fuzz_image", "jpeg-app13-trailer", jpeg[:2] + app13 + jpeg[2:] + b"\xff\xd8\xff\xe1\x00\x08Exif\x00\x00\xff\xd9")
    write("fuzz_image", "jpeg-truncated", jpeg[: len(jpeg) // 2])

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a comment")
    info.add_itxt("Description", "beschreibung", lang="de", tkey="Beschreibung")
    info.add_text("Software", "x" * 200, zip=True)
    png = image("PNG", pnginfo=info, exif=exif)
    iend = png.rindex(b"IEND") - 4
    png = png[:iend] + png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 1, 2, 3, 4, 5)) + png[iend:]
    write("fuzz_image", "png-text-exif-time", png)
    write("fuzz_image", "png-plain", image("PNG"))
    write("fuzz_image", "png-truncated", png[: len(png) - 20])

    write("fuzz_image", "webp-exif-xmp", image("WEBP", lossless=True, exif=exif, xmp=XMP))
    write("fuzz_image", "webp-lossy-exif", image("WEBP", quality=50, exif=exif))
    write("fuzz_image", "webp-plain", image("WEBP", quality=50))
    odd = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00"  # an odd chunk whose pad byte is missing
    write("fuzz_image", "webp-missing-pad", b"RIFF" + struct.pack("<I", 4 + len(odd) + 1) + b"WEBP" + odd)

    write("fuzz_image", "mp4", struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2")
    write("fuzz_image", "wav", b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8))
    write("fuzz_image", "mp3-frame", b"\xff\xfb\x90\x64" + b"\x00" * 16)
    write("fuzz_image", "csv", "name;size\nb;2\nc;3\n")
    write("fuzz_image", "html", "<!DOCTYPE html><title>t</title>")
    write("fuzz_image", "json", ' {"a":1}')
    write("fuzz_image", "text-bom", "\ufeffplain text \u00e9")


# --- S3's XML responses.
def s3_xml():
    clear("fuzz_s3_xml")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    seeds = {
        "error": head + "<Error><Code>NoSuchKey</Code><Message>The key &quot;a&amp;b&quot; does not exist"
        "</Message><Key>a&amp;b</Key><RequestId>tx0</RequestId></Error>",
        "initiate": head + '<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        "<Bucket>tyto</Bucket><Key>u/1</Key><UploadId>2~abc&#x2D;def&#45;</UploadId>"
        "</InitiateMultipartUploadResult>",
        "complete": head + "<CompleteMultipartUploadResult><Location>http://s3/tyto/u/1</Location>"
        "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag></CompleteMultipartUploadResult>",
        "list": head + '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>tyto</Name>'
        "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
        "</NextContinuationToken><Contents><Key>a/&#x1F600;.jpg</Key><LastModified>2024-01-02T03:04:05.678Z"
        "</LastModified><ETag>&quot;x&quot;</ETag><Size>123</Size></Contents><Contents><Key>b</Key>"
        "<LastModified>2024-01-02T03:04:05+01:00</LastModified><Size>18446744073709551615</Size></Contents>"
        "<Contents/><Contents attr='1'><Key/></Contents></ListBucketResult>",
        "unclosed": "<ListBucketResult><Contents><Key>a</Key>",
        "entities": "<Key>&amp;&lt;&gt;&apos;&#0;&#x110000;&#xD800;&unknown;&#;&amp</Key>",
    }
    for name, text in seeds.items():
        write("fuzz_s3_xml", name, text)


if __name__ == "__main__":
    http()
    json_text()
    cron()
    jwt()
    images()
    s3_xml()
