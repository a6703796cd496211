#!/usr/bin/env python3
"""Test helper for the S3 tests: runs moto's S3 server on loopback and uploads objects
with boto3, a real S3 client.

  s3.py serve PORT [--auth]     start moto_server on 127.0.0.1:PORT, print its endpoint
                                and keys as one JSON line, then keep it up until stdin
                                closes (the test process ended, however it ended). With
                                --auth: create an IAM user with full access and enforce
                                authentication (moto 5.2 then rejects any request whose
                                query carries a '/', e.g. a listing with a prefix: a moto
                                bug, so only the credential tests use this server)
  s3.py bucket NAME             create a bucket
  s3.py put BUCKET KEY=FILE...  upload files in order (one second apart with --spaced)
  s3.py many BUCKET PREFIX FILE FIRST COUNT [SUFFIX]
                                upload FILE as PREFIX{n:04d}SUFFIX for n in FIRST..FIRST+COUNT
  s3.py delete BUCKET KEY       delete an object

Every command but `serve` reads S3_HELPER_ENDPOINT and the standard AWS_*
variables.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_HELPER_ENDPOINT"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5}),
    )


def serve(port, auth):
    exe = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).read()
                break
            except Exception:
                if server.poll() is not None or time.time() > deadline:
                    print(json.dumps({"error": "moto_server did not start"}), flush=True)
                    return 1
                time.sleep(0.1)
        if not auth:
            print(json.dumps({"endpoint": endpoint, "access_key_id": "marina-test-key",
                              "secret_access_key": "marina-test-secret"}), flush=True)
            sys.stdin.read()
            return 0
        import boto3

        # Any keys do while authentication is not enforced yet.
        iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup",
        )
        iam.create_user(UserName="marina-etl")
        iam.put_user_policy(
            UserName="marina-etl",
            PolicyName="all",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName="marina-etl")["AccessKey"]
        # From now on every request must be signed with a known key.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})).read()
        print(json.dumps({"endpoint": endpoint, "access_key_id": key["AccessKeyId"],
                          "secret_access_key": key["SecretAccessKey"]}), flush=True)
        sys.stdin.read()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


def main(argv):
    cmd = argv[0]
    if cmd == "serve":
        return serve(int(argv[1]), "--auth" in argv)
    s3 = client()
    if cmd == "bucket":
        s3.create_bucket(Bucket=argv[1])
    elif cmd == "put":
        spaced = "--spaced" in argv
        args = [a for a in argv[1:] if a != "--spaced"]
        bucket = args[0]
        for i, spec in enumerate(args[1:]):
            if spaced and i > 0:
                # S3 keeps last-modified times to the second.
                time.sleep(1.1)
            key, path = spec.split("=", 1)
            s3.upload_file(path, bucket, key)
    elif cmd == "many":
        bucket, prefix, path, first, count = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5])
        suffix = argv[6] if len(argv) > 6 else ""
        body = open(path, "rb").read()

        def put(n):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{n:04d}{suffix}", Body=body)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, range(first, first + count)))
    elif cmd == "delete":
        s3.delete_object(Bucket=argv[1], Key=argv[2])
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
