#!/usr/bin/python3
"""Archives for the antivirus tests, written into the folder given: nested ZIPs with a file inside, and a bomb.

  shallow.zip  inner.txt (argv[2]'s bytes) two ZIPs deep
  nested.zip   the same 24 ZIPs deep
  bomb.zip     one member of 256 MiB of zeros, deflated to about 250 KiB
  many.zip     3000 small members
"""
import io
import sys
import zipfile


def zipped(name, data, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        z.writestr(name, data)
    return out.getvalue()


def nested(data, depth):
    blob = zipped("inner.txt", data)
    for level in range(depth - 1):
        blob = zipped("level%d.zip" % level, blob, zipfile.ZIP_STORED)
    return blob


def main():
    folder, payload = sys.argv[1], sys.argv[2].encode()
    with open(folder + "/shallow.zip", "wb") as f:
        f.write(nested(payload, 2))
    with open(folder + "/nested.zip", "wb") as f:
        f.write(nested(payload, 24))
    with open(folder + "/bomb.zip", "wb") as f:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            with z.open("zeros.bin", "w", force_zip64=True) as member:
                chunk = bytes(1 << 20)
                for _ in range(256):
                    member.write(chunk)
        f.write(out.getvalue())
    with open(folder + "/many.zip", "wb") as f:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(3000):
                z.writestr("file%04d.txt" % i, "file %d\n" % i)
        f.write(out.getvalue())


if __name__ == "__main__":
    main()
