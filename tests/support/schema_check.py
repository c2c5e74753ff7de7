#!/usr/bin/python3
"""Checks config files against synchub's JSON Schema with an independent validator (jsonschema).

usage: schema_check.py SCHEMA [--invalid] FILE...
  A FILE ending in .md contributes each ```yaml block whose top-level keys are all config sections
  (README snippets); other files are YAML configs. Prints one line per document: "ok NAME" or
  "invalid NAME: path: message". Exit 0 when every document is valid (with --invalid: when every
  one is refused), else 1.
"""
import re
import sys

import jsonschema
import yaml


def documents(path, sections):
    if not path.endswith(".md"):
        with open(path, encoding="utf-8") as f:
            yield path, yaml.safe_load(f)
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for n, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S), 1):
        doc = yaml.safe_load(block)
        if isinstance(doc, dict) and doc and set(doc) <= sections:
            yield f"{path} yaml block {n}", doc


def main():
    args = sys.argv[1:]
    with open(args.pop(0), encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    expect_invalid = args and args[0] == "--invalid"
    if expect_invalid:
        args.pop(0)
    validator = jsonschema.Draft7Validator(schema)
    sections = set(schema["properties"])
    failed = False
    for path in args:
        for name, doc in documents(path, sections):
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
            if errors:
                e = errors[0]
                where = "/".join(str(p) for p in e.absolute_path)
                print(f"invalid {name}: {where}: {e.message[:300]}")
            else:
                print(f"ok {name}")
            failed = failed or (not errors if expect_invalid else bool(errors))
    sys.exit(1 if failed else 0)


main()
