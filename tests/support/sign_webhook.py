#!/usr/bin/env python3
"""Signs a webhook body as GitHub or Stripe do, with python's own hmac (independent of synchub's
code), and prints the signature header's value.

usage: sign_webhook.py github SECRET BODY_FILE
       sign_webhook.py stripe SECRET UNIX_SECONDS BODY_FILE
"""
import hashlib
import hmac
import sys


def main():
    scheme, secret = sys.argv[1], sys.argv[2].encode()
    if scheme == "github":
        body = open(sys.argv[3], "rb").read()
        print("sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(), end="")
    elif scheme == "stripe":
        stamp, body = sys.argv[3], open(sys.argv[4], "rb").read()
        digest = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        print(f"t={stamp},v1={digest}", end="")
    else:
        sys.exit("unknown scheme " + scheme)


main()
