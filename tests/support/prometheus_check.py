#!/usr/bin/python3
"""Parses a Prometheus text exposition with the reference client's parser
(Debian's python3-prometheus-client) and prints it as JSON:
  {"family": {"type": "counter", "samples": [{"name", "labels", "value"}]}}
Exits 1 with the reason when the text does not parse, a family has no TYPE,
or a histogram's buckets are not cumulative or disagree with its count."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    out = {}
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError (and others) on bad lines
        print(f"does not parse: {e}", file=sys.stderr)
        return 1
    for f in families:
        if f.type == "unknown":
            print(f"{f.name}: no # TYPE line", file=sys.stderr)
            return 1
        if f.name in out:
            print(f"{f.name}: family split in two", file=sys.stderr)
            return 1
        samples = [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]
        if f.type == "histogram":
            series = {}
            for s in f.samples:
                labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                series.setdefault(labels, {"buckets": [], "count": None})
                if s.name.endswith("_bucket"):
                    series[labels]["buckets"].append((float(s.labels["le"]), s.value))
                elif s.name.endswith("_count"):
                    series[labels]["count"] = s.value
            for labels, h in series.items():
                values = [v for _, v in sorted(h["buckets"])]
                if values != sorted(values) or not h["buckets"] or not math.isinf(max(b for b, _ in h["buckets"])):
                    print(f"{f.name}{dict(labels)}: buckets not cumulative or no +Inf", file=sys.stderr)
                    return 1
                if values[-1] != h["count"]:
                    print(f"{f.name}{dict(labels)}: +Inf bucket != count", file=sys.stderr)
                    return 1
        out[f.name] = {"type": f.type, "samples": samples}
    json.dump(out, sys.stdout)
    return 0


sys.exit(main())
