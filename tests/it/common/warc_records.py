"""Dumps the records of WARC files as JSON lines, read by warcio (an
independent reader): trawl's integration tests judge its archives by this.

    python warc_records.py FILE...

One line per record: the file, its WARC type and fields, the HTTP status
and headers of request/response/revisit records, and the stored payload
(the bytes after the HTTP headers, as stored) in base64.
"""
import base64
import json
import sys

from warcio.archiveiterator import ArchiveIterator


def main(paths):
    for path in paths:
        with open(path, "rb") as f:
            for r in ArchiveIterator(f, no_record_parse=False):
                h = r.rec_headers
                out = {
                    "file": path,
                    "type": r.rec_type,
                    "id": h.get_header("WARC-Record-ID"),
                    "uri": h.get_header("WARC-Target-URI"),
                    "date": h.get_header("WARC-Date"),
                    "concurrent_to": h.get_header("WARC-Concurrent-To"),
                    "profile": h.get_header("WARC-Profile"),
                    "refers_to": h.get_header("WARC-Refers-To"),
                    "refers_to_uri": h.get_header("WARC-Refers-To-Target-URI"),
                    "refers_to_date": h.get_header("WARC-Refers-To-Date"),
                    "ip": h.get_header("WARC-IP-Address"),
                    "payload_digest": h.get_header("WARC-Payload-Digest"),
                    "truncated": h.get_header("WARC-Truncated"),
                    "content_type": h.get_header("Content-Type"),
                }
                if r.http_headers is not None:
                    out["status_line"] = r.http_headers.protocol + " " + r.http_headers.statusline
                    out["http_headers"] = [[k, v] for k, v in r.http_headers.headers]
                out["payload"] = base64.b64encode(r.raw_stream.read()).decode()
                print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
