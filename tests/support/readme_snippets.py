#!/usr/bin/python3
"""Writes each config snippet of a Markdown file as a whole config the binary can validate.

usage: readme_snippets.py README BASE_CONFIG OUT_DIR
  README's ```yaml blocks are snippets of one documented setup. A block whose top-level keys are
  config sections (a whole config when it has connectors and flows) is merged onto BASE_CONFIG (a complete config: the quick start); a block of
  entries that are connectors (each has `type:`) goes under `connectors:`, of flows (each has
  `from:`) under `flows:`, of file streams (`inbox:` or `outbox:`) into a file connector; a mapping file (it has `fields:`) is written as it is, with the table
  files it names. Merging is by key, down to the streams of a connector: a snippet's values win.
  Prints one line per file written: "config|mapping README_LINE PATH ENV_VAR...", the
  environment variables the file refers to (the test sets them).
"""
import json
import os
import re
import sys

import yaml

SECTIONS = {"hub", "bus", "state", "connectors", "flows", "reconciliations", "alerts"}


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return over


def as_config(doc):
    if set(doc) <= SECTIONS:
        return doc
    values = list(doc.values())
    if all(isinstance(v, dict) and "type" in v for v in values):
        return {"connectors": doc}
    if all(isinstance(v, dict) and "from" in v for v in values):
        return {"flows": doc}
    if all(isinstance(v, dict) and ("inbox" in v or "outbox" in v) for v in values):  # file streams
        return {"connectors": {"readme_files": {"type": "file", "streams": doc}}}
    return None


def write_mapping(doc, block, out_dir, name):
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    for table in (doc.get("tables") or {}).values():  # a table in its own file, as its comment shows it
        if isinstance(table, str):
            shown = re.search(re.escape(table) + r".*#.*?(\{.*\})", block)
            content = re.sub(r",\s*\.\.\.\s*}", "}", shown.group(1)) if shown else "{}"
            with open(os.path.join(folder, table), "w", encoding="utf-8") as f:
                f.write(content + "\n")
    for path in doc.get("table_files") or []:
        os.makedirs(os.path.dirname(os.path.join(folder, path)), exist_ok=True)
        with open(os.path.join(folder, path), "w", encoding="utf-8") as f:
            f.write("tables: {}\n")
    path = os.path.join(folder, "mapping.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(block)
    return path


def main():
    readme, base_path, out_dir = sys.argv[1:4]
    with open(base_path, encoding="utf-8") as f:
        base_text = f.read()
    base = yaml.safe_load(base_text)
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    for match in re.finditer(r"```yaml\n(.*?)```", text, re.S):
        block = match.group(1)
        line = text[: match.start()].count("\n") + 1
        doc = yaml.safe_load(block)
        if not isinstance(doc, dict):
            continue
        env = sorted(set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", block)))
        if "fields" in doc:
            print("mapping", line, write_mapping(doc, block, out_dir, f"mapping-{line}"), *env)
            continue
        if {"connectors", "flows"} <= set(doc):  # a whole config: as it is
            path = os.path.join(out_dir, f"readme-{line}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(block)
            print("config", line, path, *env)
            continue
        config = as_config(doc)
        if config is None:
            print("unknown", line, "-")
            continue
        env = sorted(set(env) | set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", base_text)))
        path = os.path.join(out_dir, f"readme-{line}.yaml")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(merge(base, config), f, ensure_ascii=False, indent=1)  # JSON is YAML
        print("config", line, path, *env)


main()
