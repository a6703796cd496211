#!/usr/bin/env python3
"""Reads a marina-etl export with pyarrow, an independent Parquet reader, for the tests.

  read_export.py DEST [RELATION:COL,COL ...]

DEST is a folder or s3://bucket/prefix (then S3_HELPER_ENDPOINT and the AWS_* keys name
the server). Prints one JSON object: per relation of the manifest, the rows pyarrow reads
from its files (each file must exist and hold the rows the manifest says, else the
relation's "error" says why), its column names, and for each RELATION:COLS asked, those
columns of every row as text, sorted. Exit 1 when the manifest is missing or unreadable.
"""
import json
import os
import sys

import pyarrow.parquet as pq
import pyarrow.fs as pafs


def filesystem(dest):
    if dest.startswith("s3://"):
        endpoint = os.environ["S3_HELPER_ENDPOINT"]
        fs = pafs.S3FileSystem(
            endpoint_override=endpoint.split("://", 1)[1],
            scheme=endpoint.split("://", 1)[0],
            access_key=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
            region="us-east-1",
        )
        return fs, dest[len("s3://"):].rstrip("/")
    return pafs.LocalFileSystem(), os.path.abspath(dest)


def text(v):
    if v is None:
        return None
    if isinstance(v, float):
        return repr(round(v, 6))
    return str(v)


def main():
    dest, asked = sys.argv[1], dict(a.split(":", 1) for a in sys.argv[2:])
    fs, root = filesystem(dest)
    with fs.open_input_stream(f"{root}/manifest.json") as f:
        manifest = json.loads(f.read())
    out = {"export_id": manifest["export_id"], "relations": {}}
    for rel in manifest["relations"]:
        entry = {"manifest_rows": rel["rows"], "rows": 0, "columns": [c["name"] for c in rel["schema"]]}
        tables = []
        for f in rel["files"]:
            try:
                t = pq.read_table(f"{root}/{f['path']}", filesystem=fs)
            except Exception as e:  # the file must be there and readable
                entry["error"] = f"{f['path']}: {e}"
                break
            if t.num_rows != f["rows"]:
                entry["error"] = f"{f['path']}: {t.num_rows} rows, the manifest says {f['rows']}"
            entry["rows"] += t.num_rows
            tables.append(t)
        if rel["name"] in asked and tables:
            cols = asked[rel["name"]].split(",")
            rows = []
            for t in tables:
                data = [t.column(c).to_pylist() for c in cols]
                rows.extend("|".join(text(v) or "∅" for v in r) for r in zip(*data))
            entry["values"] = sorted(rows)
        out["relations"][rel["name"]] = entry
    print(json.dumps(out))


if __name__ == "__main__":
    main()
